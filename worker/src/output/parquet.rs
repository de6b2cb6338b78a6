//! `{table}.parquet`: zstd, polars' default row groups and statistics (min, max, null count),
//! and no key-value metadata beyond the Arrow schema polars writes, so the bytes depend on the
//! data alone.

use polars::prelude::*;

/// The frame as Parquet bytes.
pub(super) fn write(frame: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_key_value_metadata(None)
        .finish(frame)?;
    Ok(bytes)
}
