//! The planned read path (issue 18): the intranet's case list and case page answered without
//! resolving field by field.
//!
//! A `cases` or `case(id)` query is planned from its selection once per document: the first time
//! a document is seen it is executed by the schema as usual (so it is parsed, validated and held
//! to the query limits there), and if it passed validation and asks only for what a plan can
//! answer it is kept, as a [`Plan`], in the [`PlanCache`]. Later requests with the same document
//! text and operation name are then answered from the plan:
//!
//! - **authorisation** is decided once per request for the whole selection: every
//!   `(type, field)` the document reads is looked up in the policy for the caller's roles, and if
//!   any is not allowed the request goes to the schema instead, which answers it field by field
//!   (nulls and `FORBIDDEN` errors exactly as always);
//! - **row scoping** is the same function the resolvers use (the case list's page and the case
//!   page both apply the caller's case scope; an elected Member's page shows only their own
//!   behaviour reports, as the resolvers' loader does);
//! - **the data** is read by the persistence seam: a case list with one statement for the page
//!   and, on PostgreSQL, one for every kind of record asked for (elsewhere one per kind, read at
//!   the same time) ([`list`]); a case page on
//!   PostgreSQL with one statement for the case and everything its page shows ([`detail`]);
//! - **who looked**: the sensitive fields selected are noted in the request's access log exactly
//!   as the resolvers note them, and written before the response is sent;
//! - **the answer** is written straight to JSON bytes in the selection's order, byte for byte
//!   what the schema would have answered ([`answer`], [`json`]; tests compare the two on both
//!   databases).
//!
//! Anything a plan does not cover — another root field, a directive, a fragment on an interface,
//! a field outside the plain columns a plan writes ([`select`]), an argument value it cannot
//! coerce, a page larger than the one validated, a case the caller may not see — goes to the
//! schema, so the plan only ever answers what it answers identically. The
//! `graphql_planned_reads` setting switches it off.

mod answer;
mod contact;
mod detail;
mod json;
mod list;
mod select;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Name, Value};

use self::json::Json;
use self::select::{Planner, flatten};
use crate::access::{AccessLog, Category};
use crate::authz::RequestContext;
use crate::authz::policy::{Verdict, verdict};
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::roles::Principal;
use crate::store::service_ids::ServiceIds;

/// Most documents kept; past it the cache is emptied and documents are learnt again.
const MAX_DOCUMENTS: usize = 256;

/// Longest document text kept.
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;

/// The operations of one document text seen so far: operation name, what is known of it.
type Operations = Vec<(Option<String>, Arc<Cached>)>;

/// The documents seen, each with its plan or the note that it has none.
#[derive(Default)]
pub struct PlanCache {
    entries: Mutex<HashMap<String, Operations>>,
}

/// What is known of one document.
pub enum Cached {
    /// The schema answers it (not a case list a plan covers).
    Schema,
    /// A plan, valid for pages up to `validated_first` rows (the query's complexity grows with
    /// the page size, and only that size passed validation).
    Plan {
        /// The plan.
        plan: Arc<Plan>,
        /// The largest page size this document was validated with.
        validated_first: u64,
    },
}

impl PlanCache {
    /// The cached entry for `query` / `operation`, if any.
    pub fn get(&self, query: &str, operation: Option<&str>) -> Option<Arc<Cached>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(query)?
            .iter()
            .find(|(op, _)| op.as_deref() == operation)
            .map(|(_, cached)| cached.clone())
    }

    /// After the schema executed `query` (validated, with `variables`): remember whether a plan
    /// answers it, and for which page sizes.
    pub fn learn(
        &self,
        query: &str,
        operation: Option<&str>,
        variables: &async_graphql::Variables,
    ) {
        if query.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let cached = match analyse(query, operation) {
            Some(plan) => match plan.validated_first(variables) {
                Some(first) => Cached::Plan {
                    validated_first: first,
                    plan: Arc::new(plan),
                },
                None => return,
            },
            None => Cached::Schema,
        };
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_DOCUMENTS && !entries.contains_key(query) {
            // Full: start again rather than refuse, so documents seen earlier (by anyone signed
            // in) can never keep the intranet's own out; they are learnt again on their next use.
            entries.clear();
        }
        let list = entries.entry(query.to_string()).or_default();
        match list.iter_mut().find(|(op, _)| op.as_deref() == operation) {
            Some((_, existing)) => {
                // Keep the largest page size validated.
                let better = match (&**existing, &cached) {
                    (
                        Cached::Plan {
                            validated_first: old,
                            ..
                        },
                        Cached::Plan {
                            validated_first: new,
                            ..
                        },
                    ) => new > old,
                    _ => false,
                };
                if better {
                    *existing = Arc::new(cached);
                }
            }
            None => list.push((operation.map(str::to_string), Arc::new(cached))),
        }
    }
}

