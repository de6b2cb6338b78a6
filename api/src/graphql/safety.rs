//! Health & Safety (policy section 3) and recording (section 4): what happens when a member of
//! staff is threatened, an abusive call is ended, abusive calls become harassment, a customer is
//! excluded from premises, the police are told, or a customer asks to record a conversation.
//!
//! Each mutation is one transaction with one audit event and an optional idempotency key, acts
//! only on cases the caller may see, and only in the caller's own services (5.4). The records
//! are read on the `Case` (`hsIncidents`, `exclusions`, `policeReferrals`, `callTerminations`,
//! `harassmentReferrals`, `recordingRequests`); their free text, references and names are
//! restricted to council staff (never elected Members or the Standards Committee).
//!
//! Exclusions: in force from `starts_on`, until `ends_on` when there is one, unless `lifted_on`
//! is set (it is never in the future); the contact check and deadlines read them that way.

use std::collections::{BTreeSet, HashMap};

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::enums::{
    CaseStage, CaseStatus, ContactChannel, CustomerKind, ExclusionAgreedByRole, ExclusionKind,
    Language, PoliceReferralReason,
};
use entities::{
    call_termination, contact, customer, establishment, exclusion, exclusion_establishment,
    harassment_referral, harassment_referral_call, hs_incident, police_referral, recording_request,
    service, upc_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, Change};
use crate::auth::Role::{self, *};
use crate::authz::{RequestContext, caller};
use crate::desk::check::exclusion_in_force;
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;
use crate::graphql::loaders::{CaseChild, CaseLoader};
use crate::graphql::steps::{
    NewCustomerInput, not_future, optional, parse_enum, required, service_code, today, visible_case,
};
use crate::lifecycle::store::{
    Idempotency, Versioned, next_case_reference, next_customer_reference, remember, replayed,
    update_versioned,
};

// ---------------------------------------------------------------------------------------------
// Who may do what (the policy table in `authz/policy.rs` names these).

/// Staff of a service, who report a threat (3.1) and note a terminated call (3.4).
pub const SERVICE_STAFF_REPORTERS: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
];
/// Who excludes a customer from premises at once, temporarily, on imminent risk (3.2).
pub const TEMPORARY_EXCLUDERS: &[Role] = &[ServiceManager];
/// Who agrees a long-term exclusion (3.2): their call records the agreement.
pub const LONG_TERM_AGREERS: &[Role] = &[HeadOfService, ServiceDirector];
/// Who lifts an exclusion early: the Service manager a temporary one; the Head of Service or
/// Service Director any.
pub const EXCLUSION_LIFTERS: &[Role] = &[ServiceManager, HeadOfService, ServiceDirector];
/// Who formally records the incident with its HS V1 form reference (3.3).
pub const HS_V1_RECORDERS: &[Role] = &[ServiceManager];
/// Who records a report to the police (3.3 ii, 3.5).
pub const POLICE_REFERRERS: &[Role] = &[ServiceManager, HeadOfService, ServiceDirector];
/// Who refers repeated abusive calls to the Head of Service as harassment (3.5).
pub const HARASSMENT_REFERRERS: &[Role] = &[ServiceManager];
/// Who reports a harassment referral to the police (3.5).
pub const HARASSMENT_REPORTERS: &[Role] = &[HeadOfService];
/// Who logs appeals (6.1): Legal Services.
pub const EXCLUSION_APPEAL_LOGGERS: &[Role] = &[LegalServices];
/// Who records a customer's request to record a conversation (4.1, 4.2): staff, and elected
/// Members on the cases they reported.
pub const RECORDING_RECORDERS: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    ElectedMember,
];

/// May `principal` act with one of `roles` in service `code`? Service roles act in their own
/// services only (5.4); Legal Services in every service; an elected Member wherever they may
/// see the case (the row scope has already decided that).
pub fn may_act(principal: &crate::auth::Principal, roles: &[Role], code: &str) -> bool {
    roles.iter().any(|role| {
        principal.has_role(*role)
            && (matches!(role, LegalServices | ElectedMember) || principal.in_service(code))
    })
}

fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `FORBIDDEN` unless the caller holds one of `roles` in the service of `case`.
async fn authorise(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    roles: &[Role],
    case: &upc_case::Model,
    what: &str,
) -> ApiResult<String> {
    let code = service_code(txn, case.service_id).await?;
    if may_act(&request.principal, roles, &code) {
        return Ok(code);
    }
    Err(ApiError::Forbidden(format!(
        "{what} needs the role {} in the case's service ({code})",
        role_list(roles)
    )))
}

// ---------------------------------------------------------------------------------------------
// Versioned updates of this module's tables.

macro_rules! versioned_here {
    ($($module:ident),* $(,)?) => {
        $(
            impl Versioned for $module::Entity {
                fn id_column() -> Self::Column {
                    $module::Column::Id
                }
                fn version_column() -> Self::Column {
                    $module::Column::Version
                }
            }
        )*
    };
}

versioned_here!(hs_incident, exclusion, harassment_referral);

