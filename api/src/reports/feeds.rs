//! Live fact feeds for Power BI's scheduled refresh (issue 6): the decisions and the
//! restrictions of a date range, one row each, as CSV or Parquet, with the same columns every
//! time, even when there are no rows.
//!
//! Rows are scoped like cases (policy 5.4): staff see their own services' cases, Legal Services,
//! the Monitoring Officer and the Standards Committee every service's. The feeds are anonymised
//! (a case reference, never a name) unless the caller's roles may read a customer's name
//! (`Customer.displayName` in the policy table): then a last column, `customer_name`, is added,
//! and each name read is access-recorded like a name read through GraphQL.
//!
//! No polars here (only the worker uses it): the CSV is written with the `csv` crate (RFC 4180,
//! text cells a spreadsheet would execute neutralised: [`crate::reports::spreadsheet`]), the
//! Parquet with the `parquet` crate's low-level writer (uncompressed; a file per request).
//!
//! # The decisions feed
//!
//! One row per decision taken in the range (inclusive, by the council's local date):
//!
//! | `decision_type` | record | date | `outcome` |
//! |---|---|---|---|
//! | `determination` | `determination` | `decided_at` | `unreasonable` or `not_unreasonable` |
//! | `stage_1_warning` | `stage_1_warning` | `letter_date` | `issued` |
//! | `appeal_decision` | a decided `appeal` | `decided_at` | `upheld` or `not_upheld` |
//! | `stage_2_decision` | `stage_2_decision` | `decided_on` | `immediate` or `after_warning` |
//! | `review_endorsement` | an endorsed-on `review` | `endorsed_on` | `endorsed` or `not_endorsed` |
//!
//! Columns: [`DECISION_COLUMNS`]. `(decision_type, decision_id)` is unique; `decision_id` is the
//! record's id. `restriction_types` lists (`;`-separated, sorted) the kinds a Stage 2 decision
//! imposed; `review_recommendation` is the review's recommendation. Rows are ordered by date,
//! type (in the order above) and id. The case's service is the row's service.
//!
//! # The restrictions feed
//!
//! One row per restriction in force at some time in the range: started on or before `to`, and
//! neither lifted nor ended before `from`. Columns: [`RESTRICTION_COLUMNS`]; the service is the
//! restriction's own. Ordered by `starts_on`, then id.

use crate::reports::spreadsheet::neutralise;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use entities::{
    appeal, customer, determination, restriction, review, service, stage_1_warning,
    stage_2_decision, upc_case,
};
use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use sea_orm::sea_query::{Alias, Expr, IntoColumnRef, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, ExprTrait, QueryResult};

use crate::authz::scope::CaseScope;

/// The longest range one request may ask for, in days (two reporting years).
pub const MAX_RANGE_DAYS: i64 = 731;

/// Rows per Parquet row group.
const ROWS_PER_GROUP: usize = 100_000;

/// Which feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// `GET /feeds/decisions`.
    Decisions,
    /// `GET /feeds/restrictions`.
    Restrictions,
}

impl Feed {
    /// Its name, as in its path and file name.
    pub fn name(self) -> &'static str {
        match self {
            Feed::Decisions => "decisions",
            Feed::Restrictions => "restrictions",
        }
    }
}

/// The file format asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV, UTF-8, a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// Its name in the `format` parameter and the file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The media type it is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// A request's parameters, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedParams {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// The format.
    pub format: Format,
}

/// A parameter that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter.
    pub param: String,
    /// What is wrong, for the caller.
    pub message: String,
}

impl ParamError {
    fn new(param: &str, message: impl Into<String>) -> Self {
        ParamError {
            param: param.to_string(),
            message: message.into(),
        }
    }
}