/// What a plan answers.
#[derive(Debug)]
enum Body {
    /// A case list (`cases`).
    List(list::CaseListPlan),
    /// A case page (`case(id)`).
    Detail(detail::CasePagePlan),
    /// A contact check (`contactCheck(input)`).
    Contact(contact::ContactCheckPlan),
}

/// A planned query: `cases`, `case(id)` or `contactCheck(input)` at its root, perhaps beside
/// `__typename`.
#[derive(Debug)]
pub struct Plan {
    /// The root's response keys in order; `true` for the planned field, `false` for
    /// `__typename`.
    root: Vec<(String, bool)>,
    /// The planned root field as written (its arguments are read from it).
    field: async_graphql::parser::types::Field,
    /// The operation's variables: name, default value, whether null is allowed.
    variables: Vec<(Name, Option<Value>, bool)>,
    /// Every `(type, field)` the document reads, for the policy.
    reads: Vec<(&'static str, String)>,
    /// The sensitive customer fields selected (what a read of a case's customer reveals).
    customer_categories: BTreeSet<Category>,
    /// What the planned field answers.
    body: Body,
    /// The root fields, for the log line and metrics, as the schema path reports them.
    pub root_fields: Vec<String>,
}

/// The plan for `query` / `operation`, when a plan can answer it: a query whose root selects
/// `cases` or `case` once (and perhaps `__typename`) with fields a plan covers.
pub fn analyse(query: &str, operation: Option<&str>) -> Option<Plan> {
    let doc = async_graphql::parser::parse_query(query).ok()?;
    let op = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), None) => op,
        (DocumentOperations::Single(_), Some(_)) => return None,
        (DocumentOperations::Multiple(map), Some(name)) => map.get(name)?,
        (DocumentOperations::Multiple(map), None) if map.len() == 1 => map.values().next()?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    let op = &op.node;
    if op.ty != OperationType::Query || !op.directives.is_empty() {
        return None;
    }
    let variables = op
        .variable_definitions
        .iter()
        .map(|v| {
            (
                v.node.name.node.clone(),
                v.node.default_value.as_ref().map(|d| d.node.clone()),
                v.node.var_type.node.nullable,
            )
        })
        .collect();
    let mut raws = Vec::new();
    flatten(&doc, &op.selection_set.node, "Query", &mut raws)?;
    let mut planned = None;
    let mut root = Vec::new();
    let mut root_fields = Vec::new();
    for raw in &raws {
        root_fields.push(raw.name.clone());
        match raw.name.as_str() {
            "__typename" => {
                Planner::leaf(raw)?;
                root.push((raw.key.clone(), false));
            }
            "cases" | "case" | "contactCheck" if planned.is_none() && raw.sets.len() == 1 => {
                planned = Some(raw);
                root.push((raw.key.clone(), true));
            }
            _ => return None,
        }
    }
    let raw = planned?;
    let mut planner = Planner::new(&doc, raw.name == "case");
    for raw in &raws {
        planner.note("Query", raw);
    }
    let body = match raw.name.as_str() {
        "cases" => Body::List(list::plan(&mut planner, raw)?),
        "case" => Body::Detail(detail::plan(&mut planner, raw)?),
        _ => Body::Contact(contact::plan(&mut planner, raw)?),
    };
    Some(Plan {
        root,
        field: raw.field.clone(),
        variables,
        reads: planner.reads,
        customer_categories: planner.customer_categories,
        body,
        root_fields,
    })
}

/// What a plan reads with: the database, the lifecycle settings (as the schema has them) and the
/// services' ids found so far.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    /// The database pool.
    pub db: &'a sea_orm::DatabaseConnection,
    /// The lifecycle settings.
    pub settings: &'a LifecycleSettings,
    /// The services' ids by code found so far.
    pub service_ids: &'a ServiceIds,
}