impl CaseChild for recording_request::Entity {
    fn case_column() -> Self::Column {
        recording_request::Column::CaseId
    }
    fn order_column() -> Self::Column {
        recording_request::Column::RequestedAt
    }
    fn id_column() -> Self::Column {
        recording_request::Column::Id
    }
    fn case_of(model: &Self::Model) -> i64 {
        model.case_id.unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// API types.

fn id(n: i64) -> ID {
    ID(n.to_string())
}

/// A member of staff's written report of feeling threatened by a customer (3.1), and the HS V1
/// incident form the Service manager records it on (3.3).
#[derive(SimpleObject, Clone)]
pub struct HsIncident {
    /// Opaque id.
    pub id: ID,
    /// The case it is filed on.
    pub case_id: ID,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Whether there is an imminent risk of harm (3.2): the Service manager may then exclude at
    /// once.
    pub imminent_risk: bool,
    /// Whether the HS V1 form reference has been recorded (3.3).
    pub hs_v1_recorded: bool,
    /// Row version: send it back with `recordHsV1Reference`.
    pub version: i64,
    /// Why the member of staff felt threatened (restricted free text).
    pub reasons: Option<String>,
    /// Who reported it: their sign-in subject (restricted).
    pub reported_by: Option<String>,
    /// The HS V1 incident report form's reference (restricted).
    pub hs_v1_reference: Option<String>,
}

impl From<hs_incident::Model> for HsIncident {
    fn from(m: hs_incident::Model) -> Self {
        HsIncident {
            id: id(m.id),
            case_id: id(m.case_id),
            reported_at: m.reported_at,
            imminent_risk: m.imminent_risk,
            hs_v1_recorded: m.hs_v1_reference.is_some(),
            version: m.version,
            reasons: Some(m.reasons),
            reported_by: Some(m.reported_by),
            hs_v1_reference: m.hs_v1_reference,
        }
    }
}

/// An exclusion of the customer from named council premises (3.2, 5.6).
#[derive(SimpleObject, Clone)]
pub struct Exclusion {
    /// Opaque id.
    pub id: ID,
    /// The case.
    pub case_id: ID,
    /// `temporary` (Service manager, imminent risk), `long_term` (agreed by the Head of Service
    /// or Service Director) or `permanent`.
    pub kind: String,
    /// Made for Health & Safety reasons: there is no right of appeal against it (3.6).
    pub health_and_safety: bool,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day; always set for a temporary exclusion; none: until lifted.
    pub ends_on: Option<NaiveDate>,
    /// The day it was lifted early.
    pub lifted_on: Option<NaiveDate>,
    /// Whether it is in force today.
    pub in_force: bool,
    /// The premises the customer is excluded from.
    pub establishment_ids: Vec<ID>,
    /// The threat it arises from (3.1).
    pub hs_incident_id: Option<ID>,
    /// `head_of_service` or `service_director`: who agreed it should be long-term (3.2).
    pub agreed_by_role: Option<String>,
    /// When that agreement was recorded.
    pub agreed_at: Option<DateTime<Utc>>,
    /// Row version: send it back with `excludeLongTerm` or `liftExclusion`.
    pub version: i64,
    /// Why the customer was excluded (restricted free text).
    pub reasons: Option<String>,
    /// Who authorised it: sign-in subject (restricted).
    pub authorised_by: Option<String>,
    /// Who agreed it should be long-term: sign-in subject (restricted).
    pub agreed_by: Option<String>,
    /// Why they agreed (restricted free text).
    pub agreement_reasons: Option<String>,
    /// Why it was lifted (restricted free text).
    pub lifted_reason: Option<String>,
}

impl Exclusion {
    fn new(m: exclusion::Model, establishments: Vec<i64>) -> Self {
        Exclusion {
            id: id(m.id),
            case_id: id(m.case_id),
            kind: m.kind.as_str().to_string(),
            health_and_safety: m.health_and_safety,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            lifted_on: m.lifted_on,
            in_force: exclusion_in_force(&m, today()),
            establishment_ids: establishments.into_iter().map(id).collect(),
            hs_incident_id: m.hs_incident_id.map(id),
            agreed_by_role: m.agreed_by_role.map(|r| r.as_str().to_string()),
            agreed_at: m.agreed_at,
            version: m.version,
            reasons: Some(m.reasons),
            authorised_by: Some(m.authorised_by),
            agreed_by: m.agreed_by,
            agreement_reasons: m.agreement_reasons,
            lifted_reason: m.lifted_reason,
        }
    }
}

/// A report of a matter to the police (3.3 ii, 3.5).
#[derive(SimpleObject, Clone)]
pub struct PoliceReferral {
    /// Opaque id.
    pub id: ID,
    /// The case.
    pub case_id: ID,
    /// The threat it arises from, if any (3.1).
    pub hs_incident_id: Option<ID>,
    /// Date reported to the police.
    pub referred_on: NaiveDate,
    /// Row version.
    pub version: i64,
    /// `harassment` (3.5), `assault` (3.5), `threat` (3.3) or `other` (restricted).
    pub reason: Option<String>,
    /// The police's reference (restricted).
    pub police_reference: Option<String>,
    /// Details (restricted free text).
    pub notes: Option<String>,
    /// Who reported it: sign-in subject (restricted).
    pub referred_by: Option<String>,
}

impl From<police_referral::Model> for PoliceReferral {
    fn from(m: police_referral::Model) -> Self {
        PoliceReferral {
            id: id(m.id),
            case_id: id(m.case_id),
            hs_incident_id: m.hs_incident_id.map(id),
            referred_on: m.referred_on,
            version: m.version,
            reason: Some(m.reason.as_str().to_string()),
            police_reference: m.police_reference,
            notes: m.notes,
            referred_by: Some(m.referred_by),
        }
    }
}

/// The case-file note of a telephone call staff ended after a warning (3.4).
#[derive(SimpleObject, Clone)]
pub struct CallTermination {
    /// Opaque id.
    pub id: ID,
    /// The case.
    pub case_id: ID,
    /// The logged telephone contact, if any.
    pub contact_id: Option<ID>,
    /// When the call was ended.
    pub terminated_at: DateTime<Utc>,
    /// Row version.
    pub version: i64,
    /// The warning given that the call would be ended (restricted free text).
    pub warning_given: Option<String>,
    /// Why the call was ended (restricted free text).
    pub reason: Option<String>,
    /// Who ended it: sign-in subject (restricted).
    pub terminated_by: Option<String>,
}

impl From<call_termination::Model> for CallTermination {
    fn from(m: call_termination::Model) -> Self {
        CallTermination {
            id: id(m.id),
            case_id: id(m.case_id),
            contact_id: m.contact_id.map(id),
            terminated_at: m.terminated_at,
            version: m.version,
            warning_given: Some(m.warning_given),
            reason: Some(m.reason),
            terminated_by: Some(m.terminated_by),
        }
    }
}

/// Repeated abusive calls referred by the Service manager to the Head of Service as harassment,
/// to be reported to the police (3.5).
#[derive(SimpleObject, Clone)]
pub struct HarassmentReferral {
    /// Opaque id.
    pub id: ID,
    /// The case.
    pub case_id: ID,
    /// When it was referred.
    pub referred_at: DateTime<Utc>,
    /// The terminated calls it rests on (3.4).
    pub call_termination_ids: Vec<ID>,
    /// The report to the police, once the Head of Service has made it.
    pub police_referral_id: Option<ID>,
    /// Whether the Head of Service has reported it to the police.
    pub reported_to_police: bool,
    /// Row version: send it back with `reportHarassmentToPolice`.
    pub version: i64,
    /// Why the calls are deemed harassment (restricted free text).
    pub reasons: Option<String>,
    /// The Head of Service it was referred to (restricted).
    pub referred_to: Option<String>,
    /// Who referred it: sign-in subject (restricted).
    pub referred_by: Option<String>,
}

impl HarassmentReferral {
    fn new(m: harassment_referral::Model, calls: Vec<i64>) -> Self {
        HarassmentReferral {
            id: id(m.id),
            case_id: id(m.case_id),
            referred_at: m.referred_at,
            call_termination_ids: calls.into_iter().map(id).collect(),
            police_referral_id: m.police_referral_id.map(id),
            reported_to_police: m.police_referral_id.is_some(),
            version: m.version,
            reasons: Some(m.reasons),
            referred_to: Some(m.referred_to),
            referred_by: Some(m.referred_by),
        }
    }
}

/// A customer's request to record a meeting or call, and the answer (4.1, 4.2). An agreed
/// recording is for the customer's personal use only and must not be shared (4.3).
#[derive(SimpleObject, Clone)]
pub struct RecordingRequest {
    /// Opaque id.
    pub id: ID,
    /// The case.
    pub case_id: Option<ID>,
    /// When the customer asked.
    pub requested_at: DateTime<Utc>,
    /// Whether the member of staff or elected Member agreed (4.2: there is no obligation to).
    pub agreed: bool,
    /// Row version.
    pub version: i64,
    /// The meeting or call to be recorded (restricted free text).
    pub context: Option<String>,
    /// The member of staff or elected Member asked (restricted).
    pub staff_member: Option<String>,
    /// Why they refused (restricted free text).
    pub refusal_reason: Option<String>,
}

impl From<recording_request::Model> for RecordingRequest {
    fn from(m: recording_request::Model) -> Self {
        RecordingRequest {
            id: id(m.id),
            case_id: m.case_id.map(id),
            requested_at: m.requested_at,
            agreed: m.agreed,
            version: m.version,
            context: Some(m.context),
            staff_member: Some(m.staff_member),
            refusal_reason: m.refusal_reason,
        }
    }
}

/// A case's Health & Safety and recording records as timeline entries (time, kind, record id,
/// summary). Summaries carry no names, references or free text (8.2).
pub struct SafetyRecords {
    /// Threats reported (3.1).
    pub incidents: Vec<hs_incident::Model>,
    /// Exclusions from premises (3.2).
    pub exclusions: Vec<exclusion::Model>,
    /// Reports to the police (3.3, 3.5).
    pub police: Vec<police_referral::Model>,
    /// Terminated calls (3.4).
    pub calls: Vec<call_termination::Model>,
    /// Harassment referrals (3.5).
    pub harassment: Vec<harassment_referral::Model>,
    /// Recording requests (4).
    pub recordings: Vec<recording_request::Model>,
}

impl SafetyRecords {
    /// The timeline entries: (when, kind, record id, summary).
    pub fn timeline(&self) -> Vec<(DateTime<Utc>, &'static str, i64, String)> {
        let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
        let mut out = Vec::new();
        for i in &self.incidents {
            let risk = if i.imminent_risk {
                "; imminent risk of harm"
            } else {
                ""
            };
            out.push((
                i.reported_at,
                "threat_reported",
                i.id,
                format!("threat to staff reported in writing{risk}"),
            ));
        }
        for e in &self.exclusions {
            let why = if e.health_and_safety {
                " (Health & Safety: no appeal)"
            } else {
                ""
            };
            let until = e
                .ends_on
                .map_or_else(|| "until lifted".to_string(), |d| format!("to {d}"));
            // A temporary exclusion later made long-term was agreed after it was made.
            let made_long_term = e.agreed_at.filter(|at| *at > e.created_at);
            let imposed = if made_long_term.is_some() {
                format!(
                    "temporary exclusion from premises from {}{why}",
                    e.starts_on
                )
            } else {
                let kind = e.kind.as_str().replace('_', " ");
                format!(
                    "{kind} exclusion from premises from {} {until}{why}",
                    e.starts_on
                )
            };
            out.push((e.created_at, "exclusion_imposed", e.id, imposed));
            if let (Some(at), Some(role)) = (made_long_term, e.agreed_by_role) {
                out.push((
                    at,
                    "exclusion_made_long_term",
                    e.id,
                    format!(
                        "exclusion made long-term {until}, agreed by the {}",
                        role.as_str().replace('_', " ")
                    ),
                ));
            }
            if let Some(on) = e.lifted_on {
                out.push((
                    std::cmp::max(midnight(on), e.created_at),
                    "exclusion_lifted",
                    e.id,
                    format!("exclusion lifted from {on}"),
                ));
            }
        }
        for p in &self.police {
            out.push((
                std::cmp::max(midnight(p.referred_on), p.created_at),
                "police_referral",
                p.id,
                format!("reported to the police on {}", p.referred_on),
            ));
        }
        for c in &self.calls {
            out.push((
                c.terminated_at,
                "call_terminated",
                c.id,
                "call ended after a warning".to_string(),
            ));
        }
        for h in &self.harassment {
            out.push((
                h.referred_at,
                "harassment_referred",
                h.id,
                "abusive calls referred to the Head of Service as harassment".to_string(),
            ));
        }
        for r in &self.recordings {
            let answer = if r.agreed { "agreed" } else { "refused" };
            out.push((
                r.requested_at,
                "recording_request",
                r.id,
                format!("request to record a conversation {answer}"),
            ));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Batched loading of the link rows, for a whole page of cases.

/// The establishments of one exclusion.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EstablishmentsOf(pub i64);

impl Loader<EstablishmentsOf> for CaseLoader {
    type Value = Vec<i64>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[EstablishmentsOf],
    ) -> Result<HashMap<EstablishmentsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut out: HashMap<EstablishmentsOf, Vec<i64>> = HashMap::new();
        for row in exclusion_establishment::Entity::find()
            .filter(exclusion_establishment::Column::ExclusionId.is_in(ids))
            .order_by_asc(exclusion_establishment::Column::EstablishmentId)
            .all(self.db())
            .await?
        {
            out.entry(EstablishmentsOf(row.exclusion_id))
                .or_default()
                .push(row.establishment_id);
        }
        Ok(out)
    }
}

/// The terminated calls of one harassment referral.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallsOf(pub i64);

impl Loader<CallsOf> for CaseLoader {
    type Value = Vec<i64>;
    type Error = ApiError;

    async fn load(&self, keys: &[CallsOf]) -> Result<HashMap<CallsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut out: HashMap<CallsOf, Vec<i64>> = HashMap::new();
        for row in harassment_referral_call::Entity::find()
            .filter(harassment_referral_call::Column::HarassmentReferralId.is_in(ids))
            .order_by_asc(harassment_referral_call::Column::CallTerminationId)
            .all(self.db())
            .await?
        {
            out.entry(CallsOf(row.harassment_referral_id))
                .or_default()
                .push(row.call_termination_id);
        }
        Ok(out)
    }
}

/// The API view of a case's exclusions, their establishments loaded in one batch.
pub async fn exclusion_views(
    ctx: &Context<'_>,
    rows: Vec<exclusion::Model>,
) -> ApiResult<Vec<Exclusion>> {
    let loader = ctx.data_unchecked::<crate::graphql::loaders::CaseDataLoader>();
    let mut links = loader
        .load_many(rows.iter().map(|r| EstablishmentsOf(r.id)))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let establishments = links.remove(&EstablishmentsOf(r.id)).unwrap_or_default();
            Exclusion::new(r, establishments)
        })
        .collect())
}

