//! The steps of a case (2, 5, 6, 7, 9): each returns the case as it stands after the step.

use entities::upc_case;

use super::{Opened, ready};
use crate::domain::appeals::{self, DecideAppeal, LogAppeal};
use crate::domain::behaviour::{self, ReportBehaviour, ReportFacts};
use crate::domain::customers::CustomerChoice;
use crate::domain::lifecycle::CaseFile;
use crate::domain::new_issues::{self, ConsiderNewIssue};
use crate::domain::restrictions::RestrictionFacts;
use crate::domain::restrictions::{
    self, ExtendRestriction, ImposeRestriction, LiftRestriction, MakePermanent, RecordBreach,
    VaryRestriction,
};
use crate::domain::reviews::{self, EndorseReview, RecommendReview};
use crate::domain::stage1::{self, DetermineBehaviour, IssueWarning};
use crate::domain::stage2::{self, DecideStage2};
use crate::domain::values::{CaseId, RestrictionId};
use crate::domain::{DomainResult, Outcome};
use crate::error::ApiResult;
use crate::store::{Database, Idempotency, Session, facts};

impl<C: Database> Session<'_, C> {
    /// Report behaviour (2.3, 4.4): filed on the customer's open case in the service, or a new
    /// case.
    pub async fn report_behaviour(
        &self,
        cmd: ReportBehaviour,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        cmd.validate(self.now)?;
        let uow = ready!(self.open_case_step(key).await?);
        let service = facts::service_by_code(uow.txn(), &cmd.service_code).await?;
        let (customer, open_case) = match &cmd.customer {
            CustomerChoice::New(_) => (None, None),
            CustomerChoice::Existing(id) => match facts::customer_of(uow.txn(), *id).await? {
                Some(c) => {
                    let open = facts::open_case(uow.txn(), c.id, service.id).await?;
                    (Some(c), open)
                }
                None => (None, None),
            },
        };
        let outcome = behaviour::report(
            cmd,
            ReportFacts {
                service,
                customer,
                open_case,
            },
            self.actor(),
            self.now,
        )?;
        self.finish_case(uow, outcome).await
    }

    /// Determine whether the behaviour was unreasonable (5.1).
    pub async fn determine_behaviour(
        &self,
        case: CaseId,
        cmd: DetermineBehaviour,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_case(case, key, |file| {
            stage1::determine(cmd, file, self.actor(), self.now)
        })
        .await
    }

    /// Issue the Stage 1 warning (5.1, 6.1).
    pub async fn issue_stage_1_warning(
        &self,
        case: CaseId,
        cmd: IssueWarning,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        cmd.validate(self.now.date_naive())?;
        let uow = ready!(self.open_case_step(key).await?);
        let file = facts::visible_case_file(uow.txn(), self.actor(), case).await?;
        let calendar = facts::calendar(uow.txn()).await?;
        let outcome =
            stage1::issue_warning(cmd, &file, &calendar, self.settings, self.actor(), self.now)?;
        self.finish_case(uow, outcome).await
    }

    /// Log the customer's appeal against the Stage 1 warning (6.1, 6.2).
    pub async fn log_appeal(
        &self,
        case: CaseId,
        cmd: LogAppeal,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        cmd.validate(self.now.date_naive())?;
        self.on_case(case, key, |file| {
            appeals::log_appeal(cmd, file, self.actor(), self.now)
        })
        .await
    }

    /// Decide the appeal (6.2).
    pub async fn decide_appeal(
        &self,
        case: CaseId,
        cmd: DecideAppeal,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_case(case, key, |file| {
            appeals::decide_appeal(cmd, file, self.actor(), self.now)
        })
        .await
    }

    /// Decide Stage 2 restricted contact (5.1, 5.3, 6.3).
    pub async fn decide_stage_2(
        &self,
        case: CaseId,
        cmd: DecideStage2,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        cmd.validate(self.now.date_naive())?;
        let uow = ready!(self.open_case_step(key).await?);
        let file = facts::visible_case_file(uow.txn(), self.actor(), case).await?;
        let directory =
            facts::directory(uow.txn(), cmd.restrictions.iter().map(|r| &r.parameters)).await?;
        let outcome = stage2::decide(
            cmd,
            &file,
            &directory,
            self.settings,
            self.actor(),
            self.now,
        )?;
        self.finish_case(uow, outcome).await
    }

    /// Impose a further restriction (5.3).
    pub async fn impose_restriction(
        &self,
        case: CaseId,
        cmd: ImposeRestriction,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        let uow = ready!(self.open_case_step(key).await?);
        let file = facts::visible_case_file(uow.txn(), self.actor(), case).await?;
        let directory = facts::directory(uow.txn(), [&cmd.terms.parameters]).await?;
        let outcome = restrictions::impose(
            cmd,
            &file,
            &directory,
            self.settings,
            self.actor(),
            self.now,
        )?;
        self.finish_case(uow, outcome).await
    }

    /// Vary a restriction (5.3).
    pub async fn vary_restriction(
        &self,
        id: RestrictionId,
        cmd: VaryRestriction,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        let uow = ready!(self.open_case_step(key).await?);
        let found = facts::restriction_facts(uow.txn(), self.actor(), id).await?;
        let directory = facts::directory(uow.txn(), [&cmd.parameters]).await?;
        let outcome = restrictions::vary(cmd, &found, &directory, self.actor(), self.now)?;
        self.finish_case(uow, outcome).await
    }

    /// Extend a restriction (5.6).
    pub async fn extend_restriction(
        &self,
        id: RestrictionId,
        cmd: ExtendRestriction,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_restriction(id, key, |found| {
            restrictions::extend(cmd, found, self.actor(), self.now)
        })
        .await
    }

    /// Make a restriction permanent (5.6).
    pub async fn make_restriction_permanent(
        &self,
        id: RestrictionId,
        cmd: MakePermanent,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_restriction(id, key, |found| {
            restrictions::make_permanent(cmd, found, self.actor(), self.now)
        })
        .await
    }

    /// Lift a restriction; the last one closes the case.
    pub async fn lift_restriction(
        &self,
        id: RestrictionId,
        cmd: LiftRestriction,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_restriction(id, key, |found| {
            restrictions::lift(cmd, found, self.actor(), self.now)
        })
        .await
    }

    /// Record a breach of a restriction (5.6).
    pub async fn record_breach(
        &self,
        id: RestrictionId,
        cmd: RecordBreach,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        cmd.validate(self.now)?;
        self.on_restriction(id, key, |found| {
            restrictions::record_breach(cmd, found, self.actor(), self.now)
        })
        .await
    }

    /// Consider a new issue raised by a restricted customer (9.1).
    pub async fn consider_new_issue(
        &self,
        case: CaseId,
        cmd: ConsiderNewIssue,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_case(case, key, |file| {
            new_issues::consider(cmd, file, self.actor(), self.now)
        })
        .await
    }

    /// Legal Services' review recommendation (7.2, 7.3).
    pub async fn recommend_review(
        &self,
        case: CaseId,
        cmd: RecommendReview,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_case(case, key, |file| {
            reviews::recommend(cmd, file, self.actor(), self.now)
        })
        .await
    }

    /// The Group Director's endorsement (7.4).
    pub async fn endorse_review(
        &self,
        case: CaseId,
        cmd: EndorseReview,
        key: Option<Idempotency>,
    ) -> ApiResult<upc_case::Model> {
        self.on_case(case, key, |file| {
            reviews::endorse(cmd, file, self.settings, self.actor(), self.now)
        })
        .await
    }
}

impl<'a, C: Database> Session<'a, C> {
    /// A step on case `case`: its file read through the caller's row scope, then `decide`.
    async fn on_case(
        &self,
        case: CaseId,
        key: Option<Idempotency>,
        decide: impl FnOnce(&CaseFile) -> DomainResult<Outcome>,
    ) -> ApiResult<upc_case::Model> {
        let uow = ready!(self.open_case_step(key).await?);
        let file = facts::visible_case_file(uow.txn(), self.actor(), case).await?;
        let outcome = decide(&file)?;
        self.finish_case(uow, outcome).await
    }

    /// A step on restriction `id`, on a case the caller may see, then `decide`.
    async fn on_restriction(
        &self,
        id: RestrictionId,
        key: Option<Idempotency>,
        decide: impl FnOnce(&RestrictionFacts) -> DomainResult<Outcome>,
    ) -> ApiResult<upc_case::Model> {
        let uow = ready!(self.open_case_step(key).await?);
        let found = facts::restriction_facts(uow.txn(), self.actor(), id).await?;
        let outcome = decide(&found)?;
        self.finish_case(uow, outcome).await
    }
}
