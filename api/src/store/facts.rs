//! Reading the facts a command needs, in its transaction and through the caller's row scope
//! (5.4): a record on a case the caller may not see is reported exactly like one that does not
//! exist. Also the council's reference numbers, calendar, letter templates and directory names.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::enums::{
    BreachOutcome, CaseStage, CaseStatus, ContactDirection, ContactOutcome, ExclusionKind,
    Language, LetterKind, RestrictionStatus, WarningStatus,
};
use entities::restriction_parameters::RestrictionParameters;
use entities::{
    appeal, behaviour_report, breach, call_termination, closure_day, contact, customer,
    determination, establishment, exclusion, exclusion_establishment, harassment_referral,
    hs_incident, letter, letter_template, reasonable_adjustment, restriction, review, service,
    staff_member, staff_team, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::authz::scope::case_scope;
use crate::calendar::Calendar;
use crate::domain::contact::{CheckFacts, PremisesExclusion, Proposed};
use crate::domain::customers::{CaseTarget, CustomerChoice, TargetFacts};
use crate::domain::deadlines::{DeadlineFacts, WarningPeriod};
use crate::domain::endings;
use crate::domain::lifecycle::CaseFile;
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::restrictions::{Directory, RestrictionFacts, named_in};
use crate::domain::roles::{EVERY_SERVICE, Principal};
use crate::domain::safety::OnCase;
use crate::domain::values::{CaseId, CustomerId, RecordId, RestrictionId, StaffMemberId};
use crate::error::{ApiError, ApiResult};
use crate::letters::{self, Names, Template};

/// The ids of the cases `principal` may see, as a sub-query.
pub fn visible_case_ids(principal: &Principal) -> SelectStatement {
    Query::select()
        .column(upc_case::Column::Id)
        .from(upc_case::Entity)
        .cond_where(case_scope(principal).condition())
        .to_owned()
}

/// Case `id`, if `principal` may see it.
pub async fn visible_case<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<upc_case::Model> {
    upc_case::Entity::find_by_id(id)
        .filter(case_scope(principal).condition())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no case {id} that you may see")))
}

/// The code of service `service_id`.
pub async fn service_code<C: ConnectionTrait>(db: &C, service_id: i64) -> ApiResult<String> {
    Ok(service::Entity::find_by_id(service_id)
        .one(db)
        .await?
        .map(|s| s.code)
        .unwrap_or_default())
}

/// The service with `code`, refused in `serviceCode` when there is none.
pub async fn service_by_code<C: ConnectionTrait>(db: &C, code: &str) -> ApiResult<service::Model> {
    let code = code.trim();
    service::Entity::find()
        .filter(service::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input("serviceCode", format!("no service with code {code}")))
}

/// Every `E` of `case_id`, oldest first.
async fn of_case<E, C>(
    db: &C,
    case_column: E::Column,
    id_column: E::Column,
    case_id: i64,
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    E::find()
        .filter(case_column.eq(case_id))
        .order_by_asc(id_column)
        .all(db)
        .await
}

/// The case file of `case`: the case with every record the steps look at.
pub async fn case_file<C: ConnectionTrait>(db: &C, case: upc_case::Model) -> ApiResult<CaseFile> {
    let id = case.id;
    Ok(CaseFile {
        service_code: service_code(db, case.service_id).await?,
        reports: of_case::<behaviour_report::Entity, _>(
            db,
            behaviour_report::Column::CaseId,
            behaviour_report::Column::Id,
            id,
        )
        .await?,
        determinations: of_case::<determination::Entity, _>(
            db,
            determination::Column::CaseId,
            determination::Column::Id,
            id,
        )
        .await?,
        warnings: of_case::<stage_1_warning::Entity, _>(
            db,
            stage_1_warning::Column::CaseId,
            stage_1_warning::Column::Id,
            id,
        )
        .await?,
        appeals: of_case::<appeal::Entity, _>(db, appeal::Column::CaseId, appeal::Column::Id, id)
            .await?,
        decisions: of_case::<stage_2_decision::Entity, _>(
            db,
            stage_2_decision::Column::CaseId,
            stage_2_decision::Column::Id,
            id,
        )
        .await?,
        restrictions: of_case::<restriction::Entity, _>(
            db,
            restriction::Column::CaseId,
            restriction::Column::Id,
            id,
        )
        .await?,
        breaches: of_case::<breach::Entity, _>(db, breach::Column::CaseId, breach::Column::Id, id)
            .await?,
        reviews: of_case::<review::Entity, _>(db, review::Column::CaseId, review::Column::Id, id)
            .await?,
        adjustments: adjustments_of(db, case.customer_id).await?,
        case,
    })
}

/// The customer's reasonable adjustments, ended or not, in id order.
pub async fn adjustments_of<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
) -> Result<Vec<reasonable_adjustment::Model>, DbErr> {
    reasonable_adjustment::Entity::find()
        .filter(reasonable_adjustment::Column::CustomerId.eq(customer_id))
        .order_by_asc(reasonable_adjustment::Column::Id)
        .all(db)
        .await
}

