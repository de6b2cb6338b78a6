//! Letters (fetch, mark sent), letter templates (versioned), the working-days calendar and
//! its closure days, and the reviews-due list.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{CaseStatus, Language, LetterKind};
use entities::{appeal, closure_day, letter, letter_template, review, upc_case};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::audit::{self, Change};
use crate::auth::Role;
use crate::authz::caller;
use crate::authz::scope::case_scope;
use crate::calendar::Calendar;
use crate::error::{ApiError, ApiResult};
use crate::graphql::cases::CaseNode;
use crate::graphql::ids::parse_id;
use crate::graphql::records::Letter;
use crate::graphql::steps::{parse_enum, required, service_code, today};
use crate::letters;
use crate::lifecycle::store::{
    Idempotency, active_template, calendar, remember, replayed, update_versioned,
};

/// A version of a letter template.
#[derive(SimpleObject, Clone)]
pub struct LetterTemplate {
    /// Opaque id; null for the built-in default.
    pub id: Option<ID>,
    /// Which letter.
    pub kind: String,
    /// `en` or `cy`.
    pub language: String,
    /// Version number per kind and language; 0 for the built-in default.
    pub template_version: i32,
    /// Subject line template.
    pub subject: String,
    /// Body template (minijinja syntax; see `docs/letters.md`).
    pub body: String,
    /// Whether new letters use it.
    pub active: bool,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
}

impl From<letter_template::Model> for LetterTemplate {
    fn from(m: letter_template::Model) -> Self {
        LetterTemplate {
            id: Some(ID(m.id.to_string())),
            kind: m.kind.as_str().to_string(),
            language: m.language.as_str().to_string(),
            template_version: m.template_version,
            subject: m.subject,
            body: m.body,
            active: m.active,
            created_at: Some(m.created_at),
        }
    }
}

/// A day the council is closed besides weekends and bank holidays.
#[derive(SimpleObject, Clone)]
pub struct ClosureDay {
    /// Opaque id.
    pub id: ID,
    /// The day.
    pub day: NaiveDate,
    /// Why, e.g. `Extra day at Christmas`.
    pub description: String,
}

impl From<closure_day::Model> for ClosureDay {
    fn from(m: closure_day::Model) -> Self {
        ClosureDay {
            id: ID(m.id.to_string()),
            day: m.day,
            description: m.description,
        }
    }
}

/// A bank holiday of England and Wales.
#[derive(SimpleObject, Clone)]
pub struct BankHoliday {
    /// The day.
    pub day: NaiveDate,
    /// Its name.
    pub name: String,
}

/// A case whose restrictions are due (or overdue) for review (7.1).
#[derive(SimpleObject, Clone)]
pub struct ReviewDue {
    /// The case.
    pub case: CaseNode,
    /// The date the review is due by.
    pub due_on: NaiveDate,
    /// Past its date.
    pub overdue: bool,
    /// Days until due (negative when overdue).
    pub days_remaining: i64,
}

/// A new version of a letter template; it becomes the one new letters use.
#[derive(InputObject, serde::Serialize)]
pub struct CreateLetterTemplateInput {
    /// `stage_1_warning`, `appeal_outcome`, `stage_2_decision`, `restriction_variation`,
    /// `review_outcome` or `determination_outcome`.
    pub kind: String,
    /// `en` or `cy`.
    pub language: String,
    /// Subject line template.
    pub subject: String,
    /// Body template. It must still say what the letter must say (see `docs/letters.md`).
    pub body: String,
}

/// A council closure day.
#[derive(InputObject, serde::Serialize)]
pub struct AddClosureDayInput {
    /// The day.
    pub day: NaiveDate,
    /// Why.
    pub description: String,
}

/// Marking a letter sent.
#[derive(InputObject, serde::Serialize)]
pub struct MarkLetterSentInput {
    /// The letter.
    pub letter_id: ID,
    /// The letter version you read.
    pub version: i64,
}