/// The API view of a case's harassment referrals, their calls loaded in one batch.
pub async fn harassment_views(
    ctx: &Context<'_>,
    rows: Vec<harassment_referral::Model>,
) -> ApiResult<Vec<HarassmentReferral>> {
    let loader = ctx.data_unchecked::<crate::graphql::loaders::CaseDataLoader>();
    let mut links = loader.load_many(rows.iter().map(|r| CallsOf(r.id))).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let calls = links.remove(&CallsOf(r.id)).unwrap_or_default();
            HarassmentReferral::new(r, calls)
        })
        .collect())
}

async fn establishments_of(txn: &DatabaseTransaction, exclusion_id: i64) -> ApiResult<Vec<i64>> {
    Ok(exclusion_establishment::Entity::find()
        .filter(exclusion_establishment::Column::ExclusionId.eq(exclusion_id))
        .order_by_asc(exclusion_establishment::Column::EstablishmentId)
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.establishment_id)
        .collect())
}

async fn calls_of(txn: &DatabaseTransaction, referral_id: i64) -> ApiResult<Vec<i64>> {
    Ok(harassment_referral_call::Entity::find()
        .filter(harassment_referral_call::Column::HarassmentReferralId.eq(referral_id))
        .order_by_asc(harassment_referral_call::Column::CallTerminationId)
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.call_termination_id)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/// A member of staff's written report of feeling threatened by a customer (3.1). Name an open
/// case (`caseId`), or the customer (`customerId` or `newCustomer`) and the service
/// (`serviceCode`): it is filed on the customer's open case in that service, or opens one.
#[derive(InputObject, Serialize)]
pub struct ReportThreatInput {
    /// An open case; or give the customer and the service instead.
    pub case_id: Option<ID>,
    /// An existing customer, with `serviceCode`.
    pub customer_id: Option<ID>,
    /// A customer not yet on the system, with `serviceCode`.
    pub new_customer: Option<NewCustomerInput>,
    /// The service whose staff were threatened (with `customerId` or `newCustomer`).
    pub service_code: Option<String>,
    /// Why the member of staff felt threatened, in their words (3.1).
    pub reasons: String,
    /// Whether there is an imminent risk of harm (3.2).
    pub imminent_risk: bool,
}

/// A temporary exclusion from named premises, at once, by the Service manager where the threat
/// carries an imminent risk of harm (3.2).
#[derive(InputObject, Serialize)]
pub struct ExcludeTemporarilyInput {
    /// The threat reported (3.1); it must record an imminent risk of harm. The exclusion goes on
    /// its case.
    pub hs_incident_id: ID,
    /// The premises (one or more): the service's own or shared buildings, never another
    /// service's (5.4).
    pub establishment_ids: Vec<ID>,
    /// First day: today (the default) or earlier, never later ("at once").
    pub starts_on: Option<NaiveDate>,
    /// Last day: required, on or after the first day and not in the past. Longer needs
    /// `excludeLongTerm`.
    pub ends_on: Option<NaiveDate>,
    /// Why (restricted free text).
    pub reasons: String,
}

/// A long-term exclusion, agreed by the Head of Service or Service Director who calls this (3.2):
/// either an existing temporary exclusion made long-term (`exclusionId` and `version`, keeping
/// its premises), or a new one (`hsIncidentId` or `caseId`, with `establishmentIds`).
#[derive(InputObject, Serialize)]
pub struct ExcludeLongTermInput {
    /// A temporary exclusion in force to make long-term.
    pub exclusion_id: Option<ID>,
    /// Its version, as you read it (with `exclusionId`).
    pub version: Option<i64>,
    /// For a new exclusion: the threat it arises from (required when it is for Health &
    /// Safety).
    pub hs_incident_id: Option<ID>,
    /// For a new exclusion not made for Health & Safety: the case.
    pub case_id: Option<ID>,
    /// For a new exclusion: the premises (the service's own or shared buildings).
    pub establishment_ids: Option<Vec<ID>>,
    /// For a new exclusion: made for Health & Safety reasons (default true; such an exclusion
    /// cannot be appealed, 3.6).
    pub health_and_safety: Option<bool>,
    /// For a new exclusion: first day (default today).
    pub starts_on: Option<NaiveDate>,
    /// Last day, not in the past; none: until lifted.
    pub ends_on: Option<NaiveDate>,
    /// Why it should be long-term (restricted free text).
    pub reasons: String,
}

/// Lift an exclusion early.
#[derive(InputObject, Serialize)]
pub struct LiftExclusionInput {
    /// The exclusion, in force.
    pub exclusion_id: ID,
    /// Its version, as you read it.
    pub version: i64,
    /// The first day it no longer applies: today (the default) or earlier, not before it
    /// started.
    pub lifted_on: Option<NaiveDate>,
    /// Why (restricted free text).
    pub reasons: String,
}

/// The HS V1 incident form's reference, recorded by the Service manager (3.3).
#[derive(InputObject, Serialize)]
pub struct RecordHsV1ReferenceInput {
    /// The threat reported (3.1).
    pub hs_incident_id: ID,
    /// Its version, as you read it.
    pub version: i64,
    /// The HS V1 form's reference.
    pub hs_v1_reference: String,
}

/// A report of a matter to the police (3.3 ii; 3.5: any assault is reported).
#[derive(InputObject, Serialize)]
pub struct RecordPoliceReferralInput {
    /// The case; or give `hsIncidentId` and it is the incident's case.
    pub case_id: Option<ID>,
    /// The threat it arises from, if any (3.1).
    pub hs_incident_id: Option<ID>,
    /// Date reported to the police (not in the future).
    pub referred_on: NaiveDate,
    /// The police's reference, when they gave one.
    pub police_reference: Option<String>,
    /// `threat` (3.3), `assault` (3.5), `harassment` (3.5) or `other` (say what in `notes`).
    pub reason: String,
    /// Details; required when the reason is `other`.
    pub notes: Option<String>,
}

/// The case-file note of a call ended after a warning (3.4). Name the case, or the customer and
/// service as for `reportThreat`.
#[derive(InputObject, Serialize)]
pub struct RecordCallTerminationInput {
    /// An open case; or give the customer and the service instead.
    pub case_id: Option<ID>,
    /// An existing customer, with `serviceCode`.
    pub customer_id: Option<ID>,
    /// A customer not yet on the system, with `serviceCode`.
    pub new_customer: Option<NewCustomerInput>,
    /// The service called (with `customerId` or `newCustomer`).
    pub service_code: Option<String>,
    /// The logged telephone contact with this customer and service, if it was logged.
    pub contact_id: Option<ID>,
    /// When the call was ended (not in the future).
    pub terminated_at: DateTime<Utc>,
    /// The warning given that the call would be ended if the behaviour continued (3.4).
    pub warning_given: String,
    /// Why the call was ended (3.4).
    pub reason: String,
}

/// Repeated abusive calls referred by the Service manager to the Head of Service as harassment
/// (3.5).
#[derive(InputObject, Serialize)]
pub struct ReferHarassmentInput {
    /// The case.
    pub case_id: ID,
    /// The terminated calls (3.4) on this case that the referral rests on: one or more.
    pub call_termination_ids: Vec<ID>,
    /// The Head of Service referred to.
    pub referred_to: String,
    /// Why the calls amount to harassment.
    pub reasons: String,
}

/// The Head of Service's report to the police of a harassment referral (3.5).
#[derive(InputObject, Serialize)]
pub struct ReportHarassmentToPoliceInput {
    /// The harassment referral.
    pub harassment_referral_id: ID,
    /// Its version, as you read it.
    pub version: i64,
    /// Date reported to the police (not in the future, not before the referral).
    pub referred_on: NaiveDate,
    /// The police's reference, when they gave one.
    pub police_reference: Option<String>,
    /// Details.
    pub notes: Option<String>,
}

/// A customer's appeal against an exclusion, as Legal Services would log it. Always refused:
/// there is no right of appeal against a Health & Safety exclusion (3.6), and the policy gives
/// appeals only against the Stage 1 warning (6.1).
#[derive(InputObject, Serialize)]
pub struct LogExclusionAppealInput {
    /// The exclusion appealed against.
    pub exclusion_id: ID,
    /// Date Legal Services received it.
    pub received_on: NaiveDate,
    /// The customer's grounds.
    pub grounds: String,
}

/// A customer's request to record a meeting or call, and the answer (4.1, 4.2).
#[derive(InputObject, Serialize)]
pub struct RecordRecordingRequestInput {
    /// The case.
    pub case_id: ID,
    /// When the customer asked (not in the future).
    pub requested_at: DateTime<Utc>,
    /// The meeting or call they wanted to record.
    pub context: String,
    /// The member of staff or elected Member asked; default you.
    pub staff_member: Option<String>,
    /// Whether they agreed (4.2: there is no obligation to). An agreed recording is for the
    /// customer's personal use only (4.3).
    pub agreed: bool,
    /// Why they refused: required when `agreed` is false, not allowed when true.
    pub refusal_reason: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shared steps.

/// A record that belongs to a case: an idempotent replay is only returned if the caller may
/// still see that case.
trait OnCase {
    fn case_id(&self) -> Option<i64>;
}

macro_rules! on_case {
    ($($module:ident),*) => {
        $(impl OnCase for $module::Model {
            fn case_id(&self) -> Option<i64> {
                Some(self.case_id)
            }
        })*
    };
}

on_case!(
    hs_incident,
    exclusion,
    police_referral,
    call_termination,
    harassment_referral
);

impl OnCase for recording_request::Model {
    fn case_id(&self) -> Option<i64> {
        self.case_id
    }
}

/// A mutation's transaction, with the first result if this is an idempotent replay.
async fn open<M>(
    ctx: &Context<'_>,
    key: &Option<Idempotency>,
) -> ApiResult<(DatabaseTransaction, Option<M>)>
where
    M: serde::de::DeserializeOwned + OnCase,
{
    let request = caller(ctx)?;
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let txn = db.begin().await?;
    let first = replayed::<M, _>(&txn, request, key).await?;
    if let Some(m) = &first
        && let Some(case_id) = m.case_id()
    {
        visible_case(&txn, request, case_id).await?;
    }
    Ok((txn, first))
}

/// Write the audit event and the idempotency key, and commit.
async fn commit<T: Serialize>(
    txn: DatabaseTransaction,
    request: &RequestContext,
    key: &Option<Idempotency>,
    change: Change<'_>,
    result_type: &str,
    result_id: i64,
    result: &T,
) -> ApiResult<()> {
    audit::record(&txn, request, change).await?;
    remember(&txn, request, key, result_type, result_id, result).await?;
    txn.commit().await?;
    Ok(())
}

fn json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// An open case of a service, named as `caseId` or as the customer and service code.
struct CaseTarget<'a> {
    case_id: Option<&'a ID>,
    customer_id: Option<&'a ID>,
    new_customer: Option<&'a NewCustomerInput>,
    service_code: Option<&'a str>,
}

/// The open case `target` names, after checking the caller holds one of `roles` in its service:
/// the case named, or the customer's open case in the service, or a new case at stage
/// `reported` (as `reportBehaviour` opens one). Returns the case and whether it was opened now
/// (with the customer if that is new too).
async fn target_case(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    roles: &[Role],
    what: &str,
    target: CaseTarget<'_>,
) -> ApiResult<(upc_case::Model, Option<serde_json::Value>)> {
    if let Some(case_id) = target.case_id {
        if target.customer_id.is_some()
            || target.new_customer.is_some()
            || target.service_code.is_some()
        {
            return Err(ApiError::bad_input(
                "caseId",
                "give either caseId, or the customer and serviceCode, not both",
            ));
        }
        let case = visible_case(txn, request, parse_id("caseId", case_id)?).await?;
        authorise(txn, request, roles, &case, what).await?;
        if case.status != CaseStatus::Open {
            return Err(ApiError::bad_input(
                "caseId",
                format!(
                    "case {} is closed: name the customer and serviceCode to open a new case",
                    case.reference
                ),
            ));
        }
        return Ok((case, None));
    }
    let code = target.service_code.map(str::trim).unwrap_or_default();
    if code.is_empty() {
        return Err(ApiError::bad_input(
            "serviceCode",
            "give caseId, or the customer with serviceCode",
        ));
    }
    let service = service::Entity::find()
        .filter(service::Column::Code.eq(code))
        .one(txn)
        .await?
        .ok_or_else(|| {
            ApiError::bad_input("serviceCode", format!("no service with code {code}"))
        })?;
    if !may_act(&request.principal, roles, &service.code) {
        return Err(ApiError::Forbidden(format!(
            "{what} needs the role {} in {}",
            role_list(roles),
            service.code
        )));
    }
    let now = Utc::now();
    let (customer, new_customer) = match (target.customer_id, target.new_customer) {
        (Some(id), None) => {
            let id = parse_id("customerId", id)?;
            let found = customer::Entity::find_by_id(id)
                .one(txn)
                .await?
                .ok_or_else(|| ApiError::bad_input("customerId", format!("no customer {id}")))?;
            (found, false)
        }
        (None, Some(new)) => {
            let kind = match &new.kind {
                None => CustomerKind::Person,
                Some(k) => parse_enum("newCustomer.kind", k, CustomerKind::ALL)?,
            };
            let language = match &new.preferred_language {
                None => Language::En,
                Some(l) => parse_enum("newCustomer.preferredLanguage", l, Language::ALL)?,
            };
            let created = customer::ActiveModel {
                reference: Set(next_customer_reference(txn).await?),
                kind: Set(kind),
                display_name: Set(required("newCustomer.displayName", &new.display_name)?),
                address: Set(optional("newCustomer.address", new.address.as_deref())?),
                email: Set(optional("newCustomer.email", new.email.as_deref())?),
                phone: Set(optional("newCustomer.phone", new.phone.as_deref())?),
                preferred_language: Set(language),
                disability_or_unmet_need_noted: Set(None),
                version: Set(1),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            (created, true)
        }
        _ => {
            return Err(ApiError::bad_input(
                "customerId",
                "give exactly one of customerId and newCustomer",
            ));
        }
    };
    if let Some(open) = upc_case::Entity::find()
        .filter(upc_case::Column::CustomerId.eq(customer.id))
        .filter(upc_case::Column::ServiceId.eq(service.id))
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .one(txn)
        .await?
    {
        return Ok((open, None));
    }
    let case = upc_case::ActiveModel {
        reference: Set(next_case_reference(txn, now.year()).await?),
        customer_id: Set(customer.id),
        service_id: Set(service.id),
        stage: Set(CaseStage::Reported),
        status: Set(CaseStatus::Open),
        opened_at: Set(now),
        closed_at: Set(None),
        closure_reason: Set(None),
        appeal_deadline: Set(None),
        review_due_on: Set(None),
        flagged_for_review: Set(false),
        flag_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict("another case was opened at the same moment; retry".into())
        }
        _ => e.into(),
    })?;
    let opened = if new_customer {
        serde_json::json!({"case": case, "customer": customer})
    } else {
        serde_json::json!({"case": case})
    };
    Ok((case, Some(opened)))
}

