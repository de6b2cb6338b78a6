//! Writing the lifecycle's records inside a mutation's transaction: versioned updates that refuse
//! a stale version, idempotency keys, the working-days calendar with the council's closure days,
//! and letters rendered from the active template in the customer's language.

use chrono::{Months, NaiveDate, Utc};
use entities::enums::{Language, LetterKind};
use entities::{
    closure_day, customer, idempotency_key, letter, letter_template, restriction, service, upc_case,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};
use sha2::{Digest, Sha256};

use crate::authz::RequestContext;
use crate::calendar::Calendar;
use crate::error::{ApiError, ApiResult};
use crate::letters::{self, LetterContext, RestrictionLine, Template};

/// Settings the lifecycle needs, from the server's settings.
#[derive(Debug, Clone)]
pub struct LifecycleSettings {
    /// Months from a decision to restrict to its review: 1 to 12 (7.1).
    pub review_period_months: u32,
    /// Where appeals go (6.1), printed in letters.
    pub legal_services_address: String,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            review_period_months: 12,
            legal_services_address: crate::config::DEFAULT_LEGAL_SERVICES_ADDRESS.to_string(),
        }
    }
}

impl LifecycleSettings {
    /// The latest review date for a decision to restrict made on `decided_on` (7.1): the
    /// review period later, never more than 12 months.
    pub fn latest_review(&self, decided_on: NaiveDate) -> NaiveDate {
        let months = self.review_period_months.clamp(1, 12);
        decided_on
            .checked_add_months(Months::new(months))
            .unwrap_or(decided_on)
    }
}

/// A table with `id` and `version` columns, updated only when the version is the one read.
pub trait Versioned: EntityTrait {
    /// The `id` column.
    fn id_column() -> Self::Column;
    /// The `version` column.
    fn version_column() -> Self::Column;
}

macro_rules! versioned {
    ($($module:ident),* $(,)?) => {
        $(
            impl Versioned for entities::$module::Entity {
                fn id_column() -> Self::Column {
                    entities::$module::Column::Id
                }
                fn version_column() -> Self::Column {
                    entities::$module::Column::Version
                }
            }
        )*
    };
}

versioned!(
    upc_case,
    restriction,
    letter,
    appeal,
    stage_1_warning,
    review,
    breach,
    letter_template,
    contact
);

/// Apply the `Set` fields of `changes` to row `id` if its version is still `expected`, bumping
/// the version; otherwise `CONFLICT`. Returns the row as stored.
pub async fn update_versioned<E>(
    txn: &DatabaseTransaction,
    id: i64,
    expected: i64,
    mut changes: E::ActiveModel,
    what: &str,
) -> ApiResult<E::Model>
where
    E: Versioned,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    changes.set(E::version_column(), (expected + 1).into());
    let result = E::update_many()
        .set(changes)
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(expected))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(stale(what, id, expected));
    }
    E::find()
        .filter(E::id_column().eq(id))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {what} {id}")))
}

/// The `CONFLICT` for a stale version.
pub fn stale(what: &str, id: i64, sent: i64) -> ApiError {
    ApiError::Conflict(format!(
        "{what} {id} changed since you read it (you sent version {sent}); read it again and retry"
    ))
}

/// A client's idempotency key for one mutation call.
pub struct Idempotency {
    key: String,
    operation: &'static str,
    request_hash: String,
}

/// What the first call with a key produced.
pub struct Replay {
    /// Kind of record, e.g. `upc_case`.
    pub result_type: String,
    /// Its id.
    pub result_id: i64,
    snapshot: Option<String>,
}

impl Replay {
    /// The first call's result, as it was returned then.
    pub fn result<M: serde::de::DeserializeOwned>(&self) -> ApiResult<M> {
        self.snapshot
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "idempotency snapshot of {} {} is missing or unreadable",
                    self.result_type, self.result_id
                ))
            })
    }
}