/// Why a plan did not answer (the schema then does): for the debug log.
#[derive(Debug)]
pub struct ToSchema(pub &'static str);

impl Plan {
    /// The planned field's arguments with this request's variables, by name; `None` when one
    /// cannot be coerced (the schema then answers with its own error).
    fn arguments(&self, variables: &async_graphql::Variables) -> Option<Vec<(&str, Value)>> {
        self.field
            .arguments
            .iter()
            .map(|(name, value)| {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|var| {
                        self.variable(variables, &var).ok_or(ToSchema("variable"))
                    })
                    .ok()?;
                Some((name.node.as_str(), value))
            })
            .collect()
    }

    /// A variable's value: given, else its default, else null when its type allows it; `None`
    /// otherwise (the schema answers with its error).
    fn variable(&self, variables: &async_graphql::Variables, name: &Name) -> Option<Value> {
        let (_, default, nullable) = self.variables.iter().find(|(n, _, _)| n == name)?;
        variables
            .get(name)
            .cloned()
            .or_else(|| default.clone())
            .or_else(|| nullable.then_some(Value::Null))
    }

    /// Whether `roles` may read every field the document selects.
    fn allowed(&self, principal: &Principal) -> bool {
        self.reads
            .iter()
            .all(|(ty, field)| verdict(ty, field, &principal.roles) == Verdict::Allow)
    }

    /// What `learn` keeps: for a case list the page size these variables ask for (larger pages
    /// were not validated); `None` when the arguments cannot be taken.
    fn validated_first(&self, variables: &async_graphql::Variables) -> Option<u64> {
        let arguments = self.arguments(variables)?;
        match &self.body {
            Body::List(_) => list::arguments(&arguments).map(|args| args.limit),
            // A case page costs the same whichever case it is; so does a contact check.
            Body::Detail(_) => detail::case_id(&arguments).map(|_| 1),
            Body::Contact(_) => contact::input(&arguments).map(|_| 1),
        }
    }

    /// Answer the request from the plan: the response body (`{"data":…}`), or [`ToSchema`] when
    /// the schema must answer it (arguments it cannot take, a field the caller may not read, a
    /// page larger than validated, a case the caller may not see, or a database error, which
    /// the schema then reports as usual).
    pub async fn execute(
        &self,
        with: Reading<'_>,
        request: &RequestContext,
        variables: &async_graphql::Variables,
        validated_first: u64,
        access: &AccessLog,
    ) -> Result<Vec<u8>, ToSchema> {
        let Reading {
            db,
            settings,
            service_ids,
        } = with;
        let principal = &request.principal;
        let arguments = self.arguments(variables).ok_or(ToSchema(
            "arguments the resolver refuses or cannot be coerced",
        ))?;
        if !self.allowed(principal) {
            return Err(ToSchema("a field the caller's roles may not read"));
        }
        // The planned field's value, then the response around it.
        let mut data = Json(Vec::with_capacity(4096));
        match &self.body {
            Body::List(plan) => {
                let args = list::arguments(&arguments).ok_or(ToSchema(
                    "arguments the resolver refuses or cannot be coerced",
                ))?;
                plan.read(
                    db,
                    principal,
                    args,
                    validated_first,
                    &self.customer_categories,
                    access,
                )
                .await?
                .write(&mut data);
            }
            Body::Detail(plan) => {
                let id =
                    detail::case_id(&arguments).ok_or(ToSchema("an id the resolver refuses"))?;
                plan.read(db, principal, id, &self.customer_categories, access)
                    .await?
                    .write(&mut data);
            }
            Body::Contact(plan) => {
                let input =
                    contact::input(&arguments).ok_or(ToSchema("input that cannot be coerced"))?;
                plan.check(db, request, settings, service_ids, input)
                    .await?
                    .write(&mut data);
            }
        }
        let mut out = Json(Vec::with_capacity(data.0.len() + 64));
        out.raw("{\"data\":{");
        for (i, (key, planned)) in self.root.iter().enumerate() {
            out.key(i, key);
            if *planned {
                out.0.extend_from_slice(&data.0);
            } else {
                out.str("Query");
            }
        }
        out.raw("}}");
        Ok(out.0)
    }
}