/// Letter, template and calendar queries.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// One letter, if you may see its case.
    async fn letter(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Letter> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id("id", &id)?;
        let found = letter::Entity::find_by_id(id)
            .filter(
                letter::Column::CaseId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(upc_case::Column::Id)
                        .from(upc_case::Entity)
                        .cond_where(case_scope(&request.principal).condition())
                        .to_owned(),
                ),
            )
            .one(db)
            .await?;
        found
            .inspect(|l| crate::access::note(ctx, "Letter", Some(l.case_id), None))
            .map(Letter::from)
            .ok_or_else(|| ApiError::NotFound(format!("no letter {id} that you may see")))
    }

    /// Every stored version of the letter templates, newest first; filter by kind and language.
    async fn letter_templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A letter kind, e.g. `stage_1_warning`.")] kind: Option<String>,
        #[graphql(desc = "`en` or `cy`.")] language: Option<String>,
    ) -> ApiResult<Vec<LetterTemplate>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let mut query = letter_template::Entity::find()
            .order_by_asc(letter_template::Column::Kind)
            .order_by_asc(letter_template::Column::Language)
            .order_by_desc(letter_template::Column::TemplateVersion);
        if let Some(kind) = kind {
            query = query.filter(letter_template::Column::Kind.eq(parse_enum(
                "kind",
                &kind,
                LetterKind::ALL,
            )?));
        }
        if let Some(language) = language {
            query = query.filter(letter_template::Column::Language.eq(parse_enum(
                "language",
                &language,
                Language::ALL,
            )?));
        }
        Ok(query
            .all(db)
            .await?
            .into_iter()
            .map(LetterTemplate::from)
            .collect())
    }

    /// The template new letters of this kind and language use now: the newest active version,
    /// or the built-in default.
    async fn current_letter_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A letter kind, e.g. `stage_1_warning`.")] kind: String,
        #[graphql(desc = "`en` or `cy`.")] language: String,
    ) -> ApiResult<LetterTemplate> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let kind = parse_enum("kind", &kind, LetterKind::ALL)?;
        let language = parse_enum("language", &language, Language::ALL)?;
        let (id, template) = active_template(db, kind, language).await?;
        match id {
            Some(id) => letter_template::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(LetterTemplate::from)
                .ok_or_else(|| ApiError::NotFound(format!("no template {id}"))),
            None => Ok(LetterTemplate {
                id: None,
                kind: kind.as_str().to_string(),
                language: language.as_str().to_string(),
                template_version: 0,
                subject: template.subject,
                body: template.body,
                active: true,
                created_at: None,
            }),
        }
    }

    /// Council closure days (besides weekends and bank holidays), in date order.
    async fn closure_days(&self, ctx: &Context<'_>) -> ApiResult<Vec<ClosureDay>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(closure_day::Entity::find()
            .order_by_asc(closure_day::Column::Day)
            .all(db)
            .await?
            .into_iter()
            .map(ClosureDay::from)
            .collect())
    }

    /// The bank holidays of England and Wales in `year`.
    async fn bank_holidays(
        &self,
        #[graphql(desc = "A year from 1900 to 2200.")] year: i32,
    ) -> ApiResult<Vec<BankHoliday>> {
        if !(1900..=2200).contains(&year) {
            return Err(ApiError::bad_input(
                "year",
                "year must be from 1900 to 2200",
            ));
        }
        Ok(Calendar::bank_holidays(year)
            .into_iter()
            .map(|(day, name)| BankHoliday {
                day,
                name: name.to_string(),
            })
            .collect())
    }

    /// The last day to appeal a Stage 1 warning dated `letterDate`: the 15th working day after
    /// it, skipping weekends, bank holidays and council closure days (6.1).
    async fn appeal_deadline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The date of the Stage 1 warning letter (day 0).")] letter_date: NaiveDate,
    ) -> ApiResult<NaiveDate> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(calendar(db).await?.appeal_deadline(letter_date))
    }

    /// Open cases you may see whose review is due within `withinDays` days (default 30) or
    /// overdue, soonest first (7.1); at most 200.
    async fn reviews_due(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days ahead to look, 0 to 366 (default 30).")]
        within_days: Option<i32>,
    ) -> ApiResult<Vec<ReviewDue>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let within = within_days.unwrap_or(30);
        if !(0..=366).contains(&within) {
            return Err(ApiError::bad_input(
                "withinDays",
                "withinDays must be from 0 to 366",
            ));
        }
        let today = today();
        let horizon = today + chrono::Duration::days(i64::from(within));
        let rows = upc_case::Entity::find()
            .filter(case_scope(&request.principal).condition())
            .filter(upc_case::Column::Status.eq(CaseStatus::Open))
            .filter(upc_case::Column::ReviewDueOn.lte(horizon))
            .order_by_asc(upc_case::Column::ReviewDueOn)
            .order_by_asc(upc_case::Column::Id)
            .limit(200)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|c| {
                let due_on = c.review_due_on?;
                Some(ReviewDue {
                    due_on,
                    overdue: due_on < today,
                    days_remaining: (due_on - today).num_days(),
                    case: CaseNode(c),
                })
            })
            .collect())
    }
}

