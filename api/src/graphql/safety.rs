//! Health & Safety (policy section 3) and recording (section 4): what happens when a member of
//! staff is threatened, an abusive call is ended, abusive calls become harassment, a customer is
//! excluded from premises, the police are told, or a customer asks to record a conversation.
//! The rules are in [`crate::domain::safety`] and [`crate::domain::recording`]; each mutation
//! here parses its input and runs it through the request's store session (one transaction, one
//! audit event, an optional idempotency key, only on cases the caller may see and only in the
//! caller's own services, 5.4).
//!
//! The records are read on the `Case` (`hsIncidents`, `exclusions`, `policeReferrals`,
//! `callTerminations`, `harassmentReferrals`, `recordingRequests`); their free text, references
//! and names are restricted to council staff (never elected Members or the Standards
//! Committee).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::PoliceReferralReason;
use entities::{
    call_termination, exclusion, harassment_referral, hs_incident, police_referral,
    recording_request,
};
use serde::Serialize;

use crate::domain::customers::CaseTarget;
use crate::domain::deadlines::exclusion_in_force;
use crate::domain::recording::RecordRecordingRequest;
use crate::domain::safety::{
    ExcludeLongTerm, ExcludeTemporarily, LiftExclusion, LongTermOn, MakeLongTerm, NewLongTerm,
    RecordCallTermination, RecordHsV1, RecordPoliceReferral, ReferHarassment, ReferralOn,
    ReportHarassmentToPolice, ReportThreat,
};
use crate::domain::values::{
    CallTerminationId, CaseId, ContactId, EstablishmentId, ExclusionId, HarassmentReferralId,
    IncidentId, RecordId, Text, choice,
};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{id, parse_id, parse_opt_id};
use crate::graphql::loaders::CaseLoader;
use crate::graphql::steps::{NewCustomerInput, customer_choice, key, session};
use crate::store::reads;