/// The file of case `id`, if `principal` may see it.
pub async fn visible_case_file<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: CaseId,
) -> ApiResult<CaseFile> {
    case_file(db, visible_case(db, principal, id.get()).await?).await
}

/// Restriction `id` on a case `principal` may see, with its case file.
pub async fn restriction_facts<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: RestrictionId,
) -> ApiResult<RestrictionFacts> {
    let not_found = || ApiError::NotFound(format!("no restriction {id} that you may see"));
    let found = restriction::Entity::find_by_id(id.get())
        .filter(restriction::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let file = visible_case_file(db, principal, CaseId::from_key(found.case_id)).await?;
    Ok(RestrictionFacts {
        restriction: found,
        file,
    })
}

/// What choosing the case for `target` needs, through `principal`'s scope.
pub async fn target_facts<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    target: &CaseTarget,
) -> ApiResult<TargetFacts> {
    match target {
        CaseTarget::Case(id) => {
            let case = visible_case(db, principal, id.get()).await?;
            let code = service_code(db, case.service_id).await?;
            Ok(TargetFacts::Case(case, code))
        }
        CaseTarget::Customer {
            customer,
            service_code,
        } => {
            let service = service_by_code(db, service_code).await?;
            let (customer, open_case) = match customer {
                CustomerChoice::New(_) => (None, None),
                CustomerChoice::Existing(id) => {
                    let found = customer_of(db, *id).await?;
                    let open = match &found {
                        Some(c) => open_case(db, c.id, service.id).await?,
                        None => None,
                    };
                    (found, open)
                }
            };
            Ok(TargetFacts::Customer {
                service,
                customer,
                open_case,
            })
        }
    }
}

/// Customer `id`, if there is one.
pub async fn customer_of<C: ConnectionTrait>(
    db: &C,
    id: CustomerId,
) -> ApiResult<Option<customer::Model>> {
    Ok(customer::Entity::find_by_id(id.get()).one(db).await?)
}

/// The customer's open case in the service, if any.
pub async fn open_case<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    service_id: i64,
) -> ApiResult<Option<upc_case::Model>> {
    Ok(upc_case::Entity::find()
        .filter(upc_case::Column::CustomerId.eq(customer_id))
        .filter(upc_case::Column::ServiceId.eq(service_id))
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .one(db)
        .await?)
}