/// Letter, template and calendar mutations.
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Mark a letter sent. For an appeal outcome or review outcome this records when the
    /// customer was told (6.2, 7.4). Legal Services writes every decision to the customer; a
    /// Head of Service may mark their own service's Stage 1 warning letters sent.
    async fn mark_letter_sent(
        &self,
        ctx: &Context<'_>,
        input: MarkLetterSentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Letter> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id("letterId", &input.letter_id)?;
        let key = Idempotency::new(idempotency_key, "markLetterSent", &input)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<letter::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        let found = letter::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no letter {id}")))?;
        let case = crate::graphql::steps::visible_case(&txn, request, found.case_id).await?;
        let code = service_code(&txn, case.service_id).await?;
        let allowed = request.principal.has_role(Role::LegalServices)
            || (request.principal.has_role(Role::HeadOfService)
                && request.principal.in_service(&code)
                && found.kind == LetterKind::Stage1Warning);
        if !allowed {
            return Err(ApiError::Forbidden(
                "Legal Services sends decision letters; a Head of Service may send their service's warning letters".into(),
            ));
        }
        if found.sent_at.is_some() {
            return Err(ApiError::Conflict(format!(
                "letter {id} was already marked sent"
            )));
        }
        let now = Utc::now();
        let sent = update_versioned::<letter::Entity>(
            &txn,
            id,
            input.version,
            letter::ActiveModel {
                sent_at: Set(Some(now)),
                sent_by: Set(Some(request.principal.subject.clone())),
                ..Default::default()
            },
            "letter",
        )
        .await?;
        match (found.regarding_type.as_deref(), found.regarding_id) {
            (Some("appeal"), Some(appeal_id)) => {
                if let Some(a) = appeal::Entity::find_by_id(appeal_id).one(&txn).await? {
                    update_versioned::<appeal::Entity>(
                        &txn,
                        a.id,
                        a.version,
                        appeal::ActiveModel {
                            customer_told_at: Set(Some(now)),
                            ..Default::default()
                        },
                        "appeal",
                    )
                    .await?;
                }
            }
            (Some("review"), Some(review_id)) => {
                if let Some(r) = review::Entity::find_by_id(review_id).one(&txn).await? {
                    update_versioned::<review::Entity>(
                        &txn,
                        r.id,
                        r.version,
                        review::ActiveModel {
                            customer_told_at: Set(Some(now)),
                            ..Default::default()
                        },
                        "review",
                    )
                    .await?;
                }
            }
            _ => {}
        }
        audit::record(
            &txn,
            request,
            Change {
                action: "letter.mark_sent",
                entity_type: "letter",
                entity_id: id.to_string(),
                case_id: Some(found.case_id),
                before: serde_json::json!({"sent_at": null, "version": found.version}).into(),
                after: serde_json::json!({"sent_at": now, "version": sent.version}).into(),
                reason: None,
            },
        )
        .await?;
        remember(&txn, request, &key, "letter", sent.id, &sent).await?;
        txn.commit().await?;
        Ok(sent.into())
    }

    /// Add a new version of a letter template (Legal Services or admin). It is checked: it must
    /// compile, use only known fields, and still say what the letter must say (the reasons, the
    /// Ombudsman, and for a warning the appeal deadline and address). It becomes the version
    /// new letters use; earlier versions stay on record.
    async fn create_letter_template(
        &self,
        ctx: &Context<'_>,
        input: CreateLetterTemplateInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<LetterTemplate> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let kind = parse_enum("kind", &input.kind, LetterKind::ALL)?;
        let language = parse_enum("language", &input.language, Language::ALL)?;
        let template = letters::Template {
            subject: required("subject", &input.subject)?,
            body: required("body", &input.body)?,
        };
        letters::validate(kind, language, &template)
            .map_err(|e| ApiError::bad_input(e.field, e.message))?;
        let key = Idempotency::new(idempotency_key, "createLetterTemplate", &input)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<letter_template::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        let previous = letter_template::Entity::find()
            .filter(letter_template::Column::Kind.eq(kind))
            .filter(letter_template::Column::Language.eq(language))
            .order_by_desc(letter_template::Column::TemplateVersion)
            .all(&txn)
            .await?;
        for p in previous.iter().filter(|p| p.active) {
            update_versioned::<letter_template::Entity>(
                &txn,
                p.id,
                p.version,
                letter_template::ActiveModel {
                    active: Set(false),
                    ..Default::default()
                },
                "letter template",
            )
            .await?;
        }
        let created = letter_template::ActiveModel {
            kind: Set(kind),
            language: Set(language),
            template_version: Set(previous.first().map_or(1, |p| p.template_version + 1)),
            subject: Set(template.subject),
            body: Set(template.body),
            created_by: Set(request.principal.subject.clone()),
            active: Set(true),
            version: Set(1),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            request,
            Change::created(
                "letter_template.create",
                "letter_template",
                created.id,
                &created,
            ),
        )
        .await?;
        remember(&txn, request, &key, "letter_template", created.id, &created).await?;
        txn.commit().await?;
        Ok(created.into())
    }

    /// Add a council closure day (admin). Appeal deadlines computed from now on skip it;
    /// deadlines already set are not changed.
    async fn add_closure_day(
        &self,
        ctx: &Context<'_>,
        input: AddClosureDayInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<ClosureDay> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let description = required("description", &input.description)?;
        let key = Idempotency::new(idempotency_key, "addClosureDay", &input)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<closure_day::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        if closure_day::Entity::find()
            .filter(closure_day::Column::Day.eq(input.day))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "{} is already a closure day",
                input.day
            )));
        }
        let created = closure_day::ActiveModel {
            day: Set(input.day),
            description: Set(description),
            created_by: Set(request.principal.subject.clone()),
            version: Set(1),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            request,
            Change::created("closure_day.add", "closure_day", created.id, &created),
        )
        .await?;
        remember(&txn, request, &key, "closure_day", created.id, &created).await?;
        txn.commit().await?;
        Ok(created.into())
    }

    /// Remove a council closure day (admin). Deadlines already set are not changed.
    async fn remove_closure_day(
        &self,
        ctx: &Context<'_>,
        id: ID,
        idempotency_key: Option<String>,
    ) -> ApiResult<ClosureDay> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id("id", &id)?;
        let key = Idempotency::new(idempotency_key, "removeClosureDay", &id)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<closure_day::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        let found = closure_day::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no closure day {id}")))?;
        found.clone().delete(&txn).await?;
        audit::record(
            &txn,
            request,
            Change::deleted("closure_day.remove", "closure_day", id, &found),
        )
        .await?;
        remember(&txn, request, &key, "closure_day", found.id, &found).await?;
        txn.commit().await?;
        Ok(found.into())
    }
}