/// The threat `hs_incident_id` on a case the caller may see, read in `txn`.
async fn visible_incident(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    field: &str,
    hs_incident_id: &ID,
) -> ApiResult<(hs_incident::Model, upc_case::Model)> {
    let id = parse_id(field, hs_incident_id)?;
    let not_found = || ApiError::NotFound(format!("no incident {id} that you may see"));
    let incident = hs_incident::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    let case = visible_case(txn, request, incident.case_id)
        .await
        .map_err(|_| not_found())?;
    Ok((incident, case))
}

/// The exclusion `exclusion_id` on a case the caller may see, read in `txn`.
async fn visible_exclusion(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    exclusion_id: &ID,
) -> ApiResult<(exclusion::Model, upc_case::Model)> {
    let id = parse_id("exclusionId", exclusion_id)?;
    let not_found = || ApiError::NotFound(format!("no exclusion {id} that you may see"));
    let found = exclusion::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    let case = visible_case(txn, request, found.case_id)
        .await
        .map_err(|_| not_found())?;
    Ok((found, case))
}

/// Refuse a step on a closed case.
fn open_case(case: &upc_case::Model, field: &str) -> ApiResult<()> {
    if case.status == CaseStatus::Open {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            field,
            format!("case {} is closed", case.reference),
        ))
    }
}

