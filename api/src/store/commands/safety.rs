//! Health & Safety (3) and recording (4): each returns the record written.

use entities::{
    call_termination, exclusion, harassment_referral, hs_incident, police_referral,
    recording_request,
};

use super::{Opened, ready};
use crate::domain::DomainError;
use crate::domain::appeals;
use crate::domain::recording::{self, RecordRecordingRequest};
use crate::domain::safety::{
    self, ExcludeLongTerm, ExcludeTemporarily, LiftExclusion, LongTermBasis, LongTermOn,
    RecordCallTermination, RecordHsV1, RecordPoliceReferral, ReferHarassment, ReferralBasis,
    ReferralOn, ReportHarassmentToPolice, ReportThreat,
};
use crate::domain::values::{
    CaseId, EstablishmentId, ExclusionId, HarassmentReferralId, IncidentId, RecordId,
};
use crate::error::ApiResult;
use crate::store::{Database, Idempotency, Session, UnitOfWork, facts};

/// An exclusion and its premises (in id order).
pub type ExclusionWithPremises = (exclusion::Model, Vec<i64>);
/// A harassment referral and the calls it rests on (in id order).
pub type ReferralWithCalls = (harassment_referral::Model, Vec<i64>);

fn ids(named: &[EstablishmentId]) -> Vec<i64> {
    named.iter().map(|id| id.get()).collect()
}

impl<'a, C: Database> Session<'a, C> {
    /// Open a command whose result is a record on a case.
    async fn open_record<M>(&self, key: Option<Idempotency>) -> ApiResult<Opened<'a, C, M>>
    where
        M: serde::de::DeserializeOwned + OnCase,
    {
        self.open(key, |m: &M| m.case_id()).await
    }

    /// Apply, and commit with the `n`-th created (or the first changed) row of kind `M` as
    /// the result.
    async fn finish_record<M>(
        &self,
        mut uow: UnitOfWork<'a, C>,
        outcome: crate::domain::Outcome,
        table: &str,
    ) -> ApiResult<M>
    where
        M: TryFrom<crate::domain::outcome::Row> + serde::Serialize + HasId,
    {
        let applied = uow.apply(outcome).await?;
        let record: M = applied.written()?;
        uow.commit(table, record.id(), &record).await?;
        Ok(record)
    }

    /// Report a threat to staff (3.1).
    pub async fn report_threat(
        &self,
        cmd: ReportThreat,
        key: Option<Idempotency>,
    ) -> ApiResult<hs_incident::Model> {
        let uow = ready!(self.open_record::<hs_incident::Model>(key).await?);
        let target = facts::target_facts(uow.txn(), self.actor(), &cmd.target).await?;
        let outcome = safety::report_threat(cmd, target, self.actor(), self.now)?;
        self.finish_record(uow, outcome, "hs_incident").await
    }

    /// Exclude from premises at once, temporarily (3.2).
    pub async fn exclude_temporarily(
        &self,
        incident: IncidentId,
        cmd: ExcludeTemporarily,
        key: Option<Idempotency>,
    ) -> ApiResult<ExclusionWithPremises> {
        cmd.period(self.now.date_naive(), self.settings)?;
        let uow = match self.open_record::<exclusion::Model>(key).await? {
            Opened::Replayed(first) => return self.with_premises(first).await,
            Opened::Ready(uow) => uow,
        };
        let found = facts::incident(uow.txn(), self.actor(), incident.get()).await?;
        let premises = facts::establishments_named(uow.txn(), &ids(&cmd.establishments)).await?;
        let outcome = safety::exclude_temporarily(
            cmd,
            &found,
            &premises,
            self.actor(),
            self.settings,
            self.now,
        )?;
        self.finish_exclusion(uow, outcome).await
    }

    /// A long-term exclusion, agreed by the Head of Service or Service Director (3.2).
    pub async fn exclude_long_term(
        &self,
        cmd: ExcludeLongTerm,
        key: Option<Idempotency>,
    ) -> ApiResult<ExclusionWithPremises> {
        let uow = match self.open_record::<exclusion::Model>(key).await? {
            Opened::Replayed(first) => return self.with_premises(first).await,
            Opened::Ready(uow) => uow,
        };
        let outcome = match cmd {
            ExcludeLongTerm::Existing(id, cmd) => {
                let found = facts::exclusion(uow.txn(), self.actor(), id.get()).await?;
                safety::make_long_term(cmd, &found, self.actor(), self.now)?
            }
            ExcludeLongTerm::New(on, cmd) => {
                let basis = match on {
                    LongTermOn::Incident(id) => {
                        let found = facts::incident(uow.txn(), self.actor(), id.get()).await?;
                        LongTermBasis {
                            incident: Some(found.record),
                            case: found.case,
                            service_code: found.service_code,
                        }
                    }
                    LongTermOn::Case(id) => {
                        let case = facts::visible_case(uow.txn(), self.actor(), id.get()).await?;
                        let service_code = facts::service_code(uow.txn(), case.service_id).await?;
                        LongTermBasis {
                            incident: None,
                            case,
                            service_code,
                        }
                    }
                };
                let premises =
                    facts::establishments_named(uow.txn(), &ids(&cmd.establishments)).await?;
                safety::new_long_term(cmd, &basis, &premises, self.actor(), self.now)?
            }
        };
        self.finish_exclusion(uow, outcome).await
    }

