//! The JSON writer of planned answers: text escaped as `serde_json` escapes it, dates and times
//! formatted as the schema's scalars format them, so the bytes are the schema's.

use chrono::{DateTime, NaiveDate, Utc};

/// A JSON writer: text is escaped as `serde_json` escapes it, so the bytes are the schema's.
pub(super) struct Json(pub(super) Vec<u8>);

impl Json {
    pub(super) fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    pub(super) fn key(&mut self, index: usize, key: &str) {
        if index > 0 {
            self.0.push(b',');
        }
        self.str(key);
        self.0.push(b':');
    }

    pub(super) fn str(&mut self, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, s);
    }

    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    pub(super) fn int(&mut self, n: i64) {
        use std::io::Write;
        let _ = write!(self.0, "{n}");
    }

    pub(super) fn id(&mut self, n: i64) {
        self.0.push(b'"');
        self.int(n);
        self.0.push(b'"');
    }

    pub(super) fn opt_id(&mut self, n: Option<i64>) {
        match n {
            Some(n) => self.id(n),
            None => self.raw("null"),
        }
    }

    pub(super) fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// `"YYYY-MM-DD"`, as the schema's `NaiveDate` (`%Y-%m-%d`) writes it.
    pub(super) fn date(&mut self, d: NaiveDate) {
        use chrono::Datelike;
        use std::io::Write;
        let year = d.year();
        if (0..=9999).contains(&year) {
            let digits = |n: u32, width: usize, out: &mut Vec<u8>| {
                for i in (0..width).rev() {
                    out.push(b'0' + ((n / 10u32.pow(i as u32)) % 10) as u8);
                }
            };
            self.0.push(b'"');
            digits(year as u32, 4, &mut self.0);
            self.0.push(b'-');
            digits(d.month(), 2, &mut self.0);
            self.0.push(b'-');
            digits(d.day(), 2, &mut self.0);
            self.0.push(b'"');
        } else {
            let _ = write!(self.0, "\"{}\"", d.format("%Y-%m-%d"));
        }
    }

    pub(super) fn opt_date(&mut self, d: Option<NaiveDate>) {
        match d {
            Some(d) => self.date(d),
            None => self.raw("null"),
        }
    }

    pub(super) fn datetime(&mut self, t: DateTime<Utc>) {
        self.str(&t.to_rfc3339());
    }

    pub(super) fn opt_datetime(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.datetime(t),
            None => self.raw("null"),
        }
    }

    /// A list of strings.
    pub(super) fn strs(&mut self, items: &[String]) {
        self.0.push(b'[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.str(s);
        }
        self.0.push(b']');
    }

    /// Any value, as `serde_json` writes it.
    pub(super) fn value(&mut self, value: &serde_json::Value) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_the_schema_writes_them() {
        for (y, m, d) in [
            (2026, 1, 5),
            (999, 12, 31),
            (10000, 2, 29),
            (-44, 3, 15),
            (0, 1, 1),
        ] {
            let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
                continue;
            };
            let mut out = Json(Vec::new());
            out.date(date);
            let schema = serde_json::to_vec(&date.format("%Y-%m-%d").to_string()).expect("json");
            assert_eq!(
                String::from_utf8_lossy(&out.0),
                String::from_utf8_lossy(&schema)
            );
        }
    }
}