/// The premises named for an exclusion on `case`: one or more, no repeats, each existing, open,
/// and the case's service's own or a shared building, never another service's (5.4).
async fn check_establishments(
    txn: &DatabaseTransaction,
    case: &upc_case::Model,
    ids: &[ID],
) -> ApiResult<Vec<i64>> {
    const FIELD: &str = "establishmentIds";
    if ids.is_empty() {
        return Err(ApiError::bad_input(
            FIELD,
            "name at least one establishment (3.2)",
        ));
    }
    let mut out = BTreeSet::new();
    for raw in ids {
        let id = parse_id(FIELD, raw)?;
        if !out.insert(id) {
            return Err(ApiError::bad_input(
                FIELD,
                format!("establishment {id} is listed more than once"),
            ));
        }
        let e = establishment::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::bad_input(FIELD, format!("no establishment {id}")))?;
        if !e.active {
            return Err(ApiError::bad_input(
                FIELD,
                format!("establishment {id} ({}) has closed", e.name),
            ));
        }
        if e.service_id.is_some_and(|s| s != case.service_id) {
            return Err(ApiError::bad_input(
                FIELD,
                format!(
                    "establishment {id} ({}) is another service's premises: an exclusion applies to the case's service only (5.4)",
                    e.name
                ),
            ));
        }
    }
    Ok(out.into_iter().collect())
}

