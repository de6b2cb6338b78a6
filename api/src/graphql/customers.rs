//! Keeping a customer's record (2.3): create and correct a customer, their members and
//! representatives, merge two records of the same person and undo a merge. Each mutation
//! parses its input into a command of [`crate::domain::customer_records`] and runs it through
//! the caller's session; each returns the customer as it now stands.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::enums::{CustomerKind, Language};
use entities::{customer_member, representative};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::domain::customer_records::{
    MergeCustomers, NewMember, RepresentativeDetails, UnmergeCustomers, UpdateCustomer,
};
use crate::domain::customers::NewCustomer;
use crate::domain::values::{CustomerId, CustomerMemberId, RepresentativeId, Text, choice};
use crate::error::ApiResult;
use crate::graphql::cases::Customer;
use crate::graphql::ids::{id, parse_id};
use crate::graphql::steps::{key, session};
use crate::store::reads;

/// One of the people making up a customer that is several people or a group (2.3).
#[derive(SimpleObject, Clone)]
pub struct CustomerMember {
    /// Opaque id.
    pub id: ID,
    /// Their name.
    pub name: String,
    /// Their relationship to the customer, e.g. `spouse`.
    pub relationship: Option<String>,
    /// Row version: pass it back when removing the member.
    pub version: i64,
    /// When recorded.
    pub created_at: DateTime<Utc>,
}

impl From<customer_member::Model> for CustomerMember {
    fn from(m: customer_member::Model) -> Self {
        CustomerMember {
            id: id(m.id),
            name: m.name,
            relationship: m.relationship,
            version: m.version,
            created_at: m.created_at,
        }
    }
}

/// Someone acting for a customer, recorded separately from the customer.
#[derive(SimpleObject, Clone)]
pub struct Representative {
    /// Opaque id.
    pub id: ID,
    /// Their name.
    pub name: String,
    /// Their organisation, e.g. an advocacy service.
    pub organisation: Option<String>,
    /// Their relationship to the customer.
    pub relationship: Option<String>,
    /// How to contact them; for letters, their postal address.
    pub contact_details: Option<String>,
    /// The customer's authority for them to act is confirmed.
    pub authority_confirmed: bool,
    /// The customer asked for letters to go to them: letters are addressed to them.
    pub letters_to_representative: bool,
    /// Row version: pass it back when changing or removing the representative.
    pub version: i64,
}

impl From<representative::Model> for Representative {
    fn from(m: representative::Model) -> Self {
        Representative {
            id: id(m.id),
            name: m.name,
            organisation: m.organisation,
            relationship: m.relationship,
            contact_details: m.contact_details,
            authority_confirmed: m.authority_confirmed,
            letters_to_representative: m.letters_to_representative,
            version: m.version,
        }
    }
}