/// The directory entries the restrictions' `parameters` name.
pub async fn directory<'p, C: ConnectionTrait>(
    db: &C,
    parameters: impl IntoIterator<Item = &'p RestrictionParameters>,
) -> ApiResult<Directory> {
    let mut establishments = Vec::new();
    let mut staff = Vec::new();
    let mut teams = Vec::new();
    for p in parameters {
        let (e, s, t) = named_in(p);
        establishments.extend(e);
        staff.extend(s);
        teams.extend(t);
    }
    let mut directory = Directory::default();
    if !establishments.is_empty() {
        directory.establishments = establishments_named(db, &establishments).await?;
    }
    if !staff.is_empty() {
        for (id, active) in staff_member::Entity::find()
            .select_only()
            .column(staff_member::Column::Id)
            .column(staff_member::Column::Active)
            .filter(staff_member::Column::Id.is_in(staff))
            .into_tuple::<(i64, bool)>()
            .all(db)
            .await?
        {
            directory.staff.insert(id);
            if !active {
                directory.inactive_staff.insert(id);
            }
        }
    }
    if !teams.is_empty() {
        for (id, active) in staff_team::Entity::find()
            .select_only()
            .column(staff_team::Column::Id)
            .column(staff_team::Column::Active)
            .filter(staff_team::Column::Id.is_in(teams))
            .into_tuple::<(i64, bool)>()
            .all(db)
            .await?
        {
            directory.teams.insert(id);
            if !active {
                directory.inactive_teams.insert(id);
            }
        }
    }
    Ok(directory)
}