impl FeedParams {
    /// Check the query string's parameters: `from` and `to` (`YYYY-MM-DD`, required, `from` not
    /// after `to`, at most [`MAX_RANGE_DAYS`] days) and `format` (`csv`, the default, or
    /// `parquet`). Any other parameter is refused, so a misspelt one is not silently ignored.
    pub fn parse(query: &[(String, String)]) -> Result<Self, ParamError> {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (key, value) in query {
            if !matches!(key.as_str(), "from" | "to" | "format") {
                return Err(ParamError::new(
                    key,
                    format!("unknown parameter `{key}`: use from, to and format"),
                ));
            }
            if seen.insert(key.as_str(), value.as_str()).is_some() {
                return Err(ParamError::new(key, format!("`{key}` is given twice")));
            }
        }
        let date = |name: &str| -> Result<NaiveDate, ParamError> {
            let text = seen.get(name).ok_or_else(|| {
                ParamError::new(name, format!("`{name}` is required (YYYY-MM-DD)"))
            })?;
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|_| text.len() == 10)
                .ok_or_else(|| {
                    ParamError::new(name, format!("`{name}` must be a date, YYYY-MM-DD"))
                })
        };
        let from = date("from")?;
        let to = date("to")?;
        if from > to {
            return Err(ParamError::new("to", "`to` is before `from`"));
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_RANGE_DAYS {
            return Err(ParamError::new(
                "to",
                format!("the range is {days} days; ask for at most {MAX_RANGE_DAYS} at a time"),
            ));
        }
        let format = match seen.get("format").copied() {
            None | Some("csv") => Format::Csv,
            Some("parquet") => Format::Parquet,
            Some(other) => {
                return Err(ParamError::new(
                    "format",
                    format!("unknown format `{other}`: use csv or parquet"),
                ));
            }
        };
        Ok(FeedParams { from, to, format })
    }
}

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (Parquet: `BYTE_ARRAY` `STRING`).
    Text,
    /// A whole number (Parquet: `INT64`).
    Integer,
    /// A date (CSV: `YYYY-MM-DD`; Parquet: `INT32` `DATE`).
    Date,
    /// `true` or `false` (Parquet: `BOOLEAN`).
    Boolean,
}

/// A column of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name (snake_case, stable).
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether it may be empty.
    pub nullable: bool,
}

const fn col(name: &'static str, kind: Kind, nullable: bool) -> Column {
    Column {
        name,
        kind,
        nullable,
    }
}

/// The decisions feed's columns (plus [`CUSTOMER_NAME`] for those who may read names).
pub const DECISION_COLUMNS: &[Column] = &[
    col("decision_type", Kind::Text, false),
    col("decision_id", Kind::Integer, false),
    col("case_reference", Kind::Text, false),
    col("service_code", Kind::Text, false),
    col("decided_on", Kind::Date, false),
    col("outcome", Kind::Text, false),
    col("restriction_types", Kind::Text, true),
    col("review_recommendation", Kind::Text, true),
];

/// The restrictions feed's columns (plus [`CUSTOMER_NAME`] for those who may read names).
pub const RESTRICTION_COLUMNS: &[Column] = &[
    col("restriction_id", Kind::Integer, false),
    col("case_reference", Kind::Text, false),
    col("service_code", Kind::Text, false),
    col("restriction_type", Kind::Text, false),
    col("starts_on", Kind::Date, false),
    col("ends_on", Kind::Date, true),
    col("lifted_on", Kind::Date, true),
    col("status", Kind::Text, false),
    col("permanent", Kind::Boolean, false),
    col("decision_id", Kind::Integer, true),
];

/// The last column, for callers who may read customers' names.
pub const CUSTOMER_NAME: Column = col("customer_name", Kind::Text, false);

/// One value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A date.
    Date(NaiveDate),
    /// A flag.
    Boolean(bool),
}

/// A feed's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// `(case id, customer id)` of each case whose customer's name is in the rows.
    pub names_read: BTreeSet<(i64, i64)>,
}

impl Table {
    fn new(columns: &[Column], names: bool) -> Self {
        let mut columns = columns.to_vec();
        if names {
            columns.push(CUSTOMER_NAME);
        }
        Table {
            columns,
            rows: Vec::new(),
            names_read: BTreeSet::new(),
        }
    }
}

