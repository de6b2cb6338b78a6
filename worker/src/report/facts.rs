//! Loading the case record into polars: one pass per table, only the columns the report needs,
//! as narrow typed columns (`i64` ids, `Date` days, small integer codes).
//!
//! Rows are read in id order in chunks of [`CHUNK`] (keyset pagination), so memory stays bounded
//! by the narrow frames themselves, never by a whole table's worth of driver rows. Timestamps
//! become the council's local date (Europe/London) as they are read.

use anyhow::Context;
use api::reports::model::ServiceRef;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;
use entities::enums::{ExclusionKind, RestrictionKind, ReviewRecommendation};
use entities::notification::AlertEvent;
use entities::{
    appeal, behaviour_report, breach, determination, exclusion, letter, notification,
    police_referral, reasonable_adjustment, restriction, review, service, stage_1_warning,
    stage_1_warning_adjustment, stage_2_decision, stage_2_decision_adjustment, upc_case,
};
use polars::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    TryGetableMany,
};

/// Rows per query.
const CHUNK: u64 = 100_000;

/// What happened to an exclusion, as the report counts it (the `kind` of [`Facts::exclusions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExclusionEvent {
    /// A temporary exclusion was made (3.2).
    Temporary = 0,
    /// A long-term exclusion was made, or a temporary one made long-term (3.2).
    LongTerm = 1,
    /// An exclusion was made permanent (5.6), or made permanent from the start.
    Permanent = 2,
    /// An exclusion was extended to a later end date (5.6).
    Extended = 3,
}

/// The `regarding_type` values of the letters the checks look for, by their code in
/// [`Facts::letters`].
pub(crate) const LETTER_TYPES: &[&str] =
    &["stage_1_warning", "appeal", "stage_2_decision", "review"];

/// Appeal outcome codes in [`Facts::appeals`].
pub(crate) const APPEAL_PENDING: i32 = 0;
/// Upheld.
pub(crate) const APPEAL_UPHELD: i32 = 1;
/// Not upheld.
pub(crate) const APPEAL_NOT_UPHELD: i32 = 2;

/// An immediate Stage 2 decision's exceptional reasons (the internal edition's notes).
#[derive(Clone, Debug)]
pub(crate) struct Reasons {
    pub case_id: i64,
    pub decided_on: NaiveDate,
    pub id: i64,
    pub text: String,
}

/// The case record, as polars frames. Column names and types are listed per field; `Date`
/// columns are local dates.
pub(crate) struct Facts {
    /// Every service, ordered by code.
    pub services: Vec<ServiceRef>,
    /// `case_id` i64, `service_id` i64, `reference` str, `opened` Date, `closed` Date (null).
    pub cases: DataFrame,
    /// `case_id`, `date` (occurred_at).
    pub reports: DataFrame,
    /// `case_id`, `date` (decided_at), `unreasonable` bool.
    pub determinations: DataFrame,
    /// `id`, `case_id`, `date` (letter_date), `adjustments` bool (non-blank).
    pub warnings: DataFrame,
    /// `id`, `case_id`, `date` (received_on), `decided` Date (null), `outcome` i32 code.
    pub appeals: DataFrame,
    /// `id`, `case_id`, `date` (decided_on), `warning_id` i64 (null), `immediate` bool,
    /// `reasons` bool (non-blank exceptional reasons), `adjustments` bool, `review_due` Date.
    pub stage_2: DataFrame,
    /// Exceptional reasons of immediate Stage 2 decisions (non-blank only).
    pub reasons: Vec<Reasons>,
    /// `id`, `case_id`, `service_id`, `kind` i32 (index in `RestrictionKind::ALL`), `date`
    /// (starts_on), `lifted` Date (null).
    pub restrictions: DataFrame,
    /// Exclusion events: `case_id`, `kind` i32 ([`ExclusionEvent`] code), `date`.
    pub exclusions: DataFrame,
    /// `case_id`, `date` (referred_on).
    pub police_referrals: DataFrame,
    /// `id`, `case_id`, `date` (recommended_on, null), `recommendation` i32 (index in
    /// `ReviewRecommendation::ALL`, null), `endorsed` bool.
    pub reviews: DataFrame,
    /// `case_id`, `restriction_id` i64 (null), `date` (occurred_at).
    pub breaches: DataFrame,
    /// `regarding_type` i32 (index in [`LETTER_TYPES`]), `regarding_id` i64.
    pub letters: DataFrame,
}