/// The establishments among `ids` that exist.
pub async fn establishments_named<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> ApiResult<Vec<establishment::Model>> {
    Ok(establishment::Entity::find()
        .filter(establishment::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?)
}

/// `record` (found by `find`) on a case `principal` may see; `what` names it when it is not.
async fn on_visible_case<M, C>(
    db: &C,
    principal: &Principal,
    record: Option<M>,
    case_id: impl Fn(&M) -> i64,
    what: String,
) -> ApiResult<OnCase<M>>
where
    C: ConnectionTrait,
{
    let not_found = || ApiError::NotFound(format!("no {what} that you may see"));
    let record = record.ok_or_else(not_found)?;
    let case = visible_case(db, principal, case_id(&record))
        .await
        .map_err(|_| not_found())?;
    let service_code = service_code(db, case.service_id).await?;
    Ok(OnCase {
        record,
        case,
        service_code,
    })
}

/// Threat `id`, on a case `principal` may see.
pub async fn incident<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<OnCase<hs_incident::Model>> {
    let found = hs_incident::Entity::find_by_id(id).one(db).await?;
    on_visible_case(
        db,
        principal,
        found,
        |i| i.case_id,
        format!("incident {id}"),
    )
    .await
}

/// Exclusion `id`, on a case `principal` may see.
pub async fn exclusion<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<OnCase<exclusion::Model>> {
    let found = exclusion::Entity::find_by_id(id).one(db).await?;
    on_visible_case(
        db,
        principal,
        found,
        |e| e.case_id,
        format!("exclusion {id}"),
    )
    .await
}

/// Harassment referral `id`, on a case `principal` may see.
pub async fn harassment_referral<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<OnCase<harassment_referral::Model>> {
    let found = harassment_referral::Entity::find_by_id(id).one(db).await?;
    on_visible_case(
        db,
        principal,
        found,
        |h| h.case_id,
        format!("harassment referral {id}"),
    )
    .await
}

/// The ids of the calls ended on case `case_id` (3.4).
pub async fn calls_on_case<C: ConnectionTrait>(db: &C, case_id: i64) -> ApiResult<Vec<i64>> {
    Ok(call_termination::Entity::find()
        .select_only()
        .column(call_termination::Column::Id)
        .filter(call_termination::Column::CaseId.eq(case_id))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// The premises of exclusion `id`, in id order.
pub async fn establishments_of<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<Vec<i64>> {
    Ok(exclusion_establishment::Entity::find()
        .select_only()
        .column(exclusion_establishment::Column::EstablishmentId)
        .filter(exclusion_establishment::Column::ExclusionId.eq(id))
        .order_by_asc(exclusion_establishment::Column::EstablishmentId)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// The calls harassment referral `id` rests on, in id order.
pub async fn calls_of<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<Vec<i64>> {
    Ok(entities::harassment_referral_call::Entity::find()
        .select_only()
        .column(entities::harassment_referral_call::Column::CallTerminationId)
        .filter(entities::harassment_referral_call::Column::HarassmentReferralId.eq(id))
        .order_by_asc(entities::harassment_referral_call::Column::CallTerminationId)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// Contact `id`, if there is one.
pub async fn contact<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<Option<contact::Model>> {
    Ok(contact::Entity::find_by_id(id).one(db).await?)
}

/// Contact `id`, if it is in one of `principal`'s services.
pub async fn contact_in_services<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<Option<contact::Model>> {
    Ok(contact::Entity::find_by_id(id)
        .filter(in_services(principal, contact::Column::ServiceId))
        .one(db)
        .await?)
}

/// The officer named at the point of contact (a staff directory id), with their team.
pub async fn officer<C: ConnectionTrait>(
    db: &C,
    id: Option<StaffMemberId>,
) -> ApiResult<Option<(i64, Option<i64>)>> {
    let Some(id) = id else { return Ok(None) };
    let officer = staff_member::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input("officerStaffId", format!("no staff member {id}")))?;
    Ok(Some((officer.id, officer.team_id)))
}

/// What decides a contact check for `customer_id` in `service_id` at the time of `proposed`,
/// read in three to six statements. The cases themselves are not read (only their ids): a
/// check needs none of their columns, and logging a contact reads them with
/// [`cases_of_customer`].
pub async fn check_facts<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    customer_id: i64,
    proposed: &Proposed,
) -> ApiResult<CheckFacts> {
    let case_ids: Vec<i64> = upc_case::Entity::find()
        .select_only()
        .column(upc_case::Column::Id)
        .filter(upc_case::Column::CustomerId.eq(customer_id))
        .filter(upc_case::Column::ServiceId.eq(service_id))
        .into_tuple()
        .all(db)
        .await?;
    if case_ids.is_empty() {
        return Ok(CheckFacts::default());
    }
    // Restrictions of this service only (5.4); lifted ones matter for a check in the past.
    let restrictions = restriction::Entity::find()
        .filter(restriction::Column::CaseId.is_in(case_ids.clone()))
        .filter(restriction::Column::ServiceId.eq(service_id))
        .filter(restriction::Column::Status.ne(RestrictionStatus::Expired))
        .order_by_asc(restriction::Column::Id)
        .all(db)
        .await?;
    let exclusions = exclusion::Entity::find()
        .filter(exclusion::Column::CaseId.is_in(case_ids))
        .order_by_asc(exclusion::Column::Id)
        .all(db)
        .await?;
    let premises: Vec<(i64, i64)> = if exclusions.is_empty() {
        Vec::new()
    } else {
        exclusion_establishment::Entity::find()
            .select_only()
            .columns([
                exclusion_establishment::Column::ExclusionId,
                exclusion_establishment::Column::EstablishmentId,
            ])
            .filter(
                exclusion_establishment::Column::ExclusionId
                    .is_in(exclusions.iter().map(|e| e.id).collect::<Vec<_>>()),
            )
            .order_by_asc(exclusion_establishment::Column::ExclusionId)
            .order_by_asc(exclusion_establishment::Column::EstablishmentId)
            .into_tuple()
            .all(db)
            .await?
    };
    more_check_facts(
        db,
        service_id,
        customer_id,
        proposed.at,
        restrictions,
        exclusions,
        premises,
        false,
    )
    .await
}

/// PostgreSQL: the customer's case ids in the service `$1`, their restrictions in the service,
/// their exclusions and those exclusions' premises (`(exclusion, establishment)` pairs), as
/// JSON texts in one row.
const CHECK_FACTS_SQL: &str = "\
WITH c AS (SELECT id FROM upc_case WHERE customer_id = $2 AND service_id = $1), \
x AS (SELECT * FROM exclusion WHERE case_id IN (SELECT id FROM c)) \
SELECT \
(SELECT coalesce(json_agg(r), '[]')::text FROM restriction r \
 WHERE r.case_id IN (SELECT id FROM c) AND r.service_id = $1 AND r.status <> $3), \
(SELECT coalesce(json_agg(x), '[]')::text FROM x), \
(SELECT coalesce(json_agg(json_build_array(p.exclusion_id, p.establishment_id)), '[]')::text \
 FROM exclusion_establishment p WHERE p.exclusion_id IN (SELECT id FROM x))";

/// What decides a contact check in the service `service_id` for `customer_id` at `at` (as
/// [`check_facts`]; the service is found by its code first, `store::service_ids`). On
/// PostgreSQL the customer's cases there, their restrictions, exclusions and the exclusions'
/// premises are ONE statement, then the inbound contacts and the names only when the
/// restrictions and exclusions call for them (one more): a check is made at the front desk
/// while the customer waits, and every statement is a round trip. Elsewhere [`check_facts`].
pub async fn contact_check_facts<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    customer_id: i64,
    at: DateTime<Utc>,
) -> ApiResult<CheckFacts> {
    use sea_orm::{DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Postgres {
        let proposed = Proposed {
            channel: entities::enums::ContactChannel::ALL[0],
            at,
            officer: None,
            establishment_id: None,
        };
        return check_facts(db, service_id, customer_id, &proposed).await;
    }
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        CHECK_FACTS_SQL,
        [
            service_id.into(),
            customer_id.into(),
            RestrictionStatus::Expired.as_str().into(),
        ],
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::Custom("a contact check's facts: no row".into()))?;
    let text = |i: usize| row.try_get_by_index::<String>(i);
    // Put in order here, as `check_facts` reads them: an aggregate with its own `ORDER BY`
    // sets up a sort each time it runs, a tenth of the statement's cost (pgbench).
    let mut restrictions: Vec<restriction::Model> = from_json("restriction", &text(0)?)?;
    restrictions.sort_unstable_by_key(|r| r.id);
    let mut exclusions: Vec<exclusion::Model> = from_json("exclusion", &text(1)?)?;
    exclusions.sort_unstable_by_key(|x| x.id);
    let mut premises: Vec<(i64, i64)> = from_json("exclusion_establishment", &text(2)?)?;
    premises.sort_unstable();
    more_check_facts(
        db,
        service_id,
        customer_id,
        at,
        restrictions,
        exclusions,
        premises,
        true,
    )
    .await
}

/// Rows of `table` from PostgreSQL's JSON (`row_to_json`, `json_agg`).
fn from_json<T: serde::de::DeserializeOwned>(table: &str, json: &str) -> Result<T, DbErr> {
    serde_json::from_str(json).map_err(|e| DbErr::Custom(format!("reading {table} as JSON: {e}")))
}

/// The rest of a check's facts once its restrictions, exclusions and premises are read: the
/// inbound contacts within the longest time limit before `at`, and the names the findings use.
///
/// With `together` (PostgreSQL) the inbound contacts and every name are one statement
/// ([`MORE_FACTS_SQL`]); otherwise one statement for the contacts and one per kind of name.
#[expect(
    clippy::too_many_arguments,
    reason = "the facts read so far, the check, and how to read the rest"
)]
async fn more_check_facts<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    customer_id: i64,
    at: DateTime<Utc>,
    restrictions: Vec<restriction::Model>,
    exclusions: Vec<exclusion::Model>,
    premises: Vec<(i64, i64)>,
    together: bool,
) -> ApiResult<CheckFacts> {
    let mut by_exclusion: HashMap<i64, Vec<i64>> = HashMap::new();
    for (exclusion_id, establishment_id) in premises {
        by_exclusion
            .entry(exclusion_id)
            .or_default()
            .push(establishment_id);
    }
    let exclusions: Vec<PremisesExclusion> = exclusions
        .into_iter()
        .map(|e| PremisesExclusion {
            establishment_ids: by_exclusion.remove(&e.id).unwrap_or_default(),
            exclusion: e,
        })
        .collect();
    let longest_window = restrictions
        .iter()
        .filter_map(|r| match &r.parameters {
            RestrictionParameters::TimeLimits(t) => Some(t.per_days),
            _ => None,
        })
        .max();
    if together {
        let (inbound, names) = inbound_and_names(
            db,
            service_id,
            customer_id,
            at,
            longest_window,
            &restrictions,
            &exclusions,
        )
        .await?;
        return Ok(CheckFacts {
            cases: Vec::new(),
            restrictions,
            exclusions,
            inbound,
            names,
        });
    }
    let inbound: Vec<DateTime<Utc>> = match longest_window {
        None => Vec::new(),
        Some(days) => {
            contact::Entity::find()
                .select_only()
                .column(contact::Column::OccurredAt)
                .filter(contact::Column::CustomerId.eq(customer_id))
                .filter(contact::Column::ServiceId.eq(service_id))
                .filter(contact::Column::Direction.eq(ContactDirection::Inbound))
                .filter(contact::Column::OccurredAt.gt(at - Duration::days(i64::from(days))))
                .filter(contact::Column::OccurredAt.lte(at))
                .order_by_asc(contact::Column::OccurredAt)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let names = names_for(db, &restrictions, &exclusions).await?;
    Ok(CheckFacts {
        cases: Vec::new(),
        restrictions,
        exclusions,
        inbound,
        names,
    })
}

/// The establishments, staff members and teams the restrictions and exclusions name, by id:
/// `(establishments, staff, teams)`.
fn named_ids(
    restrictions: &[restriction::Model],
    exclusions: &[PremisesExclusion],
) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let mut establishments: Vec<i64> = exclusions
        .iter()
        .flat_map(|x| x.establishment_ids.iter().copied())
        .collect();
    let mut staff = Vec::new();
    let mut teams = Vec::new();
    for r in restrictions {
        let (e, s, t) = named_in(&r.parameters);
        establishments.extend(e);
        staff.extend(s);
        teams.extend(t);
    }
    (establishments, staff, teams)
}

/// PostgreSQL: the customer's inbound contacts in the service in `($3, $4]` and the names of
/// the establishments (`$6`), staff members (`$7`) and teams (`$8`) a check's restrictions and
/// exclusions refer to, in ONE statement, tagged by the first column; `$5` is the inbound
/// direction. An empty range or array reads nothing of its kind.
///
/// Why one: about a quarter of the benchmark's checks need contacts or names, and each was a
/// statement of its own (up to four after the facts' one), each waiting again for a pooled
/// connection behind every other request's statements; those checks were the slowest
/// hundredth.
const MORE_FACTS_SQL: &str = "\
SELECT 0 AS part, NULL::bigint AS id, NULL::text AS name, occurred_at FROM contact \
 WHERE customer_id = $1 AND service_id = $2 AND direction = $5 \
 AND occurred_at > $3 AND occurred_at <= $4 \
UNION ALL SELECT 1, id, name, NULL FROM establishment WHERE id = ANY($6) \
UNION ALL SELECT 2, id, display_name, NULL FROM staff_member WHERE id = ANY($7) \
UNION ALL SELECT 3, id, name, NULL FROM staff_team WHERE id = ANY($8)";

/// The inbound contacts within `longest_window` days before `at` (oldest first; none without a
/// window) and the names the restrictions and exclusions use, by [`MORE_FACTS_SQL`]; no
/// statement when neither is needed.
async fn inbound_and_names<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    customer_id: i64,
    at: DateTime<Utc>,
    longest_window: Option<u32>,
    restrictions: &[restriction::Model],
    exclusions: &[PremisesExclusion],
) -> ApiResult<(Vec<DateTime<Utc>>, Names)> {
    use sea_orm::{ActiveEnum, DbBackend, Statement};
    let (establishments, staff, teams) = named_ids(restrictions, exclusions);
    let mut names = Names::default();
    if longest_window.is_none() && establishments.is_empty() && staff.is_empty() && teams.is_empty()
    {
        return Ok((Vec::new(), names));
    }
    // Without a time limit the range is empty: `(at, at]`.
    let since = longest_window.map_or(at, |days| at - Duration::days(i64::from(days)));
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        MORE_FACTS_SQL,
        [
            customer_id.into(),
            service_id.into(),
            since.into(),
            at.into(),
            ContactDirection::Inbound.to_value().into(),
            establishments.into(),
            staff.into(),
            teams.into(),
        ],
    );
    let mut inbound = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let part: i32 = row.try_get_by_index(0)?;
        if part == 0 {
            inbound.push(row.try_get_by_index::<DateTime<Utc>>(3)?);
            continue;
        }
        let id: i64 = row.try_get_by_index(1)?;
        let name: String = row.try_get_by_index(2)?;
        match part {
            1 => names.establishments.insert(id, name),
            2 => names.staff.insert(id, name),
            3 => names.teams.insert(id, name),
            other => {
                return Err(DbErr::Custom(format!("a check's names: no part {other}")).into());
            }
        };
    }
    // A `UNION ALL` promises no order: the contacts are put in theirs here.
    inbound.sort_unstable();
    Ok((inbound, names))
}