    /// Lift an exclusion early.
    pub async fn lift_exclusion(
        &self,
        id: ExclusionId,
        cmd: LiftExclusion,
        key: Option<Idempotency>,
    ) -> ApiResult<ExclusionWithPremises> {
        cmd.lifted_on(self.now.date_naive())?;
        let uow = match self.open_record::<exclusion::Model>(key).await? {
            Opened::Replayed(first) => return self.with_premises(first).await,
            Opened::Ready(uow) => uow,
        };
        let found = facts::exclusion(uow.txn(), self.actor(), id.get()).await?;
        let outcome = safety::lift_exclusion(cmd, &found, self.actor(), self.now)?;
        self.finish_exclusion(uow, outcome).await
    }

    async fn with_premises(&self, e: exclusion::Model) -> ApiResult<ExclusionWithPremises> {
        let premises = facts::establishments_of(self.db, e.id).await?;
        Ok((e, premises))
    }

    async fn finish_exclusion(
        &self,
        uow: UnitOfWork<'a, C>,
        outcome: crate::domain::Outcome,
    ) -> ApiResult<ExclusionWithPremises> {
        let premises = outcome.created.iter().find_map(|new| match new {
            crate::domain::outcome::New::Exclusion { establishments, .. } => {
                Some(establishments.clone())
            }
            _ => None,
        });
        let e: exclusion::Model = self.finish_record(uow, outcome, "exclusion").await?;
        match premises {
            Some(p) => Ok((e, p)),
            None => self.with_premises(e).await,
        }
    }

    /// Record the HS V1 form's reference (3.3).
    pub async fn record_hs_v1_reference(
        &self,
        incident: IncidentId,
        cmd: RecordHsV1,
        key: Option<Idempotency>,
    ) -> ApiResult<hs_incident::Model> {
        cmd.validate()?;
        let uow = ready!(self.open_record::<hs_incident::Model>(key).await?);
        let found = facts::incident(uow.txn(), self.actor(), incident.get()).await?;
        let outcome = safety::record_hs_v1(cmd, &found, self.actor())?;
        self.finish_record(uow, outcome, "hs_incident").await
    }

    /// Record a report to the police (3.3 ii, 3.5).
    pub async fn record_police_referral(
        &self,
        on: ReferralOn,
        cmd: RecordPoliceReferral,
        key: Option<Idempotency>,
    ) -> ApiResult<police_referral::Model> {
        cmd.validate(self.now.date_naive())?;
        let uow = ready!(self.open_record::<police_referral::Model>(key).await?);
        let basis = match (on.incident, on.case) {
            (Some(incident), case) => {
                let found = facts::incident(uow.txn(), self.actor(), incident.get()).await?;
                if let Some(case) = case
                    && case.get() != found.case.id
                {
                    return Err(DomainError::bad_input(
                        "caseId",
                        format!("incident {} is on another case", found.record.id),
                    )
                    .into());
                }
                ReferralBasis {
                    incident: Some(found.record),
                    case: found.case,
                    service_code: found.service_code,
                }
            }
            (None, Some(case)) => {
                let case = facts::visible_case(uow.txn(), self.actor(), case.get()).await?;
                let service_code = facts::service_code(uow.txn(), case.service_id).await?;
                ReferralBasis {
                    incident: None,
                    case,
                    service_code,
                }
            }
            (None, None) => {
                return Err(DomainError::bad_input("caseId", "give caseId or hsIncidentId").into());
            }
        };
        let outcome = safety::record_police_referral(cmd, &basis, self.actor(), self.now)?;
        self.finish_record(uow, outcome, "police_referral").await
    }

    /// Note a call ended after a warning (3.4).
    pub async fn record_call_termination(
        &self,
        cmd: RecordCallTermination,
        key: Option<Idempotency>,
    ) -> ApiResult<call_termination::Model> {
        cmd.validate(self.now)?;
        let uow = ready!(self.open_record::<call_termination::Model>(key).await?);
        let target = facts::target_facts(uow.txn(), self.actor(), &cmd.target).await?;
        let named = match cmd.contact {
            Some(id) => facts::contact(uow.txn(), id.get()).await?,
            None => None,
        };
        let outcome = safety::record_call_termination(cmd, target, named, self.actor(), self.now)?;
        self.finish_record(uow, outcome, "call_termination").await
    }