#[ComplexObject]
impl Customer {
    /// The customer's reasonable adjustments, in place or ended, oldest first (restricted).
    async fn reasonable_adjustments(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<super::adjustments::ReasonableAdjustment>>> {
        super::adjustments::of_customer(ctx, self).await
    }

    /// The people making up a customer that is several people or a group (restricted).
    async fn members(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<CustomerMember>>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(Some(
            reads::members_of(db, self.key)
                .await?
                .into_iter()
                .map(CustomerMember::from)
                .collect(),
        ))
    }

    /// Those acting for the customer (restricted).
    async fn representatives(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Representative>>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(Some(
            reads::representatives_of(db, self.key)
                .await?
                .into_iter()
                .map(Representative::from)
                .collect(),
        ))
    }
}

/// A customer recorded on their own, for a service (2.3).
#[derive(InputObject, Serialize)]
pub struct CreateCustomerInput {
    /// The service recording the customer; its staff may find them (5.4).
    pub service_code: String,
    /// Name used in the record and in letters.
    pub display_name: String,
    /// `person` (default), `several_people` or `group` (2.3).
    pub kind: Option<String>,
    /// Postal address for letters.
    pub address: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// `en` (default) or `cy`: letters are written in it (Welsh Language Standards).
    pub preferred_language: Option<String>,
}

/// A change to a customer's details; what is not given stays as it is, an empty text clears
/// an address, email or telephone number.
#[derive(InputObject, Serialize)]
pub struct UpdateCustomerInput {
    /// The customer.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
    /// New name.
    pub display_name: Option<String>,
    /// `person`, `several_people` or `group`.
    pub kind: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// `en` or `cy`.
    pub preferred_language: Option<String>,
}

/// A member of a customer that is several people or a group.
#[derive(InputObject, Serialize)]
pub struct AddCustomerMemberInput {
    /// The customer.
    pub customer_id: ID,
    /// The person's name.
    pub name: String,
    /// Their relationship to the customer, e.g. `spouse`.
    pub relationship: Option<String>,
}

/// A member, or a representative, to remove.
#[derive(InputObject, Serialize)]
pub struct RemoveInput {
    /// The member or representative.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
}

/// A representative of a customer.
#[derive(InputObject, Serialize)]
pub struct AddRepresentativeInput {
    /// The customer.
    pub customer_id: ID,
    /// Their name.
    pub name: String,
    /// Their organisation, e.g. an advocacy service.
    pub organisation: Option<String>,
    /// Their relationship to the customer.
    pub relationship: Option<String>,
    /// How to contact them; for letters, their postal address.
    pub contact_details: Option<String>,
    /// The customer's authority for them to act is confirmed.
    pub authority_confirmed: bool,
    /// The customer asked for letters to go to them (needs the authority confirmed and contact
    /// details; one representative at a time). Default false.
    pub letters_to_representative: Option<bool>,
}

/// A representative's details, replaced as a whole.
#[derive(InputObject, Serialize)]
pub struct UpdateRepresentativeInput {
    /// The representative.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
    /// Their name.
    pub name: String,
    /// Their organisation.
    pub organisation: Option<String>,
    /// Their relationship to the customer.
    pub relationship: Option<String>,
    /// How to contact them; for letters, their postal address.
    pub contact_details: Option<String>,
    /// The customer's authority for them to act is confirmed.
    pub authority_confirmed: bool,
    /// The customer asked for letters to go to them. Default false.
    pub letters_to_representative: Option<bool>,
}

/// Two records of the same person: `mergeId` goes into `keepId`.
#[derive(InputObject, Serialize)]
pub struct MergeCustomersInput {
    /// The record kept.
    pub keep_id: ID,
    /// Its version, as you read it.
    pub keep_version: i64,
    /// The record merged into it: marked merged, never deleted.
    pub merge_id: ID,
    /// Its version, as you read it.
    pub merge_version: i64,
    /// Why they are the same person.
    pub reason: String,
}

/// Undo a merge.
#[derive(InputObject, Serialize)]
pub struct UnmergeCustomersInput {
    /// The record that was merged into another.
    pub customer_id: ID,
    /// Its version, as you read it.
    pub version: i64,
    /// Why the merge is undone.
    pub reason: String,
}

fn kind(field: &str, value: Option<&str>) -> ApiResult<Option<CustomerKind>> {
    Ok(value
        .map(|k| choice(field, k, CustomerKind::ALL))
        .transpose()?)
}

fn language(field: &str, value: Option<&str>) -> ApiResult<Option<Language>> {
    Ok(value.map(|l| choice(field, l, Language::ALL)).transpose()?)
}

/// A text to change: absent keeps it, empty clears it.
fn change(field: &str, value: Option<&str>) -> ApiResult<Option<Option<Text>>> {
    Ok(value.map(|v| Text::optional(field, Some(v))).transpose()?)
}

/// A representative's details from either input, each field named as the input names it.
fn representative_details(
    name: &str,
    organisation: Option<&str>,
    relationship: Option<&str>,
    contact_details: Option<&str>,
    authority_confirmed: bool,
    letters_to_representative: Option<bool>,
) -> ApiResult<RepresentativeDetails> {
    Ok(RepresentativeDetails {
        name: Text::parse("name", name)?,
        organisation: Text::optional("organisation", organisation)?,
        relationship: Text::optional("relationship", relationship)?,
        contact_details: Text::optional("contactDetails", contact_details)?,
        authority_confirmed,
        letters_to_representative: letters_to_representative.unwrap_or(false),
    })
}

/// Customer mutations.
#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Record a customer on their own, for a service whose staff you are (2.3, 5.4).
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomerInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let details = NewCustomer {
            display_name: Text::parse("displayName", &input.display_name)?,
            kind: kind("kind", input.kind.as_deref())?.unwrap_or(CustomerKind::Person),
            address: Text::optional("address", input.address.as_deref())?,
            email: Text::optional("email", input.email.as_deref())?,
            phone: Text::optional("phone", input.phone.as_deref())?,
            preferred_language: language("preferredLanguage", input.preferred_language.as_deref())?
                .unwrap_or(Language::En),
        };
        let key = key(idempotency_key, "createCustomer", &input)?;
        Ok(session(ctx)?
            .create_customer(details, &input.service_code, key)
            .await?
            .into())
    }

    /// Correct a customer's details.
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomerInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let customer = parse_id::<CustomerId>("id", &input.id)?;
        let cmd = UpdateCustomer {
            version: input.version,
            display_name: input
                .display_name
                .as_deref()
                .map(|n| Text::parse("displayName", n))
                .transpose()?,
            kind: kind("kind", input.kind.as_deref())?,
            address: change("address", input.address.as_deref())?,
            email: change("email", input.email.as_deref())?,
            phone: change("phone", input.phone.as_deref())?,
            preferred_language: language("preferredLanguage", input.preferred_language.as_deref())?,
        };
        let key = key(idempotency_key, "updateCustomer", &input)?;
        Ok(session(ctx)?
            .update_customer(customer, cmd, key)
            .await?
            .into())
    }

    /// Add a member to a customer that is several people or a group (2.3).
    async fn add_customer_member(
        &self,
        ctx: &Context<'_>,
        input: AddCustomerMemberInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let customer = parse_id::<CustomerId>("customerId", &input.customer_id)?;
        let cmd = NewMember {
            name: Text::parse("name", &input.name)?,
            relationship: Text::optional("relationship", input.relationship.as_deref())?,
        };
        let key = key(idempotency_key, "addCustomerMember", &input)?;
        Ok(session(ctx)?
            .add_customer_member(customer, cmd, key)
            .await?
            .into())
    }

    /// Remove a member of a customer.
    async fn remove_customer_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let member = parse_id::<CustomerMemberId>("id", &input.id)?;
        let key = key(idempotency_key, "removeCustomerMember", &input)?;
        Ok(session(ctx)?
            .remove_customer_member(member, input.version, key)
            .await?
            .into())
    }

    /// Record someone acting for a customer.
    async fn add_representative(
        &self,
        ctx: &Context<'_>,
        input: AddRepresentativeInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let customer = parse_id::<CustomerId>("customerId", &input.customer_id)?;
        let cmd = representative_details(
            &input.name,
            input.organisation.as_deref(),
            input.relationship.as_deref(),
            input.contact_details.as_deref(),
            input.authority_confirmed,
            input.letters_to_representative,
        )?;
        let key = key(idempotency_key, "addRepresentative", &input)?;
        Ok(session(ctx)?
            .add_representative(customer, cmd, key)
            .await?
            .into())
    }

    /// Replace a representative's details.
    async fn update_representative(
        &self,
        ctx: &Context<'_>,
        input: UpdateRepresentativeInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let representative = parse_id::<RepresentativeId>("id", &input.id)?;
        let cmd = representative_details(
            &input.name,
            input.organisation.as_deref(),
            input.relationship.as_deref(),
            input.contact_details.as_deref(),
            input.authority_confirmed,
            input.letters_to_representative,
        )?;
        let key = key(idempotency_key, "updateRepresentative", &input)?;
        Ok(session(ctx)?
            .update_representative(representative, input.version, cmd, key)
            .await?
            .into())
    }

    /// Remove a representative.
    async fn remove_representative(
        &self,
        ctx: &Context<'_>,
        input: RemoveInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let representative = parse_id::<RepresentativeId>("id", &input.id)?;
        let key = key(idempotency_key, "removeRepresentative", &input)?;
        Ok(session(ctx)?
            .remove_representative(representative, input.version, key)
            .await?
            .into())
    }

    /// Merge two records of the same person: the merged record's cases, contacts, members,
    /// representatives, reasonable adjustments and recording requests move to the kept one; the
    /// merged record is marked merged, never deleted. Returns the kept record.
    async fn merge_customers(
        &self,
        ctx: &Context<'_>,
        input: MergeCustomersInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let keep = parse_id::<CustomerId>("keepId", &input.keep_id)?;
        let merge = parse_id::<CustomerId>("mergeId", &input.merge_id)?;
        let cmd = MergeCustomers {
            keep_version: input.keep_version,
            merge_version: input.merge_version,
            reason: Text::parse("reason", &input.reason)?,
        };
        let key = key(idempotency_key, "mergeCustomers", &input)?;
        Ok(session(ctx)?
            .merge_customers(keep, merge, cmd, key)
            .await?
            .into())
    }

    /// Undo a merge: what the merge moved goes back to the merged record (from what the merge
    /// recorded). Returns the restored record.
    async fn unmerge_customers(
        &self,
        ctx: &Context<'_>,
        input: UnmergeCustomersInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Customer> {
        let customer = parse_id::<CustomerId>("customerId", &input.customer_id)?;
        let cmd = UnmergeCustomers {
            version: input.version,
            reason: Text::parse("reason", &input.reason)?,
        };
        let key = key(idempotency_key, "unmergeCustomers", &input)?;
        Ok(session(ctx)?
            .unmerge_customers(customer, cmd, key)
            .await?
            .into())
    }
}