/// Days since 1970-01-01: polars' `Date`.
pub(crate) fn days(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

/// The council's local date of a UTC instant, as polars days.
fn local_days(at: DateTime<Utc>) -> i32 {
    days(at.with_timezone(&London).date_naive())
}

/// The local date of polars days.
pub(crate) fn from_days(days: i32) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(i64::from(days))
}

fn blank(text: Option<&str>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}

/// An adjustment's days: agreed (none: recorded before issue 19) and ended.
type InPlace = (Option<NaiveDate>, Option<NaiveDate>);

/// The facts the 8.2 check `adjustments_considered` reads: which customer each case is about,
/// each customer's reasonable adjustments (the days agreed and ended), and the decisions that
/// link an adjustment they considered.
#[derive(Default)]
struct Adjustments {
    customer_of_case: std::collections::HashMap<i64, i64>,
    of_customer: std::collections::HashMap<i64, Vec<InPlace>>,
    linked_warnings: std::collections::HashSet<i64>,
    linked_decisions: std::collections::HashSet<i64>,
}

impl Adjustments {
    /// Whether the customer of `case_id` had an adjustment in place on `day`: agreed on or
    /// before it (one with no agreed day, recorded before issue 19, counts as in place since
    /// before any decision) and not ended on or before it
    /// (`api::domain::adjustments::in_place_on`).
    fn in_place(&self, case_id: i64, day: NaiveDate) -> bool {
        self.customer_of_case
            .get(&case_id)
            .and_then(|c| self.of_customer.get(c))
            .is_some_and(|all| {
                all.iter().any(|(agreed, ended)| {
                    agreed.is_none_or(|a| a <= day) && ended.is_none_or(|e| e > day)
                })
            })
    }

    /// The 8.2 rule for a decision on `day` of case `case_id`: met when it links at least one
    /// adjustment it considered; otherwise met only when the customer had no adjustment in
    /// place on its day and its free text (`adjustments_considered`) is not blank. A customer
    /// with an adjustment in place that the decision did not link: not met.
    fn met(&self, linked: bool, case_id: i64, day: NaiveDate, text: &str) -> bool {
        linked || (!self.in_place(case_id, day) && !blank(Some(text)))
    }

    async fn load<C: ConnectionTrait>(
        conn: &C,
        customer_of_case: std::collections::HashMap<i64, i64>,
    ) -> anyhow::Result<Self> {
        let mut of_customer: std::collections::HashMap<i64, Vec<InPlace>> =
            std::collections::HashMap::new();
        scan(
            conn,
            reasonable_adjustment::Entity::find()
                .select_only()
                .columns([
                    reasonable_adjustment::Column::Id,
                    reasonable_adjustment::Column::CustomerId,
                    reasonable_adjustment::Column::AgreedOn,
                    reasonable_adjustment::Column::EndedOn,
                ]),
            reasonable_adjustment::Column::Id,
            |(i, c, agreed, ended): (i64, i64, Option<NaiveDate>, Option<NaiveDate>)| {
                of_customer.entry(c).or_default().push((agreed, ended));
                i
            },
        )
        .await?;
        let linked_warnings = stage_1_warning_adjustment::Entity::find()
            .select_only()
            .column(stage_1_warning_adjustment::Column::WarningId)
            .into_tuple::<i64>()
            .all(conn)
            .await
            .context("reading stage_1_warning_adjustment")?
            .into_iter()
            .collect();
        let linked_decisions = stage_2_decision_adjustment::Entity::find()
            .select_only()
            .column(stage_2_decision_adjustment::Column::DecisionId)
            .into_tuple::<i64>()
            .all(conn)
            .await
            .context("reading stage_2_decision_adjustment")?
            .into_iter()
            .collect();
        Ok(Adjustments {
            customer_of_case,
            of_customer,
            linked_warnings,
            linked_decisions,
        })
    }
}

