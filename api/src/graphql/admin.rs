//! Letters (fetch, mark sent), letter templates (versioned), the working-days calendar and
//! its closure days, and the reviews-due list.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{Language, LetterKind};
use entities::{closure_day, letter_template};
use sea_orm::DatabaseConnection;

use crate::authz::caller;
use crate::calendar::Calendar;
use crate::domain::correspondence::{MarkLetterSent, NewTemplate};
use crate::domain::directory::NewClosureDay;
use crate::domain::values::{ClosureDayId, LetterId, RecordId, Text, choice};
use crate::error::{ApiError, ApiResult};
use crate::graphql::cases::CaseNode;
use crate::graphql::ids::parse_id;
use crate::graphql::records::Letter;
use crate::graphql::steps::{key, session};
use crate::store::facts::{active_template, calendar};
use crate::store::reads;

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
    /// `review_outcome`, `determination_outcome` or `case_closed`.
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
        let id = parse_id::<LetterId>("id", &id)?.get();
        let found = reads::visible_letter(db, &request.principal, id).await?;
        crate::access::note(ctx, "Letter", Some(found.case_id), None);
        Ok(Letter::from(found))
    }

    /// Every stored version of the letter templates, newest first; filter by kind and language.
    async fn letter_templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A letter kind, e.g. `stage_1_warning`.")] kind: Option<String>,
        #[graphql(desc = "`en` or `cy`.")] language: Option<String>,
    ) -> ApiResult<Vec<LetterTemplate>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let kind = kind
            .map(|k| choice("kind", &k, LetterKind::ALL))
            .transpose()?;
        let language = language
            .map(|l| choice("language", &l, Language::ALL))
            .transpose()?;
        Ok(reads::letter_templates(db, kind, language)
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
        let kind = choice("kind", &kind, LetterKind::ALL)?;
        let language = choice("language", &language, Language::ALL)?;
        let (id, template) = active_template(db, kind, language).await?;
        match id {
            Some(id) => Ok(reads::letter_template(db, id).await?.into()),
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
        Ok(reads::closure_days(db)
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
        let today = Utc::now().date_naive();
        let horizon = today + chrono::Duration::days(i64::from(within));
        let rows = reads::reviews_due(db, &request.principal, horizon).await?;
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
        let letter = parse_id::<LetterId>("letterId", &input.letter_id)?;
        let key = key(idempotency_key, "markLetterSent", &input)?;
        let cmd = MarkLetterSent {
            version: input.version,
        };
        Ok(session(ctx)?
            .mark_letter_sent(letter, cmd, key)
            .await?
            .into())
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
        let cmd = NewTemplate {
            kind: choice("kind", &input.kind, LetterKind::ALL)?,
            language: choice("language", &input.language, Language::ALL)?,
            subject: Text::parse("subject", &input.subject)?,
            body: Text::parse("body", &input.body)?,
        };
        cmd.validate()?;
        let key = key(idempotency_key, "createLetterTemplate", &input)?;
        Ok(session(ctx)?.create_letter_template(cmd, key).await?.into())
    }

    /// Add a council closure day (admin). Appeal deadlines computed from now on skip it;
    /// deadlines already set are not changed.
    async fn add_closure_day(
        &self,
        ctx: &Context<'_>,
        input: AddClosureDayInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<ClosureDay> {
        let cmd = NewClosureDay {
            day: input.day,
            description: Text::parse("description", &input.description)?,
        };
        let key = key(idempotency_key, "addClosureDay", &input)?;
        Ok(session(ctx)?.add_closure_day(cmd, key).await?.into())
    }

    /// Remove a council closure day (admin). Deadlines already set are not changed.
    async fn remove_closure_day(
        &self,
        ctx: &Context<'_>,
        id: ID,
        idempotency_key: Option<String>,
    ) -> ApiResult<ClosureDay> {
        let id = parse_id::<ClosureDayId>("id", &id)?;
        let key = key(idempotency_key, "removeClosureDay", &id.get())?;
        Ok(session(ctx)?.remove_closure_day(id, key).await?.into())
    }
}
