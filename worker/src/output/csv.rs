//! `{table}.csv`: UTF-8, comma-separated, a header row of the column names, `\n` line ends,
//! ISO dates, `true`/`false` flags, an empty field for a missing value (a suppressed count, no
//! closing date, no notes) and `""` for an empty text.

use polars::prelude::*;

/// The frame as CSV bytes.
pub(super) fn write(frame: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes)
        .include_header(true)
        .include_bom(false)
        .with_separator(b',')
        .with_line_terminator("\n".to_string())
        .with_date_format(Some("%Y-%m-%d".to_string()))
        .with_null_value(String::new())
        .with_quote_style(QuoteStyle::Necessary)
        .finish(frame)?;
    Ok(bytes)
}