fn index_of<T: PartialEq + Copy>(all: &[T], value: T) -> i32 {
    all.iter().position(|v| *v == value).unwrap_or(0) as i32
}

/// Read `select` (whose first column is the table's id, as `i64`) in id order, chunk by chunk,
/// handing each row to `sink`.
async fn scan<C, E, T>(
    conn: &C,
    select: Select<E>,
    id: E::Column,
    mut sink: impl FnMut(T) -> i64,
) -> anyhow::Result<()>
where
    C: ConnectionTrait,
    E: EntityTrait,
    T: TryGetableMany,
{
    let mut after = i64::MIN;
    loop {
        let rows: Vec<T> = select
            .clone()
            .filter(id.gt(after))
            .order_by_asc(id)
            .limit(CHUNK)
            .into_tuple::<T>()
            .all(conn)
            .await
            .with_context(|| format!("reading {}", E::default().table_name()))?;
        let n = rows.len() as u64;
        for row in rows {
            after = sink(row);
        }
        if n < CHUNK {
            return Ok(());
        }
    }
}

fn date_column(name: &str, values: Vec<i32>) -> PolarsResult<Column> {
    Series::new(name.into(), values)
        .cast(&DataType::Date)
        .map(Column::from)
}

fn opt_date_column(name: &str, values: Vec<Option<i32>>) -> PolarsResult<Column> {
    Series::new(name.into(), values)
        .cast(&DataType::Date)
        .map(Column::from)
}