/// Only the names the restrictions and exclusions refer to (not the whole directory).
async fn names_for<C: ConnectionTrait>(
    db: &C,
    restrictions: &[restriction::Model],
    exclusions: &[PremisesExclusion],
) -> ApiResult<Names> {
    let (establishments, staff, teams) = named_ids(restrictions, exclusions);
    let mut names = Names::default();
    if !establishments.is_empty() {
        names.establishments = establishment::Entity::find()
            .filter(establishment::Column::Id.is_in(establishments))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name))
            .collect();
    }
    if !staff.is_empty() {
        names.staff = staff_member::Entity::find()
            .filter(staff_member::Column::Id.is_in(staff))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.display_name))
            .collect();
    }
    if !teams.is_empty() {
        names.teams = staff_team::Entity::find()
            .filter(staff_team::Column::Id.is_in(teams))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
    }
    Ok(names)
}

/// The customer's cases in the service, as stored (a breach flags its case, 5.6).
pub async fn cases_of_customer<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    service_id: i64,
) -> ApiResult<Vec<upc_case::Model>> {
    Ok(upc_case::Entity::find()
        .filter(upc_case::Column::CustomerId.eq(customer_id))
        .filter(upc_case::Column::ServiceId.eq(service_id))
        .all(db)
        .await?)
}