async fn link_establishments(
    txn: &DatabaseTransaction,
    exclusion_id: i64,
    establishments: &[i64],
) -> ApiResult<()> {
    let now = Utc::now();
    for e in establishments {
        exclusion_establishment::ActiveModel {
            exclusion_id: Set(exclusion_id),
            establishment_id: Set(*e),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// An end date that is not before `starts_on` and not in the past.
fn check_ends_on(ends_on: NaiveDate, starts_on: NaiveDate) -> ApiResult<NaiveDate> {
    if ends_on < starts_on {
        return Err(ApiError::bad_input(
            "endsOn",
            format!("endsOn ({ends_on}) is before the first day ({starts_on})"),
        ));
    }
    if ends_on < today() {
        return Err(ApiError::bad_input(
            "endsOn",
            format!("endsOn ({ends_on}) is in the past"),
        ));
    }
    Ok(ends_on)
}

/// Refuse a time more than five minutes ahead of the server's clock.
fn not_future_time(field: &str, at: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    if at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(ApiError::bad_input(
            field,
            format!("{field} is in the future"),
        ));
    }
    Ok(at)
}

/// The agreeing role of a caller who holds `head_of_service` or `service_director` in `code`.
fn agreeing_role(
    principal: &crate::auth::Principal,
    code: &str,
) -> ApiResult<ExclusionAgreedByRole> {
    if !principal.in_service(code) {
        return Err(ApiError::Forbidden(format!(
            "a long-term exclusion is agreed by the Head of Service or Service Director of the case's service ({code}) (3.2)"
        )));
    }
    if principal.has_role(HeadOfService) {
        Ok(ExclusionAgreedByRole::HeadOfService)
    } else if principal.has_role(ServiceDirector) {
        Ok(ExclusionAgreedByRole::ServiceDirector)
    } else {
        Err(ApiError::Forbidden(
            "a long-term exclusion needs the agreement of the Head of Service or Service Director (3.2): a Service manager alone may only exclude temporarily".into(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations.

/// Health & Safety (section 3) and recording (section 4) mutations.
#[derive(Default)]
pub struct SafetyMutation;

#[Object]
impl SafetyMutation {
    /// A member of staff reports in writing that a customer threatened them, with the reasons
    /// (3.1), and whether there is an imminent risk of harm (3.2). Any member of the service's
    /// staff. Filed on the named open case, or on the customer's open case in the service, or
    /// opens a new case at stage `reported`.
    async fn report_threat(
        &self,
        ctx: &Context<'_>,
        input: ReportThreatInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HsIncident> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "reportThreat", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let (txn, first) = open::<hs_incident::Model>(ctx, &key).await?;
        if let Some(first) = first {
            return Ok(first.into());
        }
        let (case, opened) = target_case(
            &txn,
            request,
            SERVICE_STAFF_REPORTERS,
            "reportThreat",
            CaseTarget {
                case_id: input.case_id.as_ref(),
                customer_id: input.customer_id.as_ref(),
                new_customer: input.new_customer.as_ref(),
                service_code: input.service_code.as_deref(),
            },
        )
        .await?;
        let now = Utc::now();
        let incident = hs_incident::ActiveModel {
            case_id: Set(case.id),
            reported_by: Set(request.principal.subject.clone()),
            reported_at: Set(now),
            reasons: Set(reasons),
            imminent_risk: Set(input.imminent_risk),
            hs_v1_reference: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let change = Change {
            action: "hs_incident.report",
            entity_type: "hs_incident",
            entity_id: incident.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(&serde_json::json!({"incident": incident, "opened": opened})),
            reason: None,
        };
        commit(
            txn,
            request,
            &key,
            change,
            "hs_incident",
            incident.id,
            &incident,
        )
        .await?;
        Ok(incident.into())
    }

    /// The Service manager excludes the customer from named premises at once, temporarily,
    /// with an end date, where a reported threat carries an imminent risk of harm (3.2). Made
    /// for Health & Safety reasons: it cannot be appealed (3.6). Longer needs the agreement of
    /// the Head of Service or Service Director (`excludeLongTerm`).
    async fn exclude_temporarily(
        &self,
        ctx: &Context<'_>,
        input: ExcludeTemporarilyInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Exclusion> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "excludeTemporarily", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let starts_on = not_future("startsOn", input.starts_on.unwrap_or_else(today))?;
        let Some(ends_on) = input.ends_on else {
            return Err(ApiError::bad_input(
                "endsOn",
                "a temporary exclusion needs an end date (3.2); a longer one needs the agreement of the Head of Service or Service Director (excludeLongTerm)",
            ));
        };
        let ends_on = check_ends_on(ends_on, starts_on)?;
        let (txn, first) = open::<exclusion::Model>(ctx, &key).await?;
        if let Some(first) = first {
            let establishments = establishments_of(&txn, first.id).await?;
            return Ok(Exclusion::new(first, establishments));
        }
        let (incident, case) =
            visible_incident(&txn, request, "hsIncidentId", &input.hs_incident_id).await?;
        authorise(
            &txn,
            request,
            TEMPORARY_EXCLUDERS,
            &case,
            "excludeTemporarily",
        )
        .await?;
        open_case(&case, "hsIncidentId")?;
        if !incident.imminent_risk {
            return Err(ApiError::bad_input(
                "hsIncidentId",
                format!(
                    "incident {} records no imminent risk of harm: a temporary exclusion at once is only for imminent risk (3.2)",
                    incident.id
                ),
            ));
        }
        let establishments = check_establishments(&txn, &case, &input.establishment_ids).await?;
        let now = Utc::now();
        let created = exclusion::ActiveModel {
            case_id: Set(case.id),
            kind: Set(ExclusionKind::Temporary),
            health_and_safety: Set(true),
            starts_on: Set(starts_on),
            ends_on: Set(Some(ends_on)),
            reasons: Set(reasons.clone()),
            authorised_by: Set(request.principal.subject.clone()),
            agreed_by: Set(None),
            agreed_by_role: Set(None),
            agreed_at: Set(None),
            agreement_reasons: Set(None),
            hs_incident_id: Set(Some(incident.id)),
            lifted_on: Set(None),
            lifted_reason: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        link_establishments(&txn, created.id, &establishments).await?;
        let change = Change {
            action: "exclusion.temporary",
            entity_type: "exclusion",
            entity_id: created.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(
                &serde_json::json!({"exclusion": created, "establishment_ids": establishments}),
            ),
            reason: Some(reasons),
        };
        commit(
            txn,
            request,
            &key,
            change,
            "exclusion",
            created.id,
            &created,
        )
        .await?;
        Ok(Exclusion::new(created, establishments))
    }

    /// A long-term exclusion from premises, agreed by the Head of Service or Service Director
    /// of the case's service, who calls this: their agreement is recorded (3.2). Either makes a
    /// temporary exclusion in force long-term, or makes a new one. A Service manager alone is
    /// refused (`FORBIDDEN`).
    async fn exclude_long_term(
        &self,
        ctx: &Context<'_>,
        input: ExcludeLongTermInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Exclusion> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "excludeLongTerm", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let (txn, first) = open::<exclusion::Model>(ctx, &key).await?;
        if let Some(first) = first {
            let establishments = establishments_of(&txn, first.id).await?;
            return Ok(Exclusion::new(first, establishments));
        }
        let now = Utc::now();
        if let Some(exclusion_id) = &input.exclusion_id {
            // Make an existing temporary exclusion long-term.
            if input.hs_incident_id.is_some()
                || input.case_id.is_some()
                || input.establishment_ids.is_some()
                || input.health_and_safety.is_some()
                || input.starts_on.is_some()
            {
                return Err(ApiError::bad_input(
                    "exclusionId",
                    "with exclusionId give only version, endsOn and reasons: the exclusion keeps its case, premises and first day",
                ));
            }
            let Some(version) = input.version else {
                return Err(ApiError::bad_input(
                    "version",
                    "give the exclusion's version as you read it",
                ));
            };
            let (found, case) = visible_exclusion(&txn, request, exclusion_id).await?;
            let code =
                authorise(&txn, request, LONG_TERM_AGREERS, &case, "excludeLongTerm").await?;
            let role = agreeing_role(&request.principal, &code)?;
            if found.version != version {
                return Err(crate::lifecycle::store::stale(
                    "exclusion",
                    found.id,
                    version,
                ));
            }
            if found.kind != ExclusionKind::Temporary || !exclusion_in_force(&found, today()) {
                return Err(ApiError::bad_input(
                    "exclusionId",
                    format!(
                        "exclusion {} is not a temporary exclusion in force; make a new long-term exclusion instead",
                        found.id
                    ),
                ));
            }
            let ends_on = match input.ends_on {
                None => None,
                Some(day) => Some(check_ends_on(day, found.starts_on)?),
            };
            let after = update_versioned::<exclusion::Entity>(
                &txn,
                found.id,
                found.version,
                exclusion::ActiveModel {
                    kind: Set(ExclusionKind::LongTerm),
                    ends_on: Set(ends_on),
                    agreed_by: Set(Some(request.principal.subject.clone())),
                    agreed_by_role: Set(Some(role)),
                    agreed_at: Set(Some(now)),
                    agreement_reasons: Set(Some(reasons.clone())),
                    ..Default::default()
                },
                "exclusion",
            )
            .await?;
            let establishments = establishments_of(&txn, after.id).await?;
            let change = Change {
                action: "exclusion.long_term",
                entity_type: "exclusion",
                entity_id: after.id.to_string(),
                case_id: Some(case.id),
                before: json(&found),
                after: json(&after),
                reason: Some(reasons),
            };
            commit(txn, request, &key, change, "exclusion", after.id, &after).await?;
            return Ok(Exclusion::new(after, establishments));
        }
        // A new long-term exclusion.
        if input.version.is_some() {
            return Err(ApiError::bad_input(
                "version",
                "version goes with exclusionId",
            ));
        }
        let health_and_safety = input.health_and_safety.unwrap_or(true);
        let (incident, case) = match (&input.hs_incident_id, &input.case_id) {
            (Some(incident_id), None) => {
                let (incident, case) =
                    visible_incident(&txn, request, "hsIncidentId", incident_id).await?;
                (Some(incident), case)
            }
            (None, Some(case_id)) if !health_and_safety => (
                None,
                visible_case(&txn, request, parse_id("caseId", case_id)?).await?,
            ),
            (None, Some(_)) => {
                return Err(ApiError::bad_input(
                    "hsIncidentId",
                    "an exclusion for Health & Safety reasons names the threat it arises from (hsIncidentId, 3.1, 3.6)",
                ));
            }
            _ => {
                return Err(ApiError::bad_input(
                    "hsIncidentId",
                    "give exclusionId, hsIncidentId, or caseId (for an exclusion not made for Health & Safety)",
                ));
            }
        };
        let code = authorise(&txn, request, LONG_TERM_AGREERS, &case, "excludeLongTerm").await?;
        let role = agreeing_role(&request.principal, &code)?;
        open_case(&case, "caseId")?;
        let starts_on = input.starts_on.unwrap_or_else(today);
        let ends_on = match input.ends_on {
            None => None,
            Some(day) => Some(check_ends_on(day, starts_on)?),
        };
        let establishments = check_establishments(
            &txn,
            &case,
            input.establishment_ids.as_deref().unwrap_or_default(),
        )
        .await?;
        let created = exclusion::ActiveModel {
            case_id: Set(case.id),
            kind: Set(ExclusionKind::LongTerm),
            health_and_safety: Set(health_and_safety),
            starts_on: Set(starts_on),
            ends_on: Set(ends_on),
            reasons: Set(reasons.clone()),
            authorised_by: Set(request.principal.subject.clone()),
            agreed_by: Set(Some(request.principal.subject.clone())),
            agreed_by_role: Set(Some(role)),
            agreed_at: Set(Some(now)),
            agreement_reasons: Set(Some(reasons.clone())),
            hs_incident_id: Set(incident.map(|i| i.id)),
            lifted_on: Set(None),
            lifted_reason: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        link_establishments(&txn, created.id, &establishments).await?;
        let change = Change {
            action: "exclusion.long_term",
            entity_type: "exclusion",
            entity_id: created.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(
                &serde_json::json!({"exclusion": created, "establishment_ids": establishments}),
            ),
            reason: Some(reasons),
        };
        commit(
            txn,
            request,
            &key,
            change,
            "exclusion",
            created.id,
            &created,
        )
        .await?;
        Ok(Exclusion::new(created, establishments))
    }

    /// Lift an exclusion in force early, with the reasons: a temporary one by the Service
    /// manager, Head of Service or Service Director; a long-term or permanent one by the Head of
    /// Service or Service Director.
    async fn lift_exclusion(
        &self,
        ctx: &Context<'_>,
        input: LiftExclusionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Exclusion> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "liftExclusion", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let lifted_on = not_future("liftedOn", input.lifted_on.unwrap_or_else(today))?;
        let (txn, first) = open::<exclusion::Model>(ctx, &key).await?;
        if let Some(first) = first {
            let establishments = establishments_of(&txn, first.id).await?;
            return Ok(Exclusion::new(first, establishments));
        }
        let (found, case) = visible_exclusion(&txn, request, &input.exclusion_id).await?;
        let roles = if found.kind == ExclusionKind::Temporary {
            EXCLUSION_LIFTERS
        } else {
            LONG_TERM_AGREERS
        };
        authorise(&txn, request, roles, &case, "liftExclusion").await?;
        if found.version != input.version {
            return Err(crate::lifecycle::store::stale(
                "exclusion",
                found.id,
                input.version,
            ));
        }
        if found.lifted_on.is_some() || !exclusion_in_force(&found, today()) {
            return Err(ApiError::bad_input(
                "exclusionId",
                format!("exclusion {} is not in force", found.id),
            ));
        }
        if lifted_on < found.starts_on {
            return Err(ApiError::bad_input(
                "liftedOn",
                format!(
                    "liftedOn ({lifted_on}) is before the exclusion started ({})",
                    found.starts_on
                ),
            ));
        }
        let after = update_versioned::<exclusion::Entity>(
            &txn,
            found.id,
            found.version,
            exclusion::ActiveModel {
                lifted_on: Set(Some(lifted_on)),
                lifted_reason: Set(Some(reasons.clone())),
                ..Default::default()
            },
            "exclusion",
        )
        .await?;
        let establishments = establishments_of(&txn, after.id).await?;
        let change = Change {
            action: "exclusion.lift",
            entity_type: "exclusion",
            entity_id: after.id.to_string(),
            case_id: Some(case.id),
            before: json(&found),
            after: json(&after),
            reason: Some(reasons),
        };
        commit(txn, request, &key, change, "exclusion", after.id, &after).await?;
        Ok(Exclusion::new(after, establishments))
    }

    /// The Service manager records the HS V1 incident form's reference against a reported
    /// threat (3.3). A correction carries the version read.
    async fn record_hs_v1_reference(
        &self,
        ctx: &Context<'_>,
        input: RecordHsV1ReferenceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HsIncident> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "recordHsV1Reference", &input)?;
        let reference = required("hsV1Reference", &input.hs_v1_reference)?;
        if reference.len() > 100 {
            return Err(ApiError::bad_input(
                "hsV1Reference",
                "an HS V1 reference is at most 100 characters",
            ));
        }
        let (txn, first) = open::<hs_incident::Model>(ctx, &key).await?;
        if let Some(first) = first {
            return Ok(first.into());
        }
        let (incident, case) =
            visible_incident(&txn, request, "hsIncidentId", &input.hs_incident_id).await?;
        authorise(&txn, request, HS_V1_RECORDERS, &case, "recordHsV1Reference").await?;
        let after = update_versioned::<hs_incident::Entity>(
            &txn,
            incident.id,
            input.version,
            hs_incident::ActiveModel {
                hs_v1_reference: Set(Some(reference)),
                ..Default::default()
            },
            "incident",
        )
        .await?;
        let change = Change {
            action: "hs_incident.record_hs_v1",
            entity_type: "hs_incident",
            entity_id: after.id.to_string(),
            case_id: Some(case.id),
            before: json(&incident),
            after: json(&after),
            reason: None,
        };
        commit(txn, request, &key, change, "hs_incident", after.id, &after).await?;
        Ok(after.into())
    }

    /// Record a report to the police (3.3 ii; 3.5: any physical or verbal assault is reported):
    /// the date, the police's reference and the reason. Service manager, Head of Service or
    /// Service Director of the case's service.
    async fn record_police_referral(
        &self,
        ctx: &Context<'_>,
        input: RecordPoliceReferralInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<PoliceReferral> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "recordPoliceReferral", &input)?;
        let reason = parse_enum("reason", &input.reason, PoliceReferralReason::ALL)?;
        let referred_on = not_future("referredOn", input.referred_on)?;
        let police_reference = optional("policeReference", input.police_reference.as_deref())?;
        let notes = optional("notes", input.notes.as_deref())?;
        if reason == PoliceReferralReason::Other && notes.is_none() {
            return Err(ApiError::bad_input(
                "notes",
                "say in notes why it was reported when the reason is `other`",
            ));
        }
        let (txn, first) = open::<police_referral::Model>(ctx, &key).await?;
        if let Some(first) = first {
            return Ok(first.into());
        }
        let (incident, case) = match (&input.hs_incident_id, &input.case_id) {
            (Some(incident_id), case_id) => {
                let (incident, case) =
                    visible_incident(&txn, request, "hsIncidentId", incident_id).await?;
                if let Some(case_id) = case_id
                    && parse_id("caseId", case_id)? != case.id
                {
                    return Err(ApiError::bad_input(
                        "caseId",
                        format!("incident {} is on another case", incident.id),
                    ));
                }
                (Some(incident), case)
            }
            (None, Some(case_id)) => (
                None,
                visible_case(&txn, request, parse_id("caseId", case_id)?).await?,
            ),
            (None, None) => {
                return Err(ApiError::bad_input("caseId", "give caseId or hsIncidentId"));
            }
        };
        authorise(
            &txn,
            request,
            POLICE_REFERRERS,
            &case,
            "recordPoliceReferral",
        )
        .await?;
        let now = Utc::now();
        let created = police_referral::ActiveModel {
            case_id: Set(case.id),
            hs_incident_id: Set(incident.map(|i| i.id)),
            referred_on: Set(referred_on),
            police_reference: Set(police_reference),
            reason: Set(reason),
            referred_by: Set(request.principal.subject.clone()),
            notes: Set(notes),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let change = Change {
            action: "police_referral.record",
            entity_type: "police_referral",
            entity_id: created.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(&created),
            reason: None,
        };
        commit(
            txn,
            request,
            &key,
            change,
            "police_referral",
            created.id,
            &created,
        )
        .await?;
        Ok(created.into())
    }

    /// A member of staff notes on the case file a telephone call they ended: the warning given
    /// that it would be ended, and why it was (3.4). Any member of the service's staff. Filed on
    /// the named open case, the customer's open case in the service, or a new case.
    async fn record_call_termination(
        &self,
        ctx: &Context<'_>,
        input: RecordCallTerminationInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CallTermination> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "recordCallTermination", &input)?;
        let warning_given = required("warningGiven", &input.warning_given)?;
        let reason = required("reason", &input.reason)?;
        let terminated_at = not_future_time("terminatedAt", input.terminated_at)?;
        let (txn, first) = open::<call_termination::Model>(ctx, &key).await?;
        if let Some(first) = first {
            return Ok(first.into());
        }
        let (case, opened) = target_case(
            &txn,
            request,
            SERVICE_STAFF_REPORTERS,
            "recordCallTermination",
            CaseTarget {
                case_id: input.case_id.as_ref(),
                customer_id: input.customer_id.as_ref(),
                new_customer: input.new_customer.as_ref(),
                service_code: input.service_code.as_deref(),
            },
        )
        .await?;
        let contact_id = match &input.contact_id {
            None => None,
            Some(raw) => {
                let id = parse_id("contactId", raw)?;
                let c = contact::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .filter(|c| {
                        c.customer_id == case.customer_id && c.service_id == case.service_id
                    })
                    .ok_or_else(|| {
                        ApiError::bad_input(
                            "contactId",
                            format!("no contact {id} with this customer in the case's service"),
                        )
                    })?;
                if c.channel != ContactChannel::Telephone {
                    return Err(ApiError::bad_input(
                        "contactId",
                        format!("contact {id} was not a telephone call"),
                    ));
                }
                Some(c.id)
            }
        };
        let now = Utc::now();
        let created = call_termination::ActiveModel {
            case_id: Set(case.id),
            contact_id: Set(contact_id),
            warning_given: Set(warning_given),
            reason: Set(reason.clone()),
            terminated_by: Set(request.principal.subject.clone()),
            terminated_at: Set(terminated_at),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let change = Change {
            action: "call_termination.record",
            entity_type: "call_termination",
            entity_id: created.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(&serde_json::json!({"call_termination": created, "opened": opened})),
            reason: Some(reason),
        };
        commit(
            txn,
            request,
            &key,
            change,
            "call_termination",
            created.id,
            &created,
        )
        .await?;
        Ok(created.into())
    }

    /// The Service manager refers repeated abusive calls to the Head of Service as harassment,
    /// to be reported to the police (3.5), naming the terminated calls (3.4) it rests on.
    async fn refer_harassment(
        &self,
        ctx: &Context<'_>,
        input: ReferHarassmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HarassmentReferral> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "referHarassment", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let referred_to = required("referredTo", &input.referred_to)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        if input.call_termination_ids.is_empty() {
            return Err(ApiError::bad_input(
                "callTerminationIds",
                "name the terminated calls (3.4) the referral rests on",
            ));
        }
        let (txn, first) = open::<harassment_referral::Model>(ctx, &key).await?;
        if let Some(first) = first {
            let calls = calls_of(&txn, first.id).await?;
            return Ok(HarassmentReferral::new(first, calls));
        }
        let case = visible_case(&txn, request, case_id).await?;
        authorise(
            &txn,
            request,
            HARASSMENT_REFERRERS,
            &case,
            "referHarassment",
        )
        .await?;
        let mut calls = BTreeSet::new();
        for raw in &input.call_termination_ids {
            let id = parse_id("callTerminationIds", raw)?;
            if !calls.insert(id) {
                return Err(ApiError::bad_input(
                    "callTerminationIds",
                    format!("call {id} is listed more than once"),
                ));
            }
            call_termination::Entity::find_by_id(id)
                .filter(call_termination::Column::CaseId.eq(case.id))
                .one(&txn)
                .await?
                .ok_or_else(|| {
                    ApiError::bad_input(
                        "callTerminationIds",
                        format!("no terminated call {id} on this case"),
                    )
                })?;
        }
        let now = Utc::now();
        let created = harassment_referral::ActiveModel {
            case_id: Set(case.id),
            referred_by: Set(request.principal.subject.clone()),
            referred_to: Set(referred_to),
            referred_at: Set(now),
            reasons: Set(reasons.clone()),
            police_referral_id: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for call in &calls {
            harassment_referral_call::ActiveModel {
                harassment_referral_id: Set(created.id),
                call_termination_id: Set(*call),
                version: Set(1),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        let calls: Vec<i64> = calls.into_iter().collect();
        let change = Change {
            action: "harassment_referral.refer",
            entity_type: "harassment_referral",
            entity_id: created.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(&serde_json::json!({"referral": created, "call_termination_ids": calls})),
            reason: Some(reasons),
        };
        commit(
            txn,
            request,
            &key,
            change,
            "harassment_referral",
            created.id,
            &created,
        )
        .await?;
        Ok(HarassmentReferral::new(created, calls))
    }

    /// The Head of Service reports a harassment referral to the police (3.5): records the
    /// police referral (reason `harassment`) and links it to the referral.
    async fn report_harassment_to_police(
        &self,
        ctx: &Context<'_>,
        input: ReportHarassmentToPoliceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HarassmentReferral> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "reportHarassmentToPolice", &input)?;
        let referred_on = not_future("referredOn", input.referred_on)?;
        let police_reference = optional("policeReference", input.police_reference.as_deref())?;
        let notes = optional("notes", input.notes.as_deref())?;
        let id = parse_id("harassmentReferralId", &input.harassment_referral_id)?;
        let (txn, first) = open::<harassment_referral::Model>(ctx, &key).await?;
        if let Some(first) = first {
            let calls = calls_of(&txn, first.id).await?;
            return Ok(HarassmentReferral::new(first, calls));
        }
        let not_found =
            || ApiError::NotFound(format!("no harassment referral {id} that you may see"));
        let referral = harassment_referral::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(not_found)?;
        let case = visible_case(&txn, request, referral.case_id)
            .await
            .map_err(|_| not_found())?;
        authorise(
            &txn,
            request,
            HARASSMENT_REPORTERS,
            &case,
            "reportHarassmentToPolice",
        )
        .await?;
        if referral.version != input.version {
            return Err(crate::lifecycle::store::stale(
                "harassment referral",
                id,
                input.version,
            ));
        }
        if let Some(existing) = referral.police_referral_id {
            return Err(ApiError::Conflict(format!(
                "harassment referral {id} was already reported to the police (police referral {existing})"
            )));
        }
        if referred_on < referral.referred_at.date_naive() {
            return Err(ApiError::bad_input(
                "referredOn",
                format!(
                    "referredOn ({referred_on}) is before the referral ({})",
                    referral.referred_at.date_naive()
                ),
            ));
        }
        let now = Utc::now();
        let police = police_referral::ActiveModel {
            case_id: Set(case.id),
            hs_incident_id: Set(None),
            referred_on: Set(referred_on),
            police_reference: Set(police_reference),
            reason: Set(PoliceReferralReason::Harassment),
            referred_by: Set(request.principal.subject.clone()),
            notes: Set(notes),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let after = update_versioned::<harassment_referral::Entity>(
            &txn,
            referral.id,
            referral.version,
            harassment_referral::ActiveModel {
                police_referral_id: Set(Some(police.id)),
                ..Default::default()
            },
            "harassment referral",
        )
        .await?;
        let calls = calls_of(&txn, after.id).await?;
        let change = Change {
            action: "harassment_referral.report_to_police",
            entity_type: "harassment_referral",
            entity_id: after.id.to_string(),
            case_id: Some(case.id),
            before: json(&referral),
            after: json(&serde_json::json!({"referral": after, "police_referral": police})),
            reason: None,
        };
        commit(
            txn,
            request,
            &key,
            change,
            "harassment_referral",
            after.id,
            &after,
        )
        .await?;
        Ok(HarassmentReferral::new(after, calls))
    }

    /// Legal Services logs a customer's appeal against an exclusion. Always refused with
    /// `NO_RIGHT_OF_APPEAL`: an exclusion made for Health & Safety reasons has no right of
    /// appeal (3.6); any other exclusion has none either, since the policy gives appeals only
    /// against the Stage 1 warning (6.1, `logAppeal`). Nothing is written.
    async fn log_exclusion_appeal(
        &self,
        ctx: &Context<'_>,
        input: LogExclusionAppealInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Exclusion> {
        let request = caller(ctx)?;
        let _ = Idempotency::new(idempotency_key, "logExclusionAppeal", &input)?;
        required("grounds", &input.grounds)?;
        not_future("receivedOn", input.received_on)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let txn = db.begin().await?;
        let (found, case) = visible_exclusion(&txn, request, &input.exclusion_id).await?;
        authorise(
            &txn,
            request,
            EXCLUSION_APPEAL_LOGGERS,
            &case,
            "logExclusionAppeal",
        )
        .await?;
        Err(if found.health_and_safety {
            ApiError::NoRightOfAppeal(format!(
                "there is no right of appeal against a decision to exclude a person or group from council buildings made for Health & Safety reasons (policy 3.6); exclusion {} was made for Health & Safety",
                found.id
            ))
        } else {
            ApiError::NoRightOfAppeal(format!(
                "the policy gives a right of appeal only against the Stage 1 warning (6.1), logged with logAppeal; there is none against exclusion {}, which is reconsidered at its review (5.6, 7)",
                found.id
            ))
        })
    }

    /// Record a customer's request to record a meeting or call and the answer of the member of
    /// staff or elected Member asked (4.1, 4.2): there is no obligation to agree; a refusal
    /// gives its reason. Staff of the case's service, or an elected Member on a case they
    /// reported. (Recording without asking is covert recording: report it as behaviour,
    /// `covert_recording`, 4.4.)
    async fn record_recording_request(
        &self,
        ctx: &Context<'_>,
        input: RecordRecordingRequestInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<RecordingRequest> {
        let request = caller(ctx)?;
        let key = Idempotency::new(idempotency_key, "recordRecordingRequest", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let context = required("context", &input.context)?;
        let requested_at = not_future_time("requestedAt", input.requested_at)?;
        let staff_member = match optional("staffMember", input.staff_member.as_deref())? {
            Some(name) => name,
            None => request
                .principal
                .name
                .clone()
                .unwrap_or_else(|| request.principal.subject.clone()),
        };
        let refusal_reason = optional("refusalReason", input.refusal_reason.as_deref())?;
        match (input.agreed, &refusal_reason) {
            (false, None) => {
                return Err(ApiError::bad_input(
                    "refusalReason",
                    "say why the recording was refused (4.2)",
                ));
            }
            (true, Some(_)) => {
                return Err(ApiError::bad_input(
                    "refusalReason",
                    "a refusal reason goes only with a refusal",
                ));
            }
            _ => {}
        }
        let (txn, first) = open::<recording_request::Model>(ctx, &key).await?;
        if let Some(first) = first {
            return Ok(first.into());
        }
        let case = visible_case(&txn, request, case_id).await?;
        authorise(
            &txn,
            request,
            RECORDING_RECORDERS,
            &case,
            "recordRecordingRequest",
        )
        .await?;
        let now = Utc::now();
        let created = recording_request::ActiveModel {
            case_id: Set(Some(case.id)),
            customer_id: Set(case.customer_id),
            requested_at: Set(requested_at),
            context: Set(context),
            staff_member: Set(staff_member),
            agreed: Set(input.agreed),
            refusal_reason: Set(refusal_reason.clone()),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let change = Change {
            action: "recording_request.record",
            entity_type: "recording_request",
            entity_id: created.id.to_string(),
            case_id: Some(case.id),
            before: None,
            after: json(&created),
            reason: refusal_reason,
        };
        commit(
            txn,
            request,
            &key,
            change,
            "recording_request",
            created.id,
            &created,
        )
        .await?;
        Ok(created.into())
    }
}