/// The UTC instant the council's local day `day` starts.
fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // London's clocks change at 01:00 and 02:00, never at midnight: there is one midnight.
    London
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The council's local date of instant `at`.
fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// The case-and-service part every feed query shares: joins the case (by `case_id`) and the
/// service (by `service_id`), names them, applies the caller's scope and, with `names`, joins
/// the customer.
fn scoped(
    q: &mut SelectStatement,
    case_id: impl IntoColumnRef,
    service_id: impl IntoColumnRef,
    scope: &CaseScope,
    names: bool,
) {
    q.inner_join(
        upc_case::Entity,
        Expr::col((upc_case::Entity, upc_case::Column::Id)).equals(case_id),
    )
    .inner_join(
        service::Entity,
        Expr::col((service::Entity, service::Column::Id)).equals(service_id),
    )
    .expr_as(
        Expr::col((upc_case::Entity, upc_case::Column::Id)),
        Alias::new("case_id"),
    )
    .expr_as(
        Expr::col((upc_case::Entity, upc_case::Column::CustomerId)),
        Alias::new("customer_id"),
    )
    .expr_as(
        Expr::col((upc_case::Entity, upc_case::Column::Reference)),
        Alias::new("case_reference"),
    )
    .expr_as(
        Expr::col((service::Entity, service::Column::Code)),
        Alias::new("service_code"),
    )
    .cond_where(scope.condition());
    if names {
        q.inner_join(
            customer::Entity,
            Expr::col((customer::Entity, customer::Column::Id))
                .equals((upc_case::Entity, upc_case::Column::CustomerId)),
        )
        .expr_as(
            Expr::col((customer::Entity, customer::Column::DisplayName)),
            Alias::new("customer_name"),
        );
    }
}

/// The columns [`scoped`] adds, read from a row.
struct CaseCells {
    case_id: i64,
    customer_id: i64,
    case_reference: String,
    service_code: String,
    customer_name: Option<String>,
}

impl CaseCells {
    fn read(row: &QueryResult, names: bool) -> Result<Self, DbErr> {
        Ok(CaseCells {
            case_id: row.try_get("", "case_id")?,
            customer_id: row.try_get("", "customer_id")?,
            case_reference: row.try_get("", "case_reference")?,
            service_code: row.try_get("", "service_code")?,
            customer_name: if names {
                Some(row.try_get("", "customer_name")?)
            } else {
                None
            },
        })
    }
}

/// A decision before it becomes a row.
struct Decision {
    decided_on: NaiveDate,
    /// Position of the type in the feed's order.
    rank: u8,
    decision_type: &'static str,
    id: i64,
    case: CaseCells,
    outcome: String,
    restriction_types: Option<String>,
    review_recommendation: Option<String>,
}

