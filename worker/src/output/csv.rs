//! `{table}.csv`: UTF-8, comma-separated (RFC 4180 quoting by polars' CSV writer), a header row
//! of the column names, `\n` line ends, ISO dates, `true`/`false` flags, an empty field for a
//! missing value (a suppressed count, no closing date, no notes) and `""` for an empty text.
//! Text cells a spreadsheet would execute as a formula (a service called `=HYPERLINK(…)`) are
//! written with a leading apostrophe ([`api::reports::spreadsheet`]); the Parquet files keep
//! the values as they are.

use api::reports::spreadsheet::{is_formula, neutralise};
use polars::prelude::*;

/// The frame as CSV bytes.
pub(super) fn write(frame: &DataFrame) -> PolarsResult<Vec<u8>> {
    let mut safe = spreadsheet_safe(frame)?;
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes)
        .include_header(true)
        .include_bom(false)
        .with_separator(b',')
        .with_line_terminator("\n".to_string())
        .with_date_format(Some("%Y-%m-%d".to_string()))
        .with_null_value(String::new())
        .with_quote_style(QuoteStyle::Necessary)
        .finish(&mut safe)?;
    Ok(bytes)
}

/// The frame with every text cell that starts like a formula neutralised.
fn spreadsheet_safe(frame: &DataFrame) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(frame.width());
    for column in frame.get_columns() {
        let texts = match column.dtype() {
            DataType::String => column.str()?,
            _ => {
                columns.push(column.clone());
                continue;
            }
        };
        if !texts.into_iter().flatten().any(is_formula) {
            columns.push(column.clone());
            continue;
        }
        let safe: StringChunked = texts
            .into_iter()
            .map(|cell| cell.map(|text| neutralise(text).into_owned()))
            .collect();
        columns.push(safe.with_name(column.name().clone()).into_column());
    }
    DataFrame::new(columns)
}