    /// Refer repeated abusive calls as harassment (3.5).
    pub async fn refer_harassment(
        &self,
        case: CaseId,
        cmd: ReferHarassment,
        key: Option<Idempotency>,
    ) -> ApiResult<ReferralWithCalls> {
        cmd.validate()?;
        let uow = match self.open_record::<harassment_referral::Model>(key).await? {
            Opened::Replayed(first) => return self.with_calls(first).await,
            Opened::Ready(uow) => uow,
        };
        let case = facts::visible_case(uow.txn(), self.actor(), case.get()).await?;
        let code = facts::service_code(uow.txn(), case.service_id).await?;
        let calls = facts::calls_on_case(uow.txn(), case.id).await?;
        let outcome = safety::refer_harassment(cmd, &case, &code, &calls, self.actor(), self.now)?;
        let named = outcome.created.iter().find_map(|new| match new {
            crate::domain::outcome::New::HarassmentReferral { calls, .. } => Some(calls.clone()),
            _ => None,
        });
        let referral: harassment_referral::Model = self
            .finish_record(uow, outcome, "harassment_referral")
            .await?;
        Ok((referral, named.unwrap_or_default()))
    }

    /// Report a harassment referral to the police (3.5).
    pub async fn report_harassment_to_police(
        &self,
        id: HarassmentReferralId,
        cmd: ReportHarassmentToPolice,
        key: Option<Idempotency>,
    ) -> ApiResult<ReferralWithCalls> {
        cmd.validate(self.now.date_naive())?;
        let uow = match self.open_record::<harassment_referral::Model>(key).await? {
            Opened::Replayed(first) => return self.with_calls(first).await,
            Opened::Ready(uow) => uow,
        };
        let found = facts::harassment_referral(uow.txn(), self.actor(), id.get()).await?;
        let outcome = safety::report_harassment_to_police(cmd, &found, self.actor(), self.now)?;
        let referral: harassment_referral::Model = self
            .finish_record(uow, outcome, "harassment_referral")
            .await?;
        self.with_calls(referral).await
    }

    async fn with_calls(&self, r: harassment_referral::Model) -> ApiResult<ReferralWithCalls> {
        let calls = facts::calls_of(self.db, r.id).await?;
        Ok((r, calls))
    }

    /// An appeal against an exclusion: always refused (3.6, 6.1); nothing is written.
    pub async fn log_exclusion_appeal(&self, id: ExclusionId) -> ApiResult<exclusion::Model> {
        let found = facts::exclusion(self.db, self.actor(), id.get()).await?;
        Err(
            appeals::refuse_exclusion_appeal(&found.record, &found.service_code, self.actor())
                .into(),
        )
    }

    /// Record a request to record a conversation, and the answer (4.1, 4.2).
    pub async fn record_recording_request(
        &self,
        case: CaseId,
        cmd: RecordRecordingRequest,
        key: Option<Idempotency>,
    ) -> ApiResult<recording_request::Model> {
        cmd.validate(self.now)?;
        let uow = ready!(self.open_record::<recording_request::Model>(key).await?);
        let case = facts::visible_case(uow.txn(), self.actor(), case.get()).await?;
        let code = facts::service_code(uow.txn(), case.service_id).await?;
        let outcome = recording::record_request(cmd, &case, &code, self.actor(), self.now)?;
        self.finish_record(uow, outcome, "recording_request").await
    }
}

/// A record that belongs to a case: an idempotent replay is only returned while the caller may
/// still see that case.
pub trait OnCase {
    /// Its case.
    fn case_id(&self) -> Option<i64>;
}

/// A record's id.
pub trait HasId {
    /// Its id.
    fn id(&self) -> i64;
}

macro_rules! on_case {
    ($($module:ident),*) => {
        $(
            impl OnCase for entities::$module::Model {
                fn case_id(&self) -> Option<i64> {
                    Some(self.case_id)
                }
            }
        )*
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

macro_rules! has_id {
    ($($module:ident),*) => {
        $(
            impl HasId for entities::$module::Model {
                fn id(&self) -> i64 {
                    self.id
                }
            }
        )*
    };
}

has_id!(
    hs_incident,
    exclusion,
    police_referral,
    call_termination,
    harassment_referral,
    recording_request,
    contact,
    letter,
    letter_template,
    closure_day,
    service,
    establishment,
    reasonable_adjustment,
    staff_member,
    staff_team,
    staff_role
);