/// The decisions feed for `params`, as `scope` may see it, with names when `names`.
pub async fn decisions<C: ConnectionTrait>(
    db: &C,
    scope: &CaseScope,
    params: &FeedParams,
    names: bool,
) -> Result<Table, DbErr> {
    let (from, to) = (params.from, params.to);
    let start = local_midnight(from);
    let end = local_midnight(to.checked_add_days(Days::new(1)).unwrap_or(to));
    let mut found: Vec<Decision> = Vec::new();

    // Determinations, by the local date of decided_at.
    let mut q = Query::select();
    q.from(determination::Entity)
        .expr_as(
            Expr::col((determination::Entity, determination::Column::Id)),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col((determination::Entity, determination::Column::DecidedAt)),
            Alias::new("decided_at"),
        )
        .expr_as(
            Expr::col((determination::Entity, determination::Column::Unreasonable)),
            Alias::new("unreasonable"),
        )
        .and_where(Expr::col((determination::Entity, determination::Column::DecidedAt)).gte(start))
        .and_where(Expr::col((determination::Entity, determination::Column::DecidedAt)).lt(end));
    scoped(
        &mut q,
        (determination::Entity, determination::Column::CaseId),
        (upc_case::Entity, upc_case::Column::ServiceId),
        scope,
        names,
    );
    for row in db.query_all(&q).await? {
        let at: DateTime<Utc> = row.try_get("", "decided_at")?;
        let unreasonable: bool = row.try_get("", "unreasonable")?;
        found.push(Decision {
            decided_on: local_date(at),
            rank: 0,
            decision_type: "determination",
            id: row.try_get("", "record_id")?,
            case: CaseCells::read(&row, names)?,
            outcome: if unreasonable {
                "unreasonable"
            } else {
                "not_unreasonable"
            }
            .to_string(),
            restriction_types: None,
            review_recommendation: None,
        });
    }

    // Stage 1 warnings, by letter date.
    let mut q = Query::select();
    q.from(stage_1_warning::Entity)
        .expr_as(
            Expr::col((stage_1_warning::Entity, stage_1_warning::Column::Id)),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col((stage_1_warning::Entity, stage_1_warning::Column::LetterDate)),
            Alias::new("decided_on"),
        )
        .and_where(
            Expr::col((stage_1_warning::Entity, stage_1_warning::Column::LetterDate))
                .between(from, to),
        );
    scoped(
        &mut q,
        (stage_1_warning::Entity, stage_1_warning::Column::CaseId),
        (upc_case::Entity, upc_case::Column::ServiceId),
        scope,
        names,
    );
    for row in db.query_all(&q).await? {
        found.push(Decision {
            decided_on: row.try_get("", "decided_on")?,
            rank: 1,
            decision_type: "stage_1_warning",
            id: row.try_get("", "record_id")?,
            case: CaseCells::read(&row, names)?,
            outcome: "issued".to_string(),
            restriction_types: None,
            review_recommendation: None,
        });
    }

    // Appeal decisions, by the local date of decided_at.
    let mut q = Query::select();
    q.from(appeal::Entity)
        .expr_as(
            Expr::col((appeal::Entity, appeal::Column::Id)),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col((appeal::Entity, appeal::Column::DecidedAt)),
            Alias::new("decided_at"),
        )
        .expr_as(
            Expr::col((appeal::Entity, appeal::Column::Outcome)),
            Alias::new("outcome"),
        )
        .and_where(Expr::col((appeal::Entity, appeal::Column::DecidedAt)).gte(start))
        .and_where(Expr::col((appeal::Entity, appeal::Column::DecidedAt)).lt(end))
        .and_where(Expr::col((appeal::Entity, appeal::Column::Outcome)).ne("pending"));
    scoped(
        &mut q,
        (appeal::Entity, appeal::Column::CaseId),
        (upc_case::Entity, upc_case::Column::ServiceId),
        scope,
        names,
    );
    for row in db.query_all(&q).await? {
        let at: DateTime<Utc> = row.try_get("", "decided_at")?;
        found.push(Decision {
            decided_on: local_date(at),
            rank: 2,
            decision_type: "appeal_decision",
            id: row.try_get("", "record_id")?,
            case: CaseCells::read(&row, names)?,
            outcome: row.try_get("", "outcome")?,
            restriction_types: None,
            review_recommendation: None,
        });
    }

    // Stage 2 decisions, by decided_on, with the kinds of restriction each imposed.
    let mut q = Query::select();
    q.from(restriction::Entity)
        .expr_as(
            Expr::col((restriction::Entity, restriction::Column::DecisionId)),
            Alias::new("decision_id"),
        )
        .expr_as(
            Expr::col((restriction::Entity, restriction::Column::Kind)),
            Alias::new("kind"),
        )
        .inner_join(
            stage_2_decision::Entity,
            Expr::col((stage_2_decision::Entity, stage_2_decision::Column::Id))
                .equals((restriction::Entity, restriction::Column::DecisionId)),
        )
        .and_where(
            Expr::col((
                stage_2_decision::Entity,
                stage_2_decision::Column::DecidedOn,
            ))
            .between(from, to),
        );
    let mut kinds: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for row in db.query_all(&q).await? {
        let decision: i64 = row.try_get("", "decision_id")?;
        let kind: String = row.try_get("", "kind")?;
        kinds.entry(decision).or_default().insert(kind);
    }
    let mut q = Query::select();
    q.from(stage_2_decision::Entity)
        .expr_as(
            Expr::col((stage_2_decision::Entity, stage_2_decision::Column::Id)),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col((
                stage_2_decision::Entity,
                stage_2_decision::Column::DecidedOn,
            )),
            Alias::new("decided_on"),
        )
        .expr_as(
            Expr::col((
                stage_2_decision::Entity,
                stage_2_decision::Column::Immediate,
            )),
            Alias::new("immediate"),
        )
        .and_where(
            Expr::col((
                stage_2_decision::Entity,
                stage_2_decision::Column::DecidedOn,
            ))
            .between(from, to),
        );
    scoped(
        &mut q,
        (stage_2_decision::Entity, stage_2_decision::Column::CaseId),
        (upc_case::Entity, upc_case::Column::ServiceId),
        scope,
        names,
    );
    for row in db.query_all(&q).await? {
        let id: i64 = row.try_get("", "record_id")?;
        let immediate: bool = row.try_get("", "immediate")?;
        found.push(Decision {
            decided_on: row.try_get("", "decided_on")?,
            rank: 3,
            decision_type: "stage_2_decision",
            id,
            case: CaseCells::read(&row, names)?,
            outcome: if immediate {
                "immediate"
            } else {
                "after_warning"
            }
            .to_string(),
            restriction_types: Some(
                kinds
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            review_recommendation: None,
        });
    }

    // Review outcomes endorsed (or not) by the Group Director, by endorsed_on.
    let mut q = Query::select();
    q.from(review::Entity)
        .expr_as(
            Expr::col((review::Entity, review::Column::Id)),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col((review::Entity, review::Column::EndorsedOn)),
            Alias::new("decided_on"),
        )
        .expr_as(
            Expr::col((review::Entity, review::Column::Endorsed)),
            Alias::new("endorsed"),
        )
        .expr_as(
            Expr::col((review::Entity, review::Column::Recommendation)),
            Alias::new("recommendation"),
        )
        .and_where(Expr::col((review::Entity, review::Column::EndorsedOn)).between(from, to));
    scoped(
        &mut q,
        (review::Entity, review::Column::CaseId),
        (upc_case::Entity, upc_case::Column::ServiceId),
        scope,
        names,
    );
    for row in db.query_all(&q).await? {
        let endorsed: Option<bool> = row.try_get("", "endorsed")?;
        found.push(Decision {
            decided_on: row.try_get("", "decided_on")?,
            rank: 4,
            decision_type: "review_endorsement",
            id: row.try_get("", "record_id")?,
            case: CaseCells::read(&row, names)?,
            outcome: if endorsed == Some(false) {
                "not_endorsed"
            } else {
                "endorsed"
            }
            .to_string(),
            restriction_types: None,
            review_recommendation: row.try_get("", "recommendation")?,
        });
    }

    found.sort_by_key(|a| (a.decided_on, a.rank, a.id));
    let mut table = Table::new(DECISION_COLUMNS, names);
    for d in found {
        let mut cells = vec![
            Cell::Text(d.decision_type.to_string()),
            Cell::Integer(d.id),
            Cell::Text(d.case.case_reference),
            Cell::Text(d.case.service_code),
            Cell::Date(d.decided_on),
            Cell::Text(d.outcome),
            d.restriction_types.map_or(Cell::Null, Cell::Text),
            d.review_recommendation.map_or(Cell::Null, Cell::Text),
        ];
        if let Some(name) = d.case.customer_name {
            table
                .names_read
                .insert((d.case.case_id, d.case.customer_id));
            cells.push(Cell::Text(name));
        }
        table.rows.push(cells);
    }
    Ok(table)
}

/// The restrictions feed for `params`, as `scope` may see it, with names when `names`.
pub async fn restrictions<C: ConnectionTrait>(
    db: &C,
    scope: &CaseScope,
    params: &FeedParams,
    names: bool,
) -> Result<Table, DbErr> {
    let (from, to) = (params.from, params.to);
    let r = |c: restriction::Column| Expr::col((restriction::Entity, c));
    let mut q = Query::select();
    q.from(restriction::Entity)
        .expr_as(r(restriction::Column::Id), Alias::new("record_id"))
        .expr_as(r(restriction::Column::Kind), Alias::new("kind"))
        .expr_as(r(restriction::Column::StartsOn), Alias::new("starts_on"))
        .expr_as(r(restriction::Column::EndsOn), Alias::new("ends_on"))
        .expr_as(r(restriction::Column::LiftedOn), Alias::new("lifted_on"))
        .expr_as(r(restriction::Column::Status), Alias::new("status"))
        .expr_as(r(restriction::Column::Permanent), Alias::new("permanent"))
        .expr_as(
            r(restriction::Column::DecisionId),
            Alias::new("decision_id"),
        )
        .and_where(r(restriction::Column::StartsOn).lte(to))
        .and_where(
            r(restriction::Column::LiftedOn)
                .is_null()
                .or(r(restriction::Column::LiftedOn).gte(from)),
        )
        .and_where(
            r(restriction::Column::EndsOn)
                .is_null()
                .or(r(restriction::Column::EndsOn).gte(from)),
        )
        .order_by(
            (restriction::Entity, restriction::Column::StartsOn),
            Order::Asc,
        )
        .order_by((restriction::Entity, restriction::Column::Id), Order::Asc);
    scoped(
        &mut q,
        (restriction::Entity, restriction::Column::CaseId),
        (restriction::Entity, restriction::Column::ServiceId),
        scope,
        names,
    );
    let mut table = Table::new(RESTRICTION_COLUMNS, names);
    for row in db.query_all(&q).await? {
        let case = CaseCells::read(&row, names)?;
        let date = |name: &str| -> Result<Cell, DbErr> {
            let value: Option<NaiveDate> = row.try_get("", name)?;
            Ok(value.map_or(Cell::Null, Cell::Date))
        };
        let decision: Option<i64> = row.try_get("", "decision_id")?;
        let mut cells = vec![
            Cell::Integer(row.try_get("", "record_id")?),
            Cell::Text(case.case_reference),
            Cell::Text(case.service_code),
            Cell::Text(row.try_get("", "kind")?),
            Cell::Date(row.try_get("", "starts_on")?),
            date("ends_on")?,
            date("lifted_on")?,
            Cell::Text(row.try_get("", "status")?),
            Cell::Boolean(row.try_get("", "permanent")?),
            decision.map_or(Cell::Null, Cell::Integer),
        ];
        if let Some(name) = case.customer_name {
            table.names_read.insert((case.case_id, case.customer_id));
            cells.push(Cell::Text(name));
        }
        table.rows.push(cells);
    }
    Ok(table)
}

/// The table as CSV (RFC 4180, written by the `csv` crate): a header line of the column names,
/// then a line per row (`\n` endings; a field quoted only when it must be; an empty field for
/// no value; dates `YYYY-MM-DD`; flags `true`/`false`). Text cells a spreadsheet would execute
/// are neutralised ([`crate::reports::spreadsheet`]).
pub fn to_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    writer.write_record(table.columns.iter().map(|c| c.name))?;
    let mut fields: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(table.columns.len());
    for row in &table.rows {
        fields.clear();
        for cell in row {
            fields.push(match cell {
                Cell::Null => "".into(),
                Cell::Text(t) => neutralise(t),
                Cell::Integer(n) => n.to_string().into(),
                Cell::Date(d) => d.format("%Y-%m-%d").to_string().into(),
                Cell::Boolean(b) => (if *b { "true" } else { "false" }).into(),
            });
        }
        writer.write_record(fields.iter().map(|f| f.as_bytes()))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The Parquet schema of `columns`.
fn parquet_schema(name: &str, columns: &[Column]) -> parquet::errors::Result<Type> {
    let mut fields = Vec::with_capacity(columns.len());
    for c in columns {
        let (physical, logical) = match c.kind {
            Kind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            Kind::Integer => (PhysicalType::INT64, None),
            Kind::Date => (PhysicalType::INT32, Some(LogicalType::Date)),
            Kind::Boolean => (PhysicalType::BOOLEAN, None),
        };
        let repetition = if c.nullable {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        fields.push(Arc::new(
            Type::primitive_type_builder(c.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?,
        ));
    }
    Type::group_type_builder(name).with_fields(fields).build()
}

/// Days from 1970-01-01 to `day`, as Parquet's `DATE` counts them.
fn epoch_days(day: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((day - epoch).num_days()).unwrap_or(i32::MAX)
}

fn mismatch(column: &Column) -> parquet::errors::ParquetError {
    parquet::errors::ParquetError::General(format!(
        "column {} holds a value of another type",
        column.name
    ))
}

/// The table as an uncompressed Parquet file named `name` (no row group when there are no
/// rows; the schema is there all the same).
pub fn to_parquet(name: &str, table: &Table) -> parquet::errors::Result<Vec<u8>> {
    let schema = Arc::new(parquet_schema(name, &table.columns)?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_created_by(format!("upc-api {}", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, properties)?;
    for rows in table.rows.chunks(ROWS_PER_GROUP) {
        let mut group = writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut column_writer) = group.next_column()? {
            let column = table
                .columns
                .get(index)
                .ok_or_else(|| parquet::errors::ParquetError::General("extra column".into()))?;
            let cells = rows.iter().map(|row| row.get(index).unwrap_or(&Cell::Null));
            let levels: Vec<i16> = rows
                .iter()
                .map(|row| i16::from(!matches!(row.get(index), None | Some(Cell::Null))))
                .collect();
            let levels = column.nullable.then_some(levels.as_slice());
            match column.kind {
                Kind::Text => {
                    let mut values = Vec::new();
                    for cell in cells {
                        match cell {
                            Cell::Text(t) => values.push(ByteArray::from(t.as_bytes().to_vec())),
                            Cell::Null => {}
                            _ => return Err(mismatch(column)),
                        }
                    }
                    column_writer
                        .typed::<ByteArrayType>()
                        .write_batch(&values, levels, None)?;
                }
                Kind::Integer => {
                    let mut values = Vec::new();
                    for cell in cells {
                        match cell {
                            Cell::Integer(n) => values.push(*n),
                            Cell::Null => {}
                            _ => return Err(mismatch(column)),
                        }
                    }
                    column_writer
                        .typed::<Int64Type>()
                        .write_batch(&values, levels, None)?;
                }
                Kind::Date => {
                    let mut values = Vec::new();
                    for cell in cells {
                        match cell {
                            Cell::Date(d) => values.push(epoch_days(*d)),
                            Cell::Null => {}
                            _ => return Err(mismatch(column)),
                        }
                    }
                    column_writer
                        .typed::<Int32Type>()
                        .write_batch(&values, levels, None)?;
                }
                Kind::Boolean => {
                    let mut values = Vec::new();
                    for cell in cells {
                        match cell {
                            Cell::Boolean(b) => values.push(*b),
                            Cell::Null => {}
                            _ => return Err(mismatch(column)),
                        }
                    }
                    column_writer
                        .typed::<BoolType>()
                        .write_batch(&values, levels, None)?;
                }
            }
            column_writer.close()?;
            index += 1;
        }
        group.close()?;
    }
    writer.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<FeedParams, ParamError> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FeedParams::parse(&owned)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn parameters_are_checked() {
        let ok = params(&[("from", "2024-04-01"), ("to", "2025-03-31")]);
        assert_eq!(
            ok,
            Ok(FeedParams {
                from: day(2024, 4, 1),
                to: day(2025, 3, 31),
                format: Format::Csv
            })
        );
        let param = |p: &[(&str, &str)]| params(p).err().map(|e| e.param);
        assert_eq!(param(&[("to", "2025-03-31")]).as_deref(), Some("from"));
        assert_eq!(
            param(&[("from", "2024-4-1"), ("to", "2025-03-31")]).as_deref(),
            Some("from")
        );
        assert_eq!(
            param(&[("from", "2024-02-30"), ("to", "2025-03-31")]).as_deref(),
            Some("from")
        );
        assert_eq!(
            param(&[("from", "2025-04-01"), ("to", "2025-03-31")]).as_deref(),
            Some("to")
        );
        assert_eq!(
            param(&[("from", "2020-01-01"), ("to", "2025-03-31")]).as_deref(),
            Some("to")
        );
        assert_eq!(
            param(&[
                ("from", "2024-04-01"),
                ("to", "2025-03-31"),
                ("format", "xlsx")
            ])
            .as_deref(),
            Some("format")
        );
        assert_eq!(
            param(&[("from", "2024-04-01"), ("to", "2025-03-31"), ("fmt", "csv")]).as_deref(),
            Some("fmt")
        );
        assert_eq!(
            params(&[
                ("from", "2024-01-01"),
                ("to", "2025-12-31"),
                ("format", "parquet")
            ])
            .map(|p| p.format),
            Ok(Format::Parquet)
        );
    }

    #[test]
    fn local_days_start_at_london_midnight() {
        // British Summer Time began at 01:00 UTC on 31 March 2024.
        assert_eq!(
            local_midnight(day(2024, 4, 1)).to_rfc3339(),
            "2024-03-31T23:00:00+00:00"
        );
        assert_eq!(
            local_midnight(day(2024, 1, 1)).to_rfc3339(),
            "2024-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut table = Table::new(
            &[col("a", Kind::Text, true), col("b", Kind::Integer, true)],
            false,
        );
        table
            .rows
            .push(vec![Cell::Text("x, \"y\"\nz".into()), Cell::Null]);
        table.rows.push(vec![Cell::Null, Cell::Integer(-3)]);
        assert_eq!(
            String::from_utf8(to_csv(&table).unwrap()).unwrap_or_default(),
            "a,b\n\"x, \"\"y\"\"\nz\",\n,-3\n"
        );
    }

    #[test]
    fn csv_neutralises_formulas_in_text_but_not_numbers() {
        let mut table = Table::new(
            &[
                col("service", Kind::Text, true),
                col("n", Kind::Integer, true),
            ],
            false,
        );
        table
            .rows
            .push(vec![Cell::Text("=1+1".into()), Cell::Integer(-3)]);
        table
            .rows
            .push(vec![Cell::Text("@cmd, \"x\"".into()), Cell::Integer(2)]);
        let text = String::from_utf8(to_csv(&table).unwrap()).unwrap_or_default();
        assert_eq!(text, "service,n\n'=1+1,-3\n\"'@cmd, \"\"x\"\"\",2\n");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(&rows[1][0], "'@cmd, \"x\"");
    }
}