// ---------------------------------------------------------------------------------------------
// API types.

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
    /// The API view of `m`, excluding from `establishments`.
    pub fn new(m: exclusion::Model, establishments: Vec<i64>) -> Self {
        Exclusion {
            id: id(m.id),
            case_id: id(m.case_id),
            kind: m.kind.as_str().to_string(),
            health_and_safety: m.health_and_safety,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            lifted_on: m.lifted_on,
            in_force: exclusion_in_force(&m, Utc::now().date_naive()),
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
    /// The API view of `m`, resting on `calls`.
    pub fn new(m: harassment_referral::Model, calls: Vec<i64>) -> Self {
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
        Ok(reads::premises_of(self.db(), &ids)
            .await?
            .into_iter()
            .map(|(id, premises)| (EstablishmentsOf(id), premises))
            .collect())
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
        Ok(reads::calls_of(self.db(), &ids)
            .await?
            .into_iter()
            .map(|(id, calls)| (CallsOf(id), calls))
            .collect())
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
// Parsing at the edge.

/// The case a record is filed on: `caseId`, or the customer and `serviceCode`.
fn target(
    case_id: Option<&ID>,
    customer_id: Option<&ID>,
    new_customer: Option<&NewCustomerInput>,
    service_code: Option<&str>,
) -> ApiResult<CaseTarget> {
    if let Some(case_id) = case_id {
        if customer_id.is_some() || new_customer.is_some() || service_code.is_some() {
            return Err(ApiError::bad_input(
                "caseId",
                "give either caseId, or the customer and serviceCode, not both",
            ));
        }
        return Ok(CaseTarget::Case(parse_id::<CaseId>("caseId", case_id)?));
    }
    let code = service_code.map(str::trim).unwrap_or_default();
    if code.is_empty() {
        return Err(ApiError::bad_input(
            "serviceCode",
            "give caseId, or the customer with serviceCode",
        ));
    }
    Ok(CaseTarget::Customer {
        customer: customer_choice(customer_id, new_customer)?,
        service_code: code.to_string(),
    })
}

/// The establishments named, as typed ids (repeats are the domain's to refuse).
fn establishment_ids(ids: &[ID]) -> ApiResult<Vec<EstablishmentId>> {
    ids.iter()
        .map(|raw| parse_id::<EstablishmentId>("establishmentIds", raw))
        .collect()
}

/// The API view of an exclusion and its premises.
fn exclusion_view((e, premises): (exclusion::Model, Vec<i64>)) -> Exclusion {
    Exclusion::new(e, premises)
}

/// The API view of a harassment referral and its calls.
fn referral_view((r, calls): (harassment_referral::Model, Vec<i64>)) -> HarassmentReferral {
    HarassmentReferral::new(r, calls)
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
        let key = key(idempotency_key, "reportThreat", &input)?;
        let cmd = ReportThreat {
            reasons: Text::parse("reasons", &input.reasons)?,
            imminent_risk: input.imminent_risk,
            target: target(
                input.case_id.as_ref(),
                input.customer_id.as_ref(),
                input.new_customer.as_ref(),
                input.service_code.as_deref(),
            )?,
        };
        Ok(session(ctx)?.report_threat(cmd, key).await?.into())
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
        let key = key(idempotency_key, "excludeTemporarily", &input)?;
        let cmd = ExcludeTemporarily {
            reasons: Text::parse("reasons", &input.reasons)?,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            establishments: establishment_ids(&input.establishment_ids)?,
        };
        let incident = parse_id::<IncidentId>("hsIncidentId", &input.hs_incident_id)?;
        let s = session(ctx)?;
        Ok(exclusion_view(
            s.exclude_temporarily(incident, cmd, key).await?,
        ))
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
        let key = key(idempotency_key, "excludeLongTerm", &input)?;
        let reasons = Text::parse("reasons", &input.reasons)?;
        let cmd = if let Some(exclusion_id) = &input.exclusion_id {
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
            ExcludeLongTerm::Existing(
                parse_id::<ExclusionId>("exclusionId", exclusion_id)?,
                MakeLongTerm {
                    version,
                    ends_on: input.ends_on,
                    reasons,
                },
            )
        } else {
            if input.version.is_some() {
                return Err(ApiError::bad_input(
                    "version",
                    "version goes with exclusionId",
                ));
            }
            let health_and_safety = input.health_and_safety.unwrap_or(true);
            let on = match (&input.hs_incident_id, &input.case_id) {
                (Some(incident), None) => {
                    LongTermOn::Incident(parse_id::<IncidentId>("hsIncidentId", incident)?)
                }
                (None, Some(case)) if !health_and_safety => {
                    LongTermOn::Case(parse_id::<CaseId>("caseId", case)?)
                }
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
            ExcludeLongTerm::New(
                on,
                NewLongTerm {
                    health_and_safety,
                    establishments: establishment_ids(
                        input.establishment_ids.as_deref().unwrap_or_default(),
                    )?,
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                    reasons,
                },
            )
        };
        Ok(exclusion_view(
            session(ctx)?.exclude_long_term(cmd, key).await?,
        ))
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
        let key = key(idempotency_key, "liftExclusion", &input)?;
        let cmd = LiftExclusion {
            reasons: Text::parse("reasons", &input.reasons)?,
            version: input.version,
            lifted_on: input.lifted_on,
        };
        let id = parse_id::<ExclusionId>("exclusionId", &input.exclusion_id)?;
        Ok(exclusion_view(
            session(ctx)?.lift_exclusion(id, cmd, key).await?,
        ))
    }

    /// The Service manager records the HS V1 incident form's reference against a reported
    /// threat (3.3). A correction carries the version read.
    async fn record_hs_v1_reference(
        &self,
        ctx: &Context<'_>,
        input: RecordHsV1ReferenceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HsIncident> {
        let key = key(idempotency_key, "recordHsV1Reference", &input)?;
        let cmd = RecordHsV1 {
            version: input.version,
            reference: Text::parse("hsV1Reference", &input.hs_v1_reference)?,
        };
        let incident = parse_id::<IncidentId>("hsIncidentId", &input.hs_incident_id)?;
        let s = session(ctx)?;
        Ok(s.record_hs_v1_reference(incident, cmd, key).await?.into())
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
        let key = key(idempotency_key, "recordPoliceReferral", &input)?;
        let cmd = RecordPoliceReferral {
            reason: choice("reason", &input.reason, PoliceReferralReason::ALL)?,
            referred_on: input.referred_on,
            police_reference: Text::optional("policeReference", input.police_reference.as_deref())?,
            notes: Text::optional("notes", input.notes.as_deref())?,
        };
        let on = ReferralOn {
            incident: parse_opt_id::<IncidentId>("hsIncidentId", input.hs_incident_id.as_ref())?,
            case: parse_opt_id::<CaseId>("caseId", input.case_id.as_ref())?,
        };
        let s = session(ctx)?;
        Ok(s.record_police_referral(on, cmd, key).await?.into())
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
        let key = key(idempotency_key, "recordCallTermination", &input)?;
        let cmd = RecordCallTermination {
            warning_given: Text::parse("warningGiven", &input.warning_given)?,
            reason: Text::parse("reason", &input.reason)?,
            terminated_at: input.terminated_at,
            target: target(
                input.case_id.as_ref(),
                input.customer_id.as_ref(),
                input.new_customer.as_ref(),
                input.service_code.as_deref(),
            )?,
            contact: parse_opt_id::<ContactId>("contactId", input.contact_id.as_ref())?,
        };
        Ok(session(ctx)?
            .record_call_termination(cmd, key)
            .await?
            .into())
    }

    /// The Service manager refers repeated abusive calls to the Head of Service as harassment,
    /// to be reported to the police (3.5), naming the terminated calls (3.4) it rests on.
    async fn refer_harassment(
        &self,
        ctx: &Context<'_>,
        input: ReferHarassmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HarassmentReferral> {
        let key = key(idempotency_key, "referHarassment", &input)?;
        let reasons = Text::parse("reasons", &input.reasons)?;
        let referred_to = Text::parse("referredTo", &input.referred_to)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let mut calls = Vec::new();
        for raw in &input.call_termination_ids {
            calls.push(parse_id::<CallTerminationId>("callTerminationIds", raw)?.get());
        }
        let cmd = ReferHarassment {
            calls,
            referred_to,
            reasons,
        };
        Ok(referral_view(
            session(ctx)?.refer_harassment(case, cmd, key).await?,
        ))
    }

    /// The Head of Service reports a harassment referral to the police (3.5): records the
    /// police referral (reason `harassment`) and links it to the referral.
    async fn report_harassment_to_police(
        &self,
        ctx: &Context<'_>,
        input: ReportHarassmentToPoliceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<HarassmentReferral> {
        let key = key(idempotency_key, "reportHarassmentToPolice", &input)?;
        let cmd = ReportHarassmentToPolice {
            version: input.version,
            referred_on: input.referred_on,
            police_reference: Text::optional("policeReference", input.police_reference.as_deref())?,
            notes: Text::optional("notes", input.notes.as_deref())?,
        };
        let id = parse_id::<HarassmentReferralId>(
            "harassmentReferralId",
            &input.harassment_referral_id,
        )?;
        let s = session(ctx)?;
        Ok(referral_view(
            s.report_harassment_to_police(id, cmd, key).await?,
        ))
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
        let _ = key(idempotency_key, "logExclusionAppeal", &input)?;
        Text::parse("grounds", &input.grounds)?;
        let s = session(ctx)?;
        crate::domain::values::not_future("receivedOn", input.received_on, s.now.date_naive())?;
        let id = parse_id::<ExclusionId>("exclusionId", &input.exclusion_id)?;
        let refused = s.log_exclusion_appeal(id).await?;
        Ok(Exclusion::new(refused, Vec::new()))
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
        let key = key(idempotency_key, "recordRecordingRequest", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = RecordRecordingRequest {
            context: Text::parse("context", &input.context)?,
            requested_at: input.requested_at,
            staff_member: Text::optional("staffMember", input.staff_member.as_deref())?,
            agreed: input.agreed,
            refusal_reason: Text::optional("refusalReason", input.refusal_reason.as_deref())?,
        };
        let s = session(ctx)?;
        Ok(s.record_recording_request(case, cmd, key).await?.into())
    }
}