impl Idempotency {
    /// The key for `operation` with `input`, or `None` when the client sent no key.
    pub fn new<T: serde::Serialize>(
        key: Option<String>,
        operation: &'static str,
        input: &T,
    ) -> ApiResult<Option<Self>> {
        let Some(key) = key else { return Ok(None) };
        let key = key.trim().to_string();
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::bad_input(
                "idempotencyKey",
                "an idempotency key is 1 to 200 characters",
            ));
        }
        let json = serde_json::to_string(input).map_err(ApiError::internal)?;
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update([0]);
        hasher.update(json.as_bytes());
        Ok(Some(Self {
            key,
            operation,
            request_hash: format!("{:x}", hasher.finalize()),
        }))
    }

    /// The first call's result if this key was used before by this caller with the same input;
    /// `BAD_USER_INPUT` if it was used with a different input or operation.
    pub async fn replay<C: ConnectionTrait>(
        &self,
        db: &C,
        request: &RequestContext,
    ) -> ApiResult<Option<Replay>> {
        let Some(found) = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::ActorSub.eq(request.principal.subject.as_str()))
            .filter(idempotency_key::Column::IdempotencyKey.eq(self.key.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if found.operation != self.operation || found.request_hash != self.request_hash {
            return Err(ApiError::bad_input(
                "idempotencyKey",
                format!(
                    "this idempotency key was already used for a different request ({}); use a new key",
                    found.operation
                ),
            ));
        }
        Ok(Some(Replay {
            result_type: found.result_type,
            result_id: found.result_id,
            snapshot: found.result_snapshot,
        }))
    }

    /// Remember the result of this call (`result`, the record returned), in the mutation's
    /// transaction.
    pub async fn remember<T: serde::Serialize>(
        &self,
        txn: &DatabaseTransaction,
        request: &RequestContext,
        result_type: &str,
        result_id: i64,
        result: &T,
    ) -> ApiResult<()> {
        let row = idempotency_key::ActiveModel {
            actor_sub: Set(request.principal.subject.clone()),
            idempotency_key: Set(self.key.clone()),
            operation: Set(self.operation.to_string()),
            request_hash: Set(self.request_hash.clone()),
            result_type: Set(result_type.to_string()),
            result_id: Set(result_id),
            result_snapshot: Set(Some(
                serde_json::to_string(result).map_err(ApiError::internal)?,
            )),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        match row.insert(txn).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(ApiError::Conflict(
                    "another request with this idempotency key is in progress; retry it to get its result".into(),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The first result of a replayed call with `key`, if this is a replay.
pub async fn replayed<M, C>(
    db: &C,
    request: &RequestContext,
    key: &Option<Idempotency>,
) -> ApiResult<Option<M>>
where
    M: serde::de::DeserializeOwned,
    C: ConnectionTrait,
{
    match key {
        None => Ok(None),
        Some(key) => match key.replay(db, request).await? {
            None => Ok(None),
            Some(replay) => replay.result().map(Some),
        },
    }
}

/// Remember the result of a call made with `key`, if it had one.
pub async fn remember<T: serde::Serialize>(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    key: &Option<Idempotency>,
    result_type: &str,
    result_id: i64,
    result: &T,
) -> ApiResult<()> {
    match key {
        None => Ok(()),
        Some(key) => {
            key.remember(txn, request, result_type, result_id, result)
                .await
        }
    }
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

/// What a letter is about, filled in by the step that issues it.
pub struct LetterRequest {
    /// Which letter.
    pub kind: LetterKind,
    /// The record it tells the customer about, e.g. (`appeal`, 7).
    pub regarding: (&'static str, i64),
    /// The letter's date.
    pub letter_date: NaiveDate,
    /// Fills in the decision-specific parts of the context.
    pub fill: Box<dyn FnOnce(&mut LetterContext) + Send>,
}

/// A restriction as the letters describe it.
pub fn line(r: &restriction::Model) -> RestrictionLine {
    RestrictionLine {
        parameters: r.parameters.clone(),
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        permanent: r.permanent,
        review_due_on: r.review_due_on,
    }
}

/// Render and store a letter to the customer of `case`, in their preferred language.
pub async fn issue_letter(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    settings: &LifecycleSettings,
    case: &upc_case::Model,
    letter_request: LetterRequest,
) -> ApiResult<letter::Model> {
    let customer = customer::Entity::find_by_id(case.customer_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(format!("case {} has no customer", case.id)))?;
    let service = service::Entity::find_by_id(case.service_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(format!("case {} has no service", case.id)))?;
    let language = customer.preferred_language;
    let (template_id, template) = active_template(txn, letter_request.kind, language).await?;
    let names = super::names(txn).await?;
    let mut context = LetterContext {
        kind: letter_request.kind,
        language,
        letter_date: letter_request.letter_date,
        customer_name: customer.display_name,
        customer_address: customer.address,
        case_reference: case.reference.clone(),
        service_name: service.name,
        reasons: String::new(),
        exceptional_reasons: None,
        consulted: None,
        restrictions: Vec::new(),
        lifted: Vec::new(),
        review_due_on: None,
        appeal_deadline: None,
        legal_services_address: settings.legal_services_address.clone(),
        appeal_upheld: None,
        recommendation: None,
        endorsed: None,
        variation: None,
        unreasonable: None,
    };
    (letter_request.fill)(&mut context);
    let rendered = letters::render(&template, &context, &names).map_err(|e| {
        ApiError::internal(format!(
            "letter template {template_id:?} ({}, {}) failed: {e}",
            letter_request.kind.as_str(),
            language.as_str()
        ))
    })?;
    let now = Utc::now();
    Ok(letter::ActiveModel {
        case_id: Set(case.id),
        kind: Set(letter_request.kind),
        language: Set(language),
        template_id: Set(template_id),
        subject: Set(rendered.subject),
        body_text: Set(rendered.body_text),
        body_html: Set(rendered.body_html),
        issued_at: Set(now),
        issued_by: Set(request.principal.subject.clone()),
        sent_at: Set(None),
        sent_by: Set(None),
        regarding_type: Set(Some(letter_request.regarding.0.to_string())),
        regarding_id: Set(Some(letter_request.regarding.1)),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?)
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
