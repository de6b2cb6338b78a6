//! The readable, printable edition of a subject access bundle: the same records as the JSON
//! edition, grouped for a person — the customer's own record, then each case with everything
//! filed on it, then contacts and requests to record, who read the record, and the audit trail.
//! Every column is shown (in words, dates in UK time), except row versions and the HTML copy of
//! each letter (its plain-text body is shown; the HTML copy is in the JSON edition).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use chrono_tz::Europe::London;
use minijinja::{AutoEscape, Environment, Value as Jinja};
use serde_json::{Value, json};

use super::collect::{CASE_KINDS, KINDS};
use super::{Count, StaffNames};
use crate::letters::format_date;

/// The page template (minijinja, HTML auto-escaped).
const TEMPLATE: &str = include_str!("../../templates/subject_access/bundle.html");

/// Columns left out of the HTML edition (they are in the JSON edition).
const HIDDEN: &[&str] = &["version", "body_html"];

/// One record's title, by kind.
fn singular(kind: &str) -> &'static str {
    match kind {
        "customer" => "Customer",
        "customer_members" => "Person",
        "representatives" => "Representative",
        "reasonable_adjustments" => "Reasonable adjustment",
        "cases" => "Case",
        "behaviour_reports" => "Behaviour report",
        "determinations" => "Determination",
        "stage_1_warnings" => "Stage 1 warning",
        "appeals" => "Appeal",
        "stage_2_decisions" => "Stage 2 decision",
        "restrictions" => "Restriction",
        "breaches" => "Breach",
        "new_issue_considerations" => "New issue",
        "reviews" => "Review",
        "letters" => "Letter",
        "hs_incidents" => "Incident",
        "exclusions" => "Exclusion",
        "police_referrals" => "Report to the police",
        "call_terminations" => "Call ended",
        "harassment_referrals" => "Harassment referral",
        "contacts" => "Contact",
        "recording_requests" => "Request to record",
        "notifications" => "Notice",
        "access_records" => "Read",
        "audit_events" => "Audit event",
        _ => "Record",
    }
}

fn heading(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, h)| *h)
        .unwrap_or("Records")
}

/// `case_id` → `Case id`.
fn label(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A timestamp in UK time, a date in words, anything else as it is.
fn when(text: &str) -> Option<String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        let local = at.with_timezone(&London);
        return Some(format!(
            "{}, {}",
            format_date(local.date_naive(), entities::enums::Language::En),
            local.format("%H:%M")
        ));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| format_date(d, entities::enums::Language::En))
}

/// How a value is laid out: in its table cell, as a block of text, or as structured data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Inline,
    Text,
    Data,
}

impl Layout {
    fn class(self) -> &'static str {
        match self {
            Layout::Inline => "",
            Layout::Text => "block",
            Layout::Data => "json",
        }
    }
}

/// A value as text, and how to lay it out (long or multi-line text gets a block of its own).
fn text(key: &str, value: &Value, cases: &BTreeMap<i64, String>) -> (String, Layout) {
    match value {
        Value::Null => ("—".into(), Layout::Inline),
        Value::Bool(b) => ((if *b { "yes" } else { "no" }).into(), Layout::Inline),
        Value::Number(n) => match (key, n.as_i64().and_then(|id| cases.get(&id))) {
            ("case_id", Some(reference)) => (format!("{reference} (case {n})"), Layout::Inline),
            _ => (n.to_string(), Layout::Inline),
        },
        Value::String(s) => match when(s) {
            Some(words) => (words, Layout::Inline),
            None if s.contains('\n') || s.chars().count() > 120 => (s.clone(), Layout::Text),
            // A stored value such as `stage_2_restricted` reads as words.
            None if s.contains('_')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                (s.replace('_', " "), Layout::Inline)
            }
            None => (s.clone(), Layout::Inline),
        },
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            if items.is_empty() {
                ("none".into(), Layout::Inline)
            } else {
                let parts: Vec<String> = items.iter().map(|i| text(key, i, cases).0).collect();
                (parts.join(", "), Layout::Inline)
            }
        }
        other => (
            serde_json::to_string_pretty(other).unwrap_or_default(),
            Layout::Data,
        ),
    }
}

/// One record as a titled list of fields: `id` first, then the rest alphabetically.
fn record(kind: &str, row: &Value, cases: &BTreeMap<i64, String>) -> Value {
    let mut fields = Vec::new();
    if let Some(map) = row.as_object() {
        let mut keys: Vec<&String> = map
            .keys()
            .filter(|k| !HIDDEN.contains(&k.as_str()))
            .collect();
        keys.sort_by_key(|k| (k.as_str() != "id", k.as_str()));
        for key in keys {
            let (text, layout) = text(key, &map[key], cases);
            fields.push(json!({"label": label(key), "text": text, "block": layout.class()}));
        }
    }
    let title = match row["id"].as_i64() {
        Some(id) => format!("{} {id}", singular(kind)),
        None => singular(kind).to_string(),
    };
    json!({"title": title, "fields": fields})
}

