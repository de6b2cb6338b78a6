//! At the point of contact (5.2 to 5.6): the contact check, logging a contact, reading
//! correspondence placed on file, and what falls due.

use chrono::{DateTime, Duration, Utc};
use entities::contact;
use serde::{Deserialize, Serialize};

use super::{Opened, ready};
use crate::domain::DomainError;
use crate::domain::contact::{
    self as desk, ContactFacts, LogContact, Proposed, ReviewFiledContact, Verdict, acts_for,
};
use crate::domain::deadlines::{self, Due};
use crate::domain::roles::SERVICE_STAFF;
use crate::domain::values::{ContactId, CustomerId, EstablishmentId, RecordId, StaffMemberId};
use crate::error::{ApiError, ApiResult};
use crate::store::service_ids::ServiceIds;
use crate::store::{Database, Idempotency, Session, facts};

/// A contact as logged, with the check's verdict and the breaches it recorded (5.6).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactLogged {
    /// The contact.
    pub contact: contact::Model,
    /// What the check found.
    pub verdict: Verdict,
    /// Breaches recorded because of it.
    pub breach_ids: Vec<i64>,
}

impl<C: Database> Session<'_, C> {
    /// May this customer contact this service this way, now (or at `at`)? Only the
    /// restrictions of that service count (5.4).
    pub async fn contact_check(
        &self,
        customer: CustomerId,
        service_code: &str,
        channel: entities::enums::ContactChannel,
        at: Option<DateTime<Utc>>,
        officer: Option<StaffMemberId>,
        establishment: Option<EstablishmentId>,
    ) -> ApiResult<(String, Proposed, Verdict)> {
        let at = at.unwrap_or(self.now);
        // The service by its code (its id kept once found: `store::service_ids`); nothing of
        // the customer is read unless the caller works in the service.
        let (service_id, code) = match self.service_ids {
            Some(known) => known.find(self.db, service_code).await?,
            None => ServiceIds::new().find(self.db, service_code).await?,
        };
        if !acts_for(self.actor(), SERVICE_STAFF, &code) {
            return Err(DomainError::Forbidden(format!(
                "you do not work in {code}: check contact with your own services"
            ))
            .into());
        }
        let check = facts::contact_check_facts(self.db, service_id, customer.get(), at).await?;
        let proposed = Proposed {
            channel,
            at,
            officer: facts::officer(self.db, officer).await?,
            establishment_id: establishment.map(|e| e.get()),
        };
        let verdict = check.check(&proposed);
        Ok((code, proposed, verdict))
    }

    /// Log a contact (5.2, 5.6).
    pub async fn log_contact(
        &self,
        cmd: LogContact,
        key: Option<Idempotency>,
    ) -> ApiResult<ContactLogged> {
        cmd.validate(self.now)?;
        let mut uow = ready!(self.open::<ContactLogged>(key, |_| None).await?);
        let txn = uow.txn();
        let service = facts::service_by_code(txn, &cmd.service_code).await?;
        let customer_exists = facts::customer_of(txn, cmd.customer).await?.is_some();
        let officer = facts::officer(txn, cmd.officer).await?;
        let open_case = facts::open_case(txn, cmd.customer.get(), service.id).await?;
        let proposed = cmd.proposed(officer);
        // The check sees the contacts logged before this one.
        let mut check = facts::check_facts(txn, service.id, cmd.customer.get(), &proposed).await?;
        if !check.restrictions.is_empty() || !check.exclusions.is_empty() {
            check.cases = facts::cases_of_customer(txn, cmd.customer.get(), service.id).await?;
        }
        let facts = ContactFacts {
            service,
            customer_exists,
            officer,
            open_case,
            check,
        };
        let (outcome, verdict) = desk::log_contact(cmd, &facts, self.actor(), self.now)?;
        let applied = uow.apply(outcome).await?;
        let logged = ContactLogged {
            contact: applied.created(0)?,
            verdict,
            breach_ids: applied
                .created
                .iter()
                .filter(|row| row.table() == "breach")
                .map(|row| row.id())
                .collect(),
        };
        uow.commit("contact", logged.contact.id, &logged).await?;
        Ok(logged)
    }

    /// A manager reads correspondence placed on file (5.2).
    pub async fn review_filed_contact(
        &self,
        id: ContactId,
        cmd: ReviewFiledContact,
        key: Option<Idempotency>,
    ) -> ApiResult<contact::Model> {
        let mut uow = ready!(self.open::<contact::Model>(key, |_| None).await?);
        let found = facts::contact_in_services(uow.txn(), self.actor(), id.get())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no contact {id} that you may see")))?;
        let code = facts::service_code(uow.txn(), found.service_id).await?;
        let outcome = desk::review_filed(cmd, &found, &code, self.actor(), self.now)?;
        let applied = uow.apply(outcome).await?;
        let after: contact::Model = applied.written()?;
        uow.commit("contact", after.id, &after).await?;
        Ok(after)
    }

    /// Correspondence placed on file that no manager has read, oldest first (at most 200).
    pub async fn filed_correspondence(&self) -> ApiResult<Vec<contact::Model>> {
        facts::filed_correspondence(self.db, self.actor(), Some(200)).await
    }

    /// Everything due or overdue in the caller's services within `within` days.
    pub async fn deadlines(&self, within: i64) -> ApiResult<Vec<Due>> {
        let today = self.now.date_naive();
        let horizon = today + Duration::days(within);
        let facts =
            facts::deadline_facts(self.db, self.actor(), self.settings, today, horizon).await?;
        Ok(deadlines::deadlines(&facts, today, within))
    }
}
