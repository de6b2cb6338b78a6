//! The planned case page (`case(id)`): one case with its customer, service, timeline and the
//! records its page lists, read by [`case_page`] (on PostgreSQL in one statement) and written
//! without resolving field by field.

use std::collections::{BTreeSet, HashMap};

use async_graphql::{ID, Value};

use super::answer::{CaseView, PageView, write_case};
use super::json::Json;
use super::select::{CaseField, Item, PageNeeds, Planner, Raw, children};
use super::{ToSchema, database_error};
use crate::access::{AccessLog, Category};
use crate::authz::scope::case_scope;
use crate::domain::lifecycle;
use crate::domain::roles::Principal;
use crate::domain::timeline::{CaseRecords, Entry};
use crate::domain::values::{CaseId, RecordId};
use crate::graphql::ids::parse_id;
use crate::store::case_page::{CasePage, Kind, PageParts, all_kinds, case_page};
use crate::store::reads::RestrictionLine;

/// A planned `case(id)` field.
#[derive(Debug)]
pub(super) struct CasePagePlan {
    fields: Vec<Item<CaseField>>,
    /// What to read beside the case.
    pub(super) parts: PageParts,
    /// What to work out from it.
    pub(super) needs: PageNeeds,
    /// The restrictions' details are selected.
    parameters: bool,
    /// The sensitive fields selected on the records listed: `(GraphQL type, category)`.
    pub(super) record_categories: BTreeSet<(&'static str, Category)>,
}

/// Plan the `case` field `raw`.
pub(super) fn plan<'a>(planner: &mut Planner<'a>, raw: &Raw<'a>) -> Option<CasePagePlan> {
    let children = children(planner.doc, raw, "Case")?;
    let fields = planner.case(children)?;
    let needs = planner.page.clone()?;
    let mut kinds = needs.kinds.clone();
    if needs.timeline {
        kinds = all_kinds();
    }
    if needs.allowed_steps {
        kinds.extend([Kind::Warning, Kind::Appeal, Kind::Restriction, Kind::Review]);
    }
    if planner.parts.restrictions {
        kinds.insert(Kind::Restriction);
    }
    Some(CasePagePlan {
        fields,
        parts: PageParts {
            customer: planner.parts.customers,
            service: planner.parts.services,
            reports: needs.timeline || needs.allowed_steps,
            kinds,
        },
        needs,
        parameters: planner.parts.restriction_parameters,
        record_categories: planner.record_categories.clone(),
    })
}

/// The `case` field's `id`, checked as the resolver checks it; `None` otherwise (the schema
/// then answers with its own error).
pub(super) fn case_id(arguments: &[(&str, Value)]) -> Option<i64> {
    let [("id", value)] = arguments else {
        return None;
    };
    // `ID` takes a string or an integer.
    let id = match value {
        Value::String(s) => ID(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => ID(n.to_string()),
        _ => return None,
    };
    parse_id::<CaseId>("id", &id).ok().map(|id| id.get())
}

/// Whether the page lists any record of GraphQL type `type_name`.
fn lists_any(records: &CaseRecords, type_name: &str) -> bool {
    match type_name {
        "Determination" => !records.determinations.is_empty(),
        "Stage1Warning" => !records.warnings.is_empty(),
        "Appeal" => !records.appeals.is_empty(),
        "Stage2Decision" => !records.decisions.is_empty(),
        "Review" => !records.reviews.is_empty(),
        "Letter" => !records.letters.is_empty(),
        // Anything else is noted as a read: more is recorded, never less.
        _ => true,
    }
}

/// A case page read for a plan.
pub(super) struct Page<'p> {
    fields: &'p [Item<CaseField>],
    page: CasePage,
    restrictions: Vec<RestrictionLine>,
    parameters: HashMap<i64, serde_json::Value>,
    timeline: Vec<Entry>,
    allowed_steps: Vec<String>,
}

impl CasePagePlan {
    /// Read case `id`'s page, noting who looked in `access`; [`ToSchema`] when the caller may
    /// not see the case (the schema answers with its `NOT_FOUND`).
    pub(super) async fn read(
        &self,
        db: &sea_orm::DatabaseConnection,
        principal: &Principal,
        id: i64,
        customer_categories: &BTreeSet<Category>,
        access: &AccessLog,
    ) -> Result<Page<'_>, ToSchema> {
        let author = case_scope(principal).report_author(principal);
        let page = case_page(db, principal, id, author.as_deref(), &self.parts)
            .await
            .map_err(database_error)?
            .ok_or(ToSchema("no such case that the caller may see"))?;
        let (case, records) = (&page.case, &page.records);
        if page.customer.is_some() {
            for category in customer_categories {
                access.add(Some(case.id), Some(case.customer_id), *category);
            }
        }
        for (type_name, category) in &self.record_categories {
            if lists_any(records, type_name) {
                access.add(Some(case.id), Some(case.customer_id), *category);
            }
        }
        let timeline = if self.needs.timeline {
            records.timeline(case)
        } else {
            Vec::new()
        };
        let allowed_steps = if self.needs.allowed_steps {
            let report_times: Vec<_> = records.reports.iter().map(|r| r.occurred_at).collect();
            let facts = lifecycle::facts_from(
                case,
                &records.warnings,
                &records.appeals,
                &report_times,
                &records.restrictions,
                &records.reviews,
            );
            lifecycle::allowed_steps(&facts)
                .into_iter()
                .map(|s| s.mutation().to_string())
                .collect()
        } else {
            Vec::new()
        };
        let restrictions = records
            .restrictions
            .iter()
            .map(RestrictionLine::from)
            .collect();
        let parameters = if self.parameters {
            records
                .restrictions
                .iter()
                .filter_map(|m| Some((m.id, serde_json::to_value(&m.parameters).ok()?)))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(Page {
            fields: &self.fields,
            page,
            restrictions,
            parameters,
            timeline,
            allowed_steps,
        })
    }
}

impl Page<'_> {
    pub(super) fn write(&self, out: &mut Json) {
        let page = PageView {
            records: &self.page.records,
            timeline: &self.timeline,
            allowed_steps: &self.allowed_steps,
        };
        let view = CaseView {
            case: &self.page.case,
            service: self.page.service.as_ref(),
            customer: self.page.customer.as_ref(),
            restrictions: &self.restrictions,
            parameters: &self.parameters,
            page: Some(&page),
        };
        write_case(out, self.fields, &view);
    }
}