fn rows<'a>(bundle: &'a Value, kind: &str) -> &'a [Value] {
    bundle[kind]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A heading and its records, when there are any.
fn group(
    bundle: &Value,
    kind: &str,
    case: Option<i64>,
    cases: &BTreeMap<i64, String>,
) -> Option<Value> {
    let records: Vec<Value> = rows(bundle, kind)
        .iter()
        .filter(|r| case.is_none() || r["case_id"].as_i64() == case)
        .map(|r| record(kind, r, cases))
        .collect();
    (!records.is_empty()).then(|| json!({"heading": heading(kind), "records": records}))
}

fn to_jinja(value: &Value) -> Jinja {
    match value {
        Value::Null => Jinja::from(()),
        Value::Bool(b) => Jinja::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Jinja::from(i),
            None => Jinja::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Jinja::from(s.as_str()),
        Value::Array(items) => items.iter().map(to_jinja).collect(),
        Value::Object(map) => Jinja::from_pairs(
            map.iter()
                .map(|(k, v)| (Jinja::from(k.as_str()), to_jinja(v)))
                .collect::<Vec<_>>(),
        ),
    }
}

/// The bundle (already redacted as the setting says) as a complete HTML document.
pub fn render(
    bundle: &Value,
    counts: &[Count],
    staff_names: StaffNames,
    generated_at: DateTime<chrono::Utc>,
) -> Result<String, minijinja::Error> {
    let cases: BTreeMap<i64, String> = rows(bundle, "cases")
        .iter()
        .filter_map(|c| Some((c["id"].as_i64()?, c["reference"].as_str()?.to_string())))
        .collect();
    let own: Vec<Value> = [
        "customer_members",
        "representatives",
        "reasonable_adjustments",
    ]
    .iter()
    .filter_map(|k| group(bundle, k, None, &cases))
    .collect();
    let case_sections: Vec<Value> = rows(bundle, "cases")
        .iter()
        .map(|c| {
            let id = c["id"].as_i64();
            let groups: Vec<Value> = CASE_KINDS
                .iter()
                .chain(["notifications"].iter())
                .filter_map(|k| group(bundle, k, id, &cases))
                .collect();
            json!({
                "title": format!(
                    "Case {} — {}",
                    c["reference"].as_str().unwrap_or_default(),
                    c["service_name"].as_str().unwrap_or_default()
                ),
                "record": record("cases", c, &cases),
                "groups": groups,
            })
        })
        .collect();
    let others: Vec<Value> = ["contacts", "recording_requests"]
        .iter()
        .filter_map(|k| group(bundle, k, None, &cases))
        .collect();
    let reads: Vec<Value> = rows(bundle, "access_records")
        .iter()
        .map(|r| {
            let field = |k: &str| text(k, &r[k], &cases).0;
            json!({
                "at": field("occurred_at"),
                "who": field("actor_name"),
                "sub": field("actor_sub"),
                "roles": r["actor_roles"]
                    .as_str()
                    .unwrap_or_default()
                    .split(',')
                    .map(|role| role.replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", "),
                "what": r["category"].as_str().unwrap_or_default().replace('_', " "),
                "case": field("case_id"),
                "operation": field("operation"),
            })
        })
        .collect();
    let events = group(bundle, "audit_events", None, &cases);
    let summary: Vec<Value> = counts
        .iter()
        .map(|c| json!({"heading": heading(c.kind), "count": c.count}))
        .collect();
    let page = json!({
        "reference": bundle["customer"]["reference"],
        "generated_at": text("generated_at", &json!(generated_at), &cases).0,
        "redacted": staff_names == StaffNames::Redacted,
        "summary": summary,
        "customer": record("customer", &bundle["customer"], &cases),
        "own": own,
        "cases": case_sections,
        "others": others,
        "reads": reads,
        "events": events,
    });
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("bundle.html", TEMPLATE)?;
    env.get_template("bundle.html")?
        .render(minijinja::context! { page => to_jinja(&page) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_dates_are_in_words() {
        let bundle = json!({
            "customer": {"id": 1, "reference": "C-000001", "display_name": "<script>x</script>"},
            "cases": [{"id": 7, "reference": "UPC-2026-0001", "service_name": "Housing", "opened_at": "2026-06-01T09:30:00Z"}],
            "letters": [{"id": 3, "case_id": 7, "subject": "Decision", "body_text": "Dear X,\n\nYours", "body_html": "<html>"}],
            "access_records": [],
            "audit_events": [],
        });
        let html = render(&bundle, &[], StaffNames::Redacted, chrono::Utc::now()).unwrap();
        assert!(html.contains("&lt;script&gt;x&lt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("1 June 2026, 10:30"),
            "UK summer time: {html}"
        );
        assert!(html.contains("UPC-2026-0001 (case 7)"), "{html}");
        assert!(html.contains("Letter 3"), "{html}");
        assert!(
            !html.contains("&lt;html&gt;"),
            "the HTML copy is left to the JSON edition"
        );
    }
}