/// Load everything the report needs. `progress` is told `from`..`to` as tables arrive.
pub(crate) async fn load<C: ConnectionTrait>(
    conn: &C,
    progress: &(dyn Fn(u8) + Sync),
    from: u8,
    to: u8,
) -> anyhow::Result<Facts> {
    const TABLES: u8 = 13;
    let step = |done: u8| {
        let span = u16::from(to.saturating_sub(from)) * u16::from(done) / u16::from(TABLES);
        progress(from.saturating_add(u8::try_from(span).unwrap_or(u8::MAX)));
    };

    let services = service::Entity::find()
        .select_only()
        .columns([
            service::Column::Id,
            service::Column::Code,
            service::Column::Name,
        ])
        .order_by_asc(service::Column::Code)
        .into_tuple::<(i64, String, String)>()
        .all(conn)
        .await
        .context("reading service")?
        .into_iter()
        .map(|(id, code, name)| ServiceRef { id, code, name })
        .collect();
    step(1);

    let mut customer_of_case = std::collections::HashMap::new();
    type CaseRow = (i64, i64, String, DateTime<Utc>, Option<DateTime<Utc>>, i64);
    let cases = {
        let (mut id, mut service_id, mut reference, mut opened, mut closed) =
            (vec![], vec![], vec![], vec![], vec![]);
        scan(
            conn,
            upc_case::Entity::find().select_only().columns([
                upc_case::Column::Id,
                upc_case::Column::ServiceId,
                upc_case::Column::Reference,
                upc_case::Column::OpenedAt,
                upc_case::Column::ClosedAt,
                upc_case::Column::CustomerId,
            ]),
            upc_case::Column::Id,
            |(i, s, r, o, c, who): CaseRow| {
                customer_of_case.insert(i, who);
                id.push(i);
                service_id.push(s);
                reference.push(r);
                opened.push(local_days(o));
                closed.push(c.map(local_days));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("case_id".into(), id),
            Column::new("service_id".into(), service_id),
            Column::new("reference".into(), reference),
            date_column("opened", opened)?,
            opt_date_column("closed", closed)?,
        ])?
    };
    step(2);

    let reports = {
        let (mut case_id, mut date) = (vec![], vec![]);
        scan(
            conn,
            behaviour_report::Entity::find().select_only().columns([
                behaviour_report::Column::Id,
                behaviour_report::Column::CaseId,
                behaviour_report::Column::OccurredAt,
            ]),
            behaviour_report::Column::Id,
            |(i, c, at): (i64, i64, DateTime<Utc>)| {
                case_id.push(c);
                date.push(local_days(at));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("case_id".into(), case_id),
            date_column("date", date)?,
        ])?
    };
    step(3);

    let determinations = {
        let (mut case_id, mut date, mut unreasonable) = (vec![], vec![], vec![]);
        scan(
            conn,
            determination::Entity::find().select_only().columns([
                determination::Column::Id,
                determination::Column::CaseId,
                determination::Column::DecidedAt,
                determination::Column::Unreasonable,
            ]),
            determination::Column::Id,
            |(i, c, at, u): (i64, i64, DateTime<Utc>, bool)| {
                case_id.push(c);
                date.push(local_days(at));
                unreasonable.push(u);
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("case_id".into(), case_id),
            date_column("date", date)?,
            Column::new("unreasonable".into(), unreasonable),
        ])?
    };
    step(4);

    let considered = Adjustments::load(conn, customer_of_case).await?;
    let warnings = {
        let (mut id, mut case_id, mut date, mut adjustments) = (vec![], vec![], vec![], vec![]);
        scan(
            conn,
            stage_1_warning::Entity::find().select_only().columns([
                stage_1_warning::Column::Id,
                stage_1_warning::Column::CaseId,
                stage_1_warning::Column::LetterDate,
                stage_1_warning::Column::AdjustmentsConsidered,
            ]),
            stage_1_warning::Column::Id,
            |(i, c, d, a): (i64, i64, NaiveDate, String)| {
                id.push(i);
                case_id.push(c);
                date.push(days(d));
                adjustments.push(considered.met(considered.linked_warnings.contains(&i), c, d, &a));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("id".into(), id),
            Column::new("case_id".into(), case_id),
            date_column("date", date)?,
            Column::new("adjustments".into(), adjustments),
        ])?
    };
    step(5);

    let appeals = {
        let (mut id, mut case_id, mut date, mut decided, mut outcome) =
            (vec![], vec![], vec![], vec![], vec![]);
        scan(
            conn,
            appeal::Entity::find().select_only().columns([
                appeal::Column::Id,
                appeal::Column::CaseId,
                appeal::Column::ReceivedOn,
                appeal::Column::DecidedAt,
                appeal::Column::Outcome,
            ]),
            appeal::Column::Id,
            |(i, c, d, at, o): (i64, i64, NaiveDate, Option<DateTime<Utc>>, String)| {
                id.push(i);
                case_id.push(c);
                date.push(days(d));
                decided.push(at.map(local_days));
                outcome.push(match o.as_str() {
                    "upheld" => APPEAL_UPHELD,
                    "not_upheld" => APPEAL_NOT_UPHELD,
                    _ => APPEAL_PENDING,
                });
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("id".into(), id),
            Column::new("case_id".into(), case_id),
            date_column("date", date)?,
            opt_date_column("decided", decided)?,
            Column::new("outcome".into(), outcome),
        ])?
    };
    step(6);

    let mut reasons = Vec::new();
    let stage_2 = {
        let (mut id, mut case_id, mut date, mut warning_id) = (vec![], vec![], vec![], vec![]);
        let (mut immediate, mut given, mut adjustments, mut review_due) =
            (vec![], vec![], vec![], vec![]);
        type Row = (
            i64,
            i64,
            NaiveDate,
            Option<i64>,
            bool,
            Option<String>,
            String,
            NaiveDate,
        );
        scan(
            conn,
            stage_2_decision::Entity::find().select_only().columns([
                stage_2_decision::Column::Id,
                stage_2_decision::Column::CaseId,
                stage_2_decision::Column::DecidedOn,
                stage_2_decision::Column::WarningId,
                stage_2_decision::Column::Immediate,
                stage_2_decision::Column::ExceptionalReasons,
                stage_2_decision::Column::AdjustmentsConsidered,
                stage_2_decision::Column::ReviewDueOn,
            ]),
            stage_2_decision::Column::Id,
            |(i, c, d, w, imm, why, adj, due): Row| {
                id.push(i);
                case_id.push(c);
                date.push(days(d));
                warning_id.push(w);
                immediate.push(imm);
                let has_reasons = !blank(why.as_deref());
                given.push(has_reasons);
                adjustments.push(considered.met(
                    considered.linked_decisions.contains(&i),
                    c,
                    d,
                    &adj,
                ));
                review_due.push(days(due));
                if let (true, true, Some(text)) = (imm, has_reasons, why) {
                    reasons.push(Reasons {
                        case_id: c,
                        decided_on: d,
                        id: i,
                        text,
                    });
                }
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("id".into(), id),
            Column::new("case_id".into(), case_id),
            date_column("date", date)?,
            Column::new("warning_id".into(), warning_id),
            Column::new("immediate".into(), immediate),
            Column::new("reasons".into(), given),
            Column::new("adjustments".into(), adjustments),
            date_column("review_due", review_due)?,
        ])?
    };
    step(7);

    let restrictions = {
        let (mut id, mut case_id, mut service_id, mut kind, mut date, mut lifted) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        scan(
            conn,
            restriction::Entity::find().select_only().columns([
                restriction::Column::Id,
                restriction::Column::CaseId,
                restriction::Column::ServiceId,
                restriction::Column::Kind,
                restriction::Column::StartsOn,
                restriction::Column::LiftedOn,
            ]),
            restriction::Column::Id,
            |(i, c, s, k, d, l): (i64, i64, i64, RestrictionKind, NaiveDate, Option<NaiveDate>)| {
                id.push(i);
                case_id.push(c);
                service_id.push(s);
                kind.push(index_of(RestrictionKind::ALL, k));
                date.push(days(d));
                lifted.push(l.map(days));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("id".into(), id),
            Column::new("case_id".into(), case_id),
            Column::new("service_id".into(), service_id),
            Column::new("kind".into(), kind),
            date_column("date", date)?,
            opt_date_column("lifted", lifted)?,
        ])?
    };
    step(8);

    // Exclusion events (3.2, 5.6), each in the year it happened: an exclusion counts as made on
    // its first day under its kind, except a temporary exclusion later made long-term, which
    // counts as both (temporary on its first day, long-term on the day the Head of Service or
    // Service Director agreed: `agreed_at` after `created_at`; a new long-term exclusion is
    // agreed as it is made). Exclusions from premises imposed as restrictions count when they
    // are extended or made permanent (their alert notifications, 5.5).
    let exclusions = {
        let (mut case_id, mut code, mut date) = (vec![], vec![], vec![]);
        let mut push = |c: i64, event: ExclusionEvent, d: i32| {
            case_id.push(c);
            code.push(event as i32);
            date.push(d);
        };
        scan(
            conn,
            exclusion::Entity::find().select_only().columns([
                exclusion::Column::Id,
                exclusion::Column::CaseId,
                exclusion::Column::Kind,
                exclusion::Column::StartsOn,
                exclusion::Column::AgreedAt,
                exclusion::Column::CreatedAt,
            ]),
            exclusion::Column::Id,
            |(i, c, k, d, agreed, created): (
                i64,
                i64,
                ExclusionKind,
                NaiveDate,
                Option<DateTime<Utc>>,
                DateTime<Utc>,
            )| {
                match k {
                    ExclusionKind::Temporary => push(c, ExclusionEvent::Temporary, days(d)),
                    ExclusionKind::LongTerm => match agreed.filter(|at| *at > created) {
                        Some(at) => {
                            push(c, ExclusionEvent::Temporary, days(d));
                            push(c, ExclusionEvent::LongTerm, local_days(at));
                        }
                        None => push(c, ExclusionEvent::LongTerm, days(d)),
                    },
                    ExclusionKind::Permanent => push(c, ExclusionEvent::Permanent, days(d)),
                }
                i
            },
        )
        .await?;
        scan(
            conn,
            notification::Entity::find()
                .select_only()
                .columns([
                    notification::Column::Id,
                    notification::Column::CaseId,
                    notification::Column::Event,
                    notification::Column::CreatedAt,
                ])
                .filter(
                    notification::Column::RestrictionKind
                        .eq(RestrictionKind::EstablishmentExclusion),
                )
                .filter(
                    notification::Column::Event
                        .is_in([AlertEvent::Extended, AlertEvent::MadePermanent]),
                ),
            notification::Column::Id,
            |(i, c, event, at): (i64, i64, AlertEvent, DateTime<Utc>)| {
                let counted = if event == AlertEvent::MadePermanent {
                    ExclusionEvent::Permanent
                } else {
                    ExclusionEvent::Extended
                };
                push(c, counted, local_days(at));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("case_id".into(), case_id),
            Column::new("kind".into(), code),
            date_column("date", date)?,
        ])?
    };
    step(9);

    let police_referrals = {
        let (mut case_id, mut date) = (vec![], vec![]);
        scan(
            conn,
            police_referral::Entity::find().select_only().columns([
                police_referral::Column::Id,
                police_referral::Column::CaseId,
                police_referral::Column::ReferredOn,
            ]),
            police_referral::Column::Id,
            |(i, c, d): (i64, i64, NaiveDate)| {
                case_id.push(c);
                date.push(days(d));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("case_id".into(), case_id),
            date_column("date", date)?,
        ])?
    };
    step(10);

    let reviews = {
        let (mut id, mut case_id, mut date, mut recommendation, mut endorsed) =
            (vec![], vec![], vec![], vec![], vec![]);
        type Row = (
            i64,
            i64,
            Option<NaiveDate>,
            Option<ReviewRecommendation>,
            Option<bool>,
        );
        scan(
            conn,
            review::Entity::find().select_only().columns([
                review::Column::Id,
                review::Column::CaseId,
                review::Column::RecommendedOn,
                review::Column::Recommendation,
                review::Column::Endorsed,
            ]),
            review::Column::Id,
            |(i, c, d, r, e): Row| {
                id.push(i);
                case_id.push(c);
                date.push(d.map(days));
                recommendation.push(r.map(|r| index_of(ReviewRecommendation::ALL, r)));
                endorsed.push(e == Some(true));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("id".into(), id),
            Column::new("case_id".into(), case_id),
            opt_date_column("date", date)?,
            Column::new("recommendation".into(), recommendation),
            Column::new("endorsed".into(), endorsed),
        ])?
    };
    step(11);

    let breaches = {
        let (mut case_id, mut restriction_id, mut date) = (vec![], vec![], vec![]);
        scan(
            conn,
            breach::Entity::find().select_only().columns([
                breach::Column::Id,
                breach::Column::CaseId,
                breach::Column::RestrictionId,
                breach::Column::OccurredAt,
            ]),
            breach::Column::Id,
            |(i, c, r, at): (i64, i64, Option<i64>, DateTime<Utc>)| {
                case_id.push(c);
                restriction_id.push(r);
                date.push(local_days(at));
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("case_id".into(), case_id),
            Column::new("restriction_id".into(), restriction_id),
            date_column("date", date)?,
        ])?
    };
    step(12);

    let letters = {
        let (mut regarding_type, mut regarding_id) = (vec![], vec![]);
        scan(
            conn,
            letter::Entity::find()
                .select_only()
                .columns([
                    letter::Column::Id,
                    letter::Column::RegardingType,
                    letter::Column::RegardingId,
                ])
                .filter(letter::Column::RegardingType.is_in(LETTER_TYPES.iter().copied()))
                .filter(Expr::col(letter::Column::RegardingId).is_not_null())
                // Told means sent: a letter generated but never marked sent tells no one.
                .filter(Expr::col(letter::Column::SentAt).is_not_null()),
            letter::Column::Id,
            |(i, t, r): (i64, String, i64)| {
                regarding_type.push(LETTER_TYPES.iter().position(|x| *x == t).unwrap_or(0) as i32);
                regarding_id.push(r);
                i
            },
        )
        .await?;
        DataFrame::new(vec![
            Column::new("regarding_type".into(), regarding_type),
            Column::new("regarding_id".into(), regarding_id),
        ])?
    };
    step(13);

    Ok(Facts {
        services,
        cases,
        reports,
        determinations,
        warnings,
        appeals,
        stage_2,
        reasons,
        restrictions,
        exclusions,
        police_referrals,
        reviews,
        breaches,
        letters,
    })
}