/// A planned read failed in the database: the schema answers (and reports it as usual).
fn database_error(e: crate::error::ApiError) -> ToSchema {
    tracing::warn!(error = %e.message(), "planned read failed; the schema answers");
    ToSchema("a database error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::case_page::{Kind, all_kinds};

    fn list(plan: &Plan) -> &list::CaseListPlan {
        match &plan.body {
            Body::List(list) => list,
            _ => panic!("a case list was planned as something else"),
        }
    }

    fn page(plan: &Plan) -> &detail::CasePagePlan {
        match &plan.body {
            Body::Detail(page) => page,
            _ => panic!("a case page was planned as something else"),
        }
    }

    #[test]
    fn the_case_list_is_planned() {
        let plan = analyse(
            "{ cases(first: 50) { nodes { reference serviceName customer { displayName } \
             restrictions { kind startsOn reviewDueOn } } } }",
            None,
        )
        .expect("planned");
        let parts = list(&plan).parts;
        assert!(parts.customers && parts.services && parts.restrictions);
        assert_eq!(
            plan.customer_categories,
            BTreeSet::from([Category::CustomerIdentity])
        );
        assert!(
            plan.reads
                .contains(&("Customer", "displayName".to_string()))
        );
        assert_eq!(plan.root_fields, vec!["cases".to_string()]);
    }

    #[test]
    fn the_case_page_is_planned() {
        let plan = analyse(
            "query($id: ID!) { case(id: $id) { reference serviceName customer { displayName } \
             timeline { at kind recordId summary } stage2Decisions { id immediate } \
             letters { id kind subject } } }",
            None,
        )
        .expect("planned");
        let page = page(&plan);
        assert!(page.needs.timeline && !page.needs.allowed_steps);
        assert_eq!(
            page.parts.kinds,
            all_kinds(),
            "the timeline reads every kind"
        );
        assert!(page.parts.customer && page.parts.service && page.parts.reports);
        assert_eq!(
            page.record_categories,
            BTreeSet::from([("Letter", Category::Letter)])
        );
        assert!(plan.reads.contains(&("Letter", "subject".to_string())));
        assert!(
            plan.reads
                .contains(&("TimelineEntry", "summary".to_string()))
        );
        assert_eq!(plan.root_fields, vec!["case".to_string()]);

        // Only what is selected is read.
        let plan = analyse(
            "{ case(id: \"3\") { stage1Warnings { letterDate } } }",
            None,
        )
        .expect("planned");
        let page = self::page(&plan);
        assert_eq!(page.parts.kinds, BTreeSet::from([Kind::Warning]));
        assert!(!page.parts.customer && !page.parts.service && !page.parts.reports);
        let plan = analyse("{ case(id: 3) { allowedSteps } }", None).expect("planned");
        assert_eq!(
            self::page(&plan).parts.kinds,
            BTreeSet::from([Kind::Warning, Kind::Appeal, Kind::Restriction, Kind::Review])
        );
        assert!(self::page(&plan).parts.reports);
    }

    #[test]
    fn the_contact_check_is_planned() {
        let plan = analyse(
            "query($input: ContactCheckInput!) { contactCheck(input: $input) { allowed \
             findings { kind blocks instruction } } }",
            None,
        )
        .expect("planned");
        assert!(matches!(plan.body, Body::Contact(_)));
        assert!(plan.reads.contains(&("Query", "contactCheck".to_string())));
        assert!(
            plan.reads
                .contains(&("CheckFinding", "instruction".to_string()))
        );
        let vars = |input: serde_json::Value| {
            async_graphql::Variables::from_json(serde_json::json!({ "input": input }))
        };
        let good =
            vars(serde_json::json!({"customerId": "4", "serviceCode": "HOU", "channel": "fax"}));
        assert_eq!(plan.validated_first(&good), Some(1));
        let missing = vars(serde_json::json!({"customerId": "4", "channel": "fax"}));
        assert_eq!(
            plan.validated_first(&missing),
            None,
            "serviceCode is required"
        );
        for query in [
            "{ contactCheck(input: {customerId: \"1\", serviceCode: \"H\", channel: \"fax\"}) { findings { kind(x: 1) } } }",
            "{ contactCheck(input: {customerId: \"1\", serviceCode: \"H\", channel: \"fax\"}) { allowed } cases { nodes { id } } }",
            "{ contactCheck(input: {customerId: \"1\", serviceCode: \"H\", channel: \"fax\"}) { nope } }",
        ] {
            assert!(analyse(query, None).is_none(), "{query}");
        }
    }

    #[test]
    fn case_ids_are_taken_as_the_resolver_takes_them() {
        let id = |value: Value| detail::case_id(&[("id", value)]);
        assert_eq!(id(Value::String("12".into())), Some(12));
        assert_eq!(id(Value::from(12)), Some(12));
        assert_eq!(id(Value::String("twelve".into())), None);
        assert_eq!(id(Value::String("-1".into())), None);
        assert_eq!(id(Value::from(1.5)), None);
        assert_eq!(id(Value::Null), None);
        assert_eq!(detail::case_id(&[]), None);
    }

    #[test]
    fn fragments_and_repeated_keys_are_merged() {
        let plan = analyse(
            "query L($n: Int) { cases(first: $n) { ...C edges { node { id } } } } \
             fragment C on CaseConnection { nodes { id ... on Case { id reference } customer { id } customer { email } } }",
            Some("L"),
        )
        .expect("planned");
        assert_eq!(
            plan.customer_categories,
            BTreeSet::from([Category::ContactDetails])
        );
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = PlanCache::default();
        let vars = async_graphql::Variables::default();
        let doc = |i: usize| format!("query Q{i} {{ cases {{ nodes {{ id }} }} }}");
        for i in 0..MAX_DOCUMENTS {
            cache.learn(&doc(i), None, &vars);
        }
        assert!(cache.get(&doc(0), None).is_some());
        cache.learn(&doc(MAX_DOCUMENTS), None, &vars);
        assert!(cache.get(&doc(0), None).is_none(), "emptied when full");
        assert!(matches!(
            cache.get(&doc(MAX_DOCUMENTS), None).as_deref(),
            Some(Cached::Plan {
                validated_first: 50,
                ..
            })
        ));
        cache.learn("{ me { subject } }", None, &vars);
        assert!(matches!(
            cache.get("{ me { subject } }", None).as_deref(),
            Some(Cached::Schema)
        ));
    }

    #[test]
    fn one_named_operation_needs_no_operation_name() {
        assert!(analyse("query Only { cases { nodes { id } } }", None).is_some());
        assert!(
            analyse(
                "query A { cases { nodes { id } } } query B { cases { nodes { id } } }",
                None
            )
            .is_none()
        );
        assert!(
            analyse(
                "query A { cases { nodes { id } } } query B { me { subject } }",
                Some("A")
            )
            .is_some()
        );
    }

    #[test]
    fn what_a_plan_does_not_cover_goes_to_the_schema() {
        for query in [
            "{ cases { nodes { allowedSteps } } }",
            "{ cases { nodes { timeline { at } } } }",
            "{ cases { nodes { letters { id } } } }",
            "{ cases { nodes { restrictions { description } } } }",
            "{ cases { nodes { id @include(if: true) } } }",
            "{ cases { nodes { id } } me { subject } }",
            "{ a: cases { nodes { id } } b: cases { nodes { id } } }",
            "{ cases { nodes { id } } case(id: \"1\") { id } }",
            "mutation { cases { nodes { id } } }",
            "{ case(id: \"1\") { reports { id } } }",
            "{ case(id: \"1\") { contacts { id } } }",
            "{ case(id: \"1\") { restrictions { description } } }",
            "{ case(id: \"1\") { stage1Warnings { appeals { id } } } }",
            "{ case(id: \"1\") { letters { id(x: 1) } } }",
            "{ case(id: \"1\") { timeline { at @skip(if: false) } } }",
            "{ case(id: \"1\") { ... on Customer { id } } }",
            "not graphql",
        ] {
            assert!(analyse(query, None).is_none(), "{query}");
        }
    }

    #[test]
    fn arguments_are_read_from_variables_and_defaults() {
        let plan = analyse(
            "query($n: Int = 7, $after: String, $f: CaseFilter) { cases(first: $n, after: $after, filter: $f) { nodes { id } } }",
            None,
        )
        .expect("planned");
        let args = |vars: serde_json::Value| {
            let vars = async_graphql::Variables::from_json(vars);
            list::arguments(&plan.arguments(&vars)?)
        };
        let got = args(serde_json::json!({"after": "12"})).expect("coerced");
        assert_eq!((got.limit, got.after_id), (7, 12));
        assert!(
            args(serde_json::json!({"n": 500, "f": {"stage": "closed"}})).is_none(),
            "first over the maximum"
        );
        assert!(
            args(serde_json::json!({"f": {"stage": "nope"}})).is_none(),
            "a stage that is not one"
        );
        let got = args(serde_json::json!({"f": {"status": "open"}})).expect("coerced");
        assert!(got.filter.status.is_some());
    }
}