/// Names of every establishment, staff member and team, for describing restrictions.
pub async fn names<C: ConnectionTrait>(db: &C) -> Result<Names, DbErr> {
    let establishments: HashMap<i64, String> = establishment::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let staff: HashMap<i64, String> = staff_member::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.display_name))
        .collect();
    let teams: HashMap<i64, String> = staff_team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(Names {
        establishments,
        staff,
        teams,
    })
}

/// Rows whose service column is one of `principal`'s services (all for Legal Services and the
/// Monitoring Officer).
pub fn in_services<Col: ColumnTrait>(principal: &Principal, column: Col) -> sea_orm::Condition {
    if principal.has_any_role(EVERY_SERVICE) {
        return sea_orm::Condition::all();
    }
    sea_orm::Condition::all().add(
        column.in_subquery(
            Query::select()
                .column(service::Column::Id)
                .from(service::Entity)
                .and_where(
                    Expr::col(service::Column::Code).is_in(principal.services.iter().cloned()),
                )
                .to_owned(),
        ),
    )
}

/// The records a deadlines list for `principal` is drawn from, up to `horizon`.
pub async fn deadline_facts<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    settings: &LifecycleSettings,
    today: NaiveDate,
    horizon: NaiveDate,
) -> ApiResult<DeadlineFacts> {
    let open_cases = upc_case::Entity::find()
        .filter(case_scope(principal).condition())
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .all(db)
        .await?;
    let warned: Vec<i64> = open_cases
        .iter()
        .filter(|c| c.stage == CaseStage::Stage1Warning)
        .map(|c| c.id)
        .collect();
    let mut standing: BTreeMap<i64, stage_1_warning::Model> = BTreeMap::new();
    if !warned.is_empty() {
        for w in stage_1_warning::Entity::find()
            .filter(stage_1_warning::Column::CaseId.is_in(warned))
            .filter(stage_1_warning::Column::Status.eq(WarningStatus::Active))
            .order_by_asc(stage_1_warning::Column::Id)
            .all(db)
            .await?
        {
            standing.insert(w.case_id, w);
        }
    }
    let warning_periods = standing
        .into_values()
        .map(|w| WarningPeriod {
            case_id: w.case_id,
            warning_id: w.id,
            ends_on: endings::warning_period_end(&w, settings),
        })
        .collect();
    let appealed_cases: BTreeSet<i64> = appeal::Entity::find()
        .select_only()
        .column(appeal::Column::CaseId)
        .filter(appeal::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let temporary_exclusions = exclusion::Entity::find()
        .filter(exclusion::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .filter(exclusion::Column::Kind.eq(ExclusionKind::Temporary))
        .filter(exclusion::Column::LiftedOn.is_null())
        .filter(exclusion::Column::EndsOn.gte(today))
        .filter(exclusion::Column::EndsOn.lte(horizon))
        .all(db)
        .await?;
    let flagged_breaches = breach::Entity::find()
        .filter(breach::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .filter(breach::Column::Outcome.eq(BreachOutcome::Pending))
        .filter(breach::Column::FlaggedForReview.eq(true))
        .all(db)
        .await?;
    let filed_contacts = filed_correspondence(db, principal, None).await?;
    let unsent_letters = letter::Entity::find()
        .filter(letter::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .filter(letter::Column::SentAt.is_null())
        .all(db)
        .await?;
    Ok(DeadlineFacts {
        open_cases,
        warning_periods,
        appealed_cases,
        temporary_exclusions,
        flagged_breaches,
        filed_contacts,
        unsent_letters,
    })
}

/// Correspondence placed on file (5.2) that no manager has read, in `principal`'s services,
/// oldest first (at most `limit`).
pub async fn filed_correspondence<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    limit: Option<u64>,
) -> ApiResult<Vec<contact::Model>> {
    let mut query = contact::Entity::find()
        .filter(contact::Column::Outcome.eq(ContactOutcome::PlacedOnFile))
        .filter(contact::Column::FiledReviewedAt.is_null())
        .filter(in_services(principal, contact::Column::ServiceId))
        .order_by_asc(contact::Column::OccurredAt);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.all(db).await?)
}

/// The working-days calendar with the council's closure days.
pub async fn calendar<C: ConnectionTrait>(db: &C) -> Result<Calendar, DbErr> {
    Ok(Calendar::new(
        closure_day::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.day),
    ))
}

/// The template new letters of `kind` in `language` use: the newest active version, or the
/// built-in default (`None` id).
pub async fn active_template<C: ConnectionTrait>(
    db: &C,
    kind: LetterKind,
    language: Language,
) -> Result<(Option<i64>, Template), DbErr> {
    let found = letter_template::Entity::find()
        .filter(letter_template::Column::Kind.eq(kind))
        .filter(letter_template::Column::Language.eq(language))
        .filter(letter_template::Column::Active.eq(true))
        .order_by_desc(letter_template::Column::TemplateVersion)
        .one(db)
        .await?;
    Ok(match found {
        Some(t) => (
            Some(t.id),
            Template {
                subject: t.subject,
                body: t.body,
            },
        ),
        None => (None, letters::default_template(kind, language)),
    })
}

/// The highest number after `prefix` among `column`'s values (0 if none); references are
/// zero-padded, so the longest, then greatest, value is the highest.
async fn highest_reference<E, C>(db: &C, column: E::Column, prefix: &str) -> Result<u32, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let value: Option<String> = E::find()
        .select_only()
        .column(column)
        .filter(Expr::col(column).like(format!("{prefix}%")))
        .order_by_desc(Expr::cust("length(reference)"))
        .order_by_desc(column)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(value
        .and_then(|v| v.get(prefix.len()..).and_then(|n| n.parse::<u32>().ok()))
        .unwrap_or(0))
}

/// The next case reference for `year`, e.g. `UPC-2026-0007`.
pub async fn next_case_reference<C: ConnectionTrait>(db: &C, year: i32) -> Result<String, DbErr> {
    let prefix = format!("UPC-{year}-");
    let n =
        highest_reference::<upc_case::Entity, _>(db, upc_case::Column::Reference, &prefix).await?;
    Ok(format!("{prefix}{:04}", n + 1))
}

/// The next customer reference, e.g. `C-000042`.
pub async fn next_customer_reference<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    let n = highest_reference::<customer::Entity, _>(db, customer::Column::Reference, "C-").await?;
    Ok(format!("C-{:06}", n + 1))
}
