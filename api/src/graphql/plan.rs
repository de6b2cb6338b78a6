//! The planned read path (issue 18): the intranet's case list answered without resolving field
//! by field.
//!
//! A `cases` query is planned from its selection once per document: the first time a document is
//! seen it is executed by the schema as usual (so it is parsed, validated and held to the query
//! limits there), and if it passed validation and asks only for what a plan can answer it is
//! kept, as a [`CaseListPlan`], in the [`PlanCache`]. Later requests with the same document text
//! and operation name are then answered from the plan:
//!
//! - **authorisation** is decided once per request for the whole selection: every
//!   `(type, field)` the document reads is looked up in the policy for the caller's roles, and if
//!   any is not allowed the request goes to the schema instead, which answers it field by field
//!   (nulls and `FORBIDDEN` errors exactly as always);
//! - **row scoping** is the same function the resolver uses ([`reads::case_list_rows`] calls
//!   `case_page`, which applies the caller's case scope);
//! - **the data** is read by the persistence seam with one statement for the page and one per
//!   kind of record asked for (customers, services, restrictions), read at the same time;
//! - **who looked**: the customer fields selected are noted in the request's access log exactly
//!   as the resolvers note them, and written before the response is sent;
//! - **the answer** is written straight to JSON bytes in the selection's order, byte for byte
//!   what the schema would have answered (tests compare the two on both databases).
//!
//! Anything a plan does not cover — another root field, a directive, a fragment on an interface,
//! a field outside the case list's plain columns, an argument value it cannot coerce, a page
//! larger than the one validated — goes to the schema, so the plan only ever answers what it
//! answers identically. The `graphql_planned_reads` setting switches it off.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{InputType, Name, Value};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{customer, service, upc_case};

use crate::access::{AccessLog, Category, SENSITIVE_FIELDS};
use crate::authz::policy::{Verdict, verdict};
use crate::domain::roles::Principal;
use crate::error::ApiResult;
use crate::graphql::cases::{CaseFilter, CaseListArgs, MAX_PAGE, case_list_args};
use crate::store::reads::{self, CaseListParts, CaseListRows, RestrictionLine};

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
        plan: Arc<CaseListPlan>,
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
            Some(plan) => match plan.arguments(variables) {
                Some(args) => Cached::Plan {
                    validated_first: args.limit,
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

/// A field of the response: its key (alias or name) and what fills it.
#[derive(Debug, Clone)]
struct Item<F> {
    key: String,
    field: F,
}

/// The fields of `Case` a plan answers.
#[derive(Debug, Clone)]
enum CaseField {
    Typename,
    Id,
    Reference,
    ServiceCode,
    ServiceName,
    Stage,
    Status,
    OpenedAt,
    ClosedAt,
    ClosureReason,
    AppealDeadline,
    ReviewDueOn,
    FlaggedForReview,
    FlagReason,
    Version,
    Customer(Vec<Item<CustomerField>>),
    Restrictions(Vec<Item<RestrictionField>>),
}

/// The fields of `Customer` a plan answers.
#[derive(Debug, Clone, Copy)]
enum CustomerField {
    Typename,
    Id,
    Reference,
    Kind,
    PreferredLanguage,
    DisplayName,
    Address,
    Email,
    Phone,
    Version,
    MergedIntoId,
    MergedAt,
}

/// The fields of `Restriction` a plan answers (not `description`, which needs the directory).
#[derive(Debug, Clone, Copy)]
enum RestrictionField {
    Typename,
    Id,
    Kind,
    StartsOn,
    EndsOn,
    ReviewDueOn,
    Status,
    Permanent,
    LiftedOn,
    Version,
    Parameters,
    LiftedReason,
}

/// The fields of `CaseConnection`.
#[derive(Debug, Clone)]
enum ConnectionField {
    Typename,
    Nodes(Vec<Item<CaseField>>),
    Edges(Vec<Item<EdgeField>>),
    PageInfo(Vec<Item<PageInfoField>>),
}

/// The fields of `CaseEdge`.
#[derive(Debug, Clone)]
enum EdgeField {
    Typename,
    Cursor,
    Node(Vec<Item<CaseField>>),
}

/// The fields of `PageInfo`.
#[derive(Debug, Clone, Copy)]
enum PageInfoField {
    Typename,
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

/// The root fields.
#[derive(Debug, Clone)]
enum RootField {
    Typename,
    Cases(Vec<Item<ConnectionField>>),
}

/// Where an argument's value comes from.
#[derive(Debug, Clone)]
enum Source {
    /// Not given.
    Absent,
    /// A value in the document, possibly naming variables.
    Given(async_graphql::parser::types::Field),
}

/// A planned `cases` query.
#[derive(Debug)]
pub struct CaseListPlan {
    root: Vec<Item<RootField>>,
    /// The `cases` field as written (its arguments are read from it).
    cases_field: Source,
    /// The operation's variables: name, default value, whether null is allowed.
    variables: Vec<(Name, Option<Value>, bool)>,
    /// Every `(type, field)` the document reads, for the policy.
    reads: Vec<(&'static str, String)>,
    /// The sensitive customer fields selected (what a read of a case's customer reveals).
    customer_categories: BTreeSet<Category>,
    /// What to read beside the page.
    parts: CaseListParts,
    /// The root fields, for the log line and metrics, as the schema path reports them.
    pub root_fields: Vec<String>,
}

/// The root selection flattened: fragments spread, fields with the same key merged.
struct Raw<'a> {
    key: String,
    name: String,
    field: &'a async_graphql::parser::types::Field,
    sets: Vec<&'a SelectionSet>,
}

/// Flatten `set` (of type `type_name`) into `out`, merging fields with the same response key.
/// `None`: something a plan does not cover (a directive, a fragment on another type).
fn flatten<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    type_name: &str,
    out: &mut Vec<Raw<'a>>,
) -> Option<()> {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                if !field.directives.is_empty() {
                    return None;
                }
                let key = field.response_key().node.to_string();
                let name = field.name.node.to_string();
                match out.iter_mut().find(|r| r.key == key) {
                    Some(existing) => {
                        if existing.name != name {
                            return None;
                        }
                        existing.sets.push(&field.selection_set.node);
                    }
                    None => out.push(Raw {
                        key,
                        name,
                        field,
                        sets: vec![&field.selection_set.node],
                    }),
                }
            }
            Selection::InlineFragment(inline) => {
                let inline = &inline.node;
                if !inline.directives.is_empty() {
                    return None;
                }
                if let Some(on) = &inline.type_condition
                    && on.node.on.node.as_str() != type_name
                {
                    return None;
                }
                flatten(doc, &inline.selection_set.node, type_name, out)?;
            }
            Selection::FragmentSpread(spread) => {
                let spread = &spread.node;
                if !spread.directives.is_empty() {
                    return None;
                }
                let fragment = &doc.fragments.get(&spread.fragment_name.node)?.node;
                if !fragment.directives.is_empty()
                    || fragment.type_condition.node.on.node.as_str() != type_name
                {
                    return None;
                }
                flatten(doc, &fragment.selection_set.node, type_name, out)?;
            }
        }
    }
    Some(())
}

/// The children of a merged field, flattened.
fn children<'a>(
    doc: &'a ExecutableDocument,
    raw: &Raw<'a>,
    type_name: &str,
) -> Option<Vec<Raw<'a>>> {
    let mut out = Vec::new();
    for set in &raw.sets {
        flatten(doc, set, type_name, &mut out)?;
    }
    Some(out)
}

/// Builds a plan, noting what it reads.
struct Planner<'a> {
    doc: &'a ExecutableDocument,
    reads: Vec<(&'static str, String)>,
    customer_categories: BTreeSet<Category>,
    parts: CaseListParts,
}

impl<'a> Planner<'a> {
    /// A leaf field: it must have no arguments and no selection.
    fn leaf(raw: &Raw<'a>) -> Option<()> {
        (raw.field.arguments.is_empty() && raw.sets.iter().all(|s| s.items.is_empty()))
            .then_some(())
    }

    /// An object field without arguments: its flattened children.
    fn object(&self, raw: &Raw<'a>, type_name: &str) -> Option<Vec<Raw<'a>>> {
        if !raw.field.arguments.is_empty() {
            return None;
        }
        children(self.doc, raw, type_name)
    }

    fn note(&mut self, type_name: &'static str, raw: &Raw<'_>) {
        if raw.name != "__typename" {
            self.reads.push((type_name, raw.name.clone()));
        }
    }

    fn connection(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<ConnectionField>>> {
        let mut out = Vec::new();
        for raw in raws {
            self.note("CaseConnection", &raw);
            let field = match raw.name.as_str() {
                "__typename" => {
                    Self::leaf(&raw)?;
                    ConnectionField::Typename
                }
                "nodes" => {
                    let children = self.object(&raw, "Case")?;
                    ConnectionField::Nodes(self.case(children)?)
                }
                "edges" => {
                    let children = self.object(&raw, "CaseEdge")?;
                    ConnectionField::Edges(self.edge(children)?)
                }
                "pageInfo" => {
                    let children = self.object(&raw, "PageInfo")?;
                    ConnectionField::PageInfo(self.page_info(children)?)
                }
                _ => return None,
            };
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }

    fn edge(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<EdgeField>>> {
        let mut out = Vec::new();
        for raw in raws {
            self.note("CaseEdge", &raw);
            let field = match raw.name.as_str() {
                "__typename" => EdgeField::Typename,
                "cursor" => EdgeField::Cursor,
                "node" => {
                    let children = self.object(&raw, "Case")?;
                    EdgeField::Node(self.case(children)?)
                }
                _ => return None,
            };
            if !matches!(field, EdgeField::Node(_)) {
                Self::leaf(&raw)?;
            }
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }

    fn page_info(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<PageInfoField>>> {
        let mut out = Vec::new();
        for raw in raws {
            self.note("PageInfo", &raw);
            Self::leaf(&raw)?;
            let field = match raw.name.as_str() {
                "__typename" => PageInfoField::Typename,
                "hasPreviousPage" => PageInfoField::HasPreviousPage,
                "hasNextPage" => PageInfoField::HasNextPage,
                "startCursor" => PageInfoField::StartCursor,
                "endCursor" => PageInfoField::EndCursor,
                _ => return None,
            };
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }

    fn case(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<CaseField>>> {
        let mut out = Vec::new();
        for raw in raws {
            self.note("Case", &raw);
            let field = match raw.name.as_str() {
                "customer" => {
                    let children = self.object(&raw, "Customer")?;
                    self.parts.customers = true;
                    CaseField::Customer(self.customer(children)?)
                }
                "restrictions" => {
                    let children = self.object(&raw, "Restriction")?;
                    self.parts.restrictions = true;
                    CaseField::Restrictions(self.restriction(children)?)
                }
                name => {
                    Self::leaf(&raw)?;
                    match name {
                        "__typename" => CaseField::Typename,
                        "id" => CaseField::Id,
                        "reference" => CaseField::Reference,
                        "serviceCode" => {
                            self.parts.services = true;
                            CaseField::ServiceCode
                        }
                        "serviceName" => {
                            self.parts.services = true;
                            CaseField::ServiceName
                        }
                        "stage" => CaseField::Stage,
                        "status" => CaseField::Status,
                        "openedAt" => CaseField::OpenedAt,
                        "closedAt" => CaseField::ClosedAt,
                        "closureReason" => CaseField::ClosureReason,
                        "appealDeadline" => CaseField::AppealDeadline,
                        "reviewDueOn" => CaseField::ReviewDueOn,
                        "flaggedForReview" => CaseField::FlaggedForReview,
                        "flagReason" => CaseField::FlagReason,
                        "version" => CaseField::Version,
                        _ => return None,
                    }
                }
            };
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }

    fn customer(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<CustomerField>>> {
        let mut out = Vec::new();
        for raw in raws {
            self.note("Customer", &raw);
            Self::leaf(&raw)?;
            let field = match raw.name.as_str() {
                "__typename" => CustomerField::Typename,
                "id" => CustomerField::Id,
                "reference" => CustomerField::Reference,
                "kind" => CustomerField::Kind,
                "preferredLanguage" => CustomerField::PreferredLanguage,
                "displayName" => CustomerField::DisplayName,
                "address" => CustomerField::Address,
                "email" => CustomerField::Email,
                "phone" => CustomerField::Phone,
                "version" => CustomerField::Version,
                "mergedIntoId" => CustomerField::MergedIntoId,
                "mergedAt" => CustomerField::MergedAt,
                _ => return None,
            };
            if let Some((_, _, category)) = SENSITIVE_FIELDS
                .iter()
                .find(|(ty, name, _)| *ty == "Customer" && *name == raw.name)
            {
                self.customer_categories.insert(*category);
            }
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }

    fn restriction(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<RestrictionField>>> {
        let mut out = Vec::new();
        for raw in raws {
            self.note("Restriction", &raw);
            Self::leaf(&raw)?;
            let field = match raw.name.as_str() {
                "__typename" => RestrictionField::Typename,
                "id" => RestrictionField::Id,
                "kind" => RestrictionField::Kind,
                "startsOn" => RestrictionField::StartsOn,
                "endsOn" => RestrictionField::EndsOn,
                "reviewDueOn" => RestrictionField::ReviewDueOn,
                "status" => RestrictionField::Status,
                "permanent" => RestrictionField::Permanent,
                "liftedOn" => RestrictionField::LiftedOn,
                "version" => RestrictionField::Version,
                "parameters" => {
                    self.parts.restriction_parameters = true;
                    RestrictionField::Parameters
                }
                "liftedReason" => RestrictionField::LiftedReason,
                _ => return None,
            };
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }
}

/// The plan for `query` / `operation`, when a plan can answer it: a query whose root selects
/// `cases` once (and perhaps `__typename`) with fields a plan covers.
pub fn analyse(query: &str, operation: Option<&str>) -> Option<CaseListPlan> {
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
    let mut planner = Planner {
        doc: &doc,
        reads: Vec::new(),
        customer_categories: BTreeSet::new(),
        parts: CaseListParts::default(),
    };
    let mut root = Vec::new();
    let mut cases_field = Source::Absent;
    let mut root_fields = Vec::new();
    for raw in raws {
        planner.note("Query", &raw);
        root_fields.push(raw.name.clone());
        let field = match raw.name.as_str() {
            "__typename" => {
                Planner::leaf(&raw)?;
                RootField::Typename
            }
            "cases" => {
                if !matches!(cases_field, Source::Absent) || raw.sets.len() != 1 {
                    return None;
                }
                cases_field = Source::Given(raw.field.clone());
                let children = children(&doc, &raw, "CaseConnection")?;
                RootField::Cases(planner.connection(children)?)
            }
            _ => return None,
        };
        root.push(Item {
            key: raw.key,
            field,
        });
    }
    if matches!(cases_field, Source::Absent) {
        return None;
    }
    Some(CaseListPlan {
        root,
        cases_field,
        variables,
        reads: planner.reads,
        customer_categories: planner.customer_categories,
        parts: planner.parts,
        root_fields,
    })
}

/// Why a plan did not answer (the schema then does): for the debug log.
#[derive(Debug)]
pub struct ToSchema(pub &'static str);

impl CaseListPlan {
    /// The `cases` arguments of this request, checked as the resolver checks them; `None` when
    /// they cannot be coerced or are refused (the schema then answers with its own error).
    fn arguments(&self, variables: &async_graphql::Variables) -> Option<CaseListArgs> {
        let Source::Given(field) = &self.cases_field else {
            return None;
        };
        let mut first = None;
        let mut after = None;
        let mut filter = None;
        for (name, value) in &field.arguments {
            let value = value
                .node
                .clone()
                .into_const_with(|var| self.variable(variables, &var).ok_or(ToSchema("variable")))
                .ok()?;
            match name.node.as_str() {
                "first" => {
                    first = match value {
                        Value::Null => None,
                        Value::Number(n) => Some(i32::try_from(n.as_i64()?).ok()?),
                        _ => return None,
                    }
                }
                "after" => {
                    after = match value {
                        Value::Null => None,
                        Value::String(s) => Some(s),
                        _ => return None,
                    }
                }
                "filter" => {
                    filter = match value {
                        Value::Null => None,
                        value => Some(<CaseFilter as InputType>::parse(Some(value)).ok()?),
                    }
                }
                _ => return None,
            }
        }
        case_list_args(first, after, filter).ok()
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

    /// Answer the request from the plan: the response body (`{"data":…}`), or [`ToSchema`] when
    /// the schema must answer it (arguments it cannot take, a field the caller may not read, a
    /// page larger than validated, or a database error, which the schema then reports as usual).
    pub async fn execute(
        &self,
        db: &sea_orm::DatabaseConnection,
        principal: &Principal,
        variables: &async_graphql::Variables,
        validated_first: u64,
        access: &AccessLog,
    ) -> Result<Vec<u8>, ToSchema> {
        let args = self.arguments(variables).ok_or(ToSchema(
            "arguments the resolver refuses or cannot be coerced",
        ))?;
        if args.limit > validated_first.min(MAX_PAGE) {
            return Err(ToSchema("a larger page than validated"));
        }
        if !self.allowed(principal) {
            return Err(ToSchema("a field the caller's roles may not read"));
        }
        let CaseListArgs {
            limit,
            after_id,
            filter,
        } = args;
        let rows: ApiResult<CaseListRows> =
            reads::case_list_rows(db, principal, filter, after_id, limit, self.parts).await;
        let rows = rows.map_err(|e| {
            tracing::warn!(error = %e.message(), "planned read failed; the schema answers");
            ToSchema("a database error")
        })?;
        if !self.customer_categories.is_empty() {
            for case in &rows.cases {
                if rows.customers.contains_key(&case.customer_id) {
                    for category in &self.customer_categories {
                        access.add(Some(case.id), Some(case.customer_id), *category);
                    }
                }
            }
        }
        let mut out = Json(Vec::with_capacity(1024 + rows.cases.len() * 512));
        out.raw("{\"data\":{");
        for (i, item) in self.root.iter().enumerate() {
            out.key(i, &item.key);
            match &item.field {
                RootField::Typename => out.str("Query"),
                RootField::Cases(fields) => write_connection(&mut out, fields, &rows, after_id),
            }
        }
        out.raw("}}");
        Ok(out.0)
    }
}

/// A JSON writer: text is escaped as `serde_json` escapes it, so the bytes are the schema's.
struct Json(Vec<u8>);

impl Json {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn key(&mut self, index: usize, key: &str) {
        if index > 0 {
            self.0.push(b',');
        }
        self.str(key);
        self.0.push(b':');
    }

    fn str(&mut self, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, s);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    fn int(&mut self, n: i64) {
        use std::io::Write;
        let _ = write!(self.0, "{n}");
    }

    fn id(&mut self, n: i64) {
        self.0.push(b'"');
        self.int(n);
        self.0.push(b'"');
    }

    fn opt_id(&mut self, n: Option<i64>) {
        match n {
            Some(n) => self.id(n),
            None => self.raw("null"),
        }
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// `"YYYY-MM-DD"`, as the schema's `NaiveDate` (`%Y-%m-%d`) writes it.
    fn date(&mut self, d: NaiveDate) {
        use chrono::Datelike;
        use std::io::Write;
        let year = d.year();
        if (0..=9999).contains(&year) {
            let digits = |n: u32, width: usize, out: &mut Vec<u8>| {
                for i in (0..width).rev() {
                    out.push(b'0' + ((n / 10u32.pow(i as u32)) % 10) as u8);
                }
            };
            self.0.push(b'"');
            digits(year as u32, 4, &mut self.0);
            self.0.push(b'-');
            digits(d.month(), 2, &mut self.0);
            self.0.push(b'-');
            digits(d.day(), 2, &mut self.0);
            self.0.push(b'"');
        } else {
            let _ = write!(self.0, "\"{}\"", d.format("%Y-%m-%d"));
        }
    }

    fn opt_date(&mut self, d: Option<NaiveDate>) {
        match d {
            Some(d) => self.date(d),
            None => self.raw("null"),
        }
    }

    fn datetime(&mut self, t: DateTime<Utc>) {
        self.str(&t.to_rfc3339());
    }

    fn opt_datetime(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.datetime(t),
            None => self.raw("null"),
        }
    }
}

fn write_connection(
    out: &mut Json,
    fields: &[Item<ConnectionField>],
    rows: &CaseListRows,
    after_id: i64,
) {
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match &item.field {
            ConnectionField::Typename => out.str("CaseConnection"),
            ConnectionField::Nodes(case_fields) => {
                out.raw("[");
                for (n, case) in rows.cases.iter().enumerate() {
                    if n > 0 {
                        out.raw(",");
                    }
                    write_case(out, case_fields, case, rows);
                }
                out.raw("]");
            }
            ConnectionField::Edges(edge_fields) => {
                out.raw("[");
                for (n, case) in rows.cases.iter().enumerate() {
                    if n > 0 {
                        out.raw(",");
                    }
                    out.raw("{");
                    for (j, edge) in edge_fields.iter().enumerate() {
                        out.key(j, &edge.key);
                        match &edge.field {
                            EdgeField::Typename => out.str("CaseEdge"),
                            EdgeField::Cursor => out.id(case.id),
                            EdgeField::Node(case_fields) => {
                                write_case(out, case_fields, case, rows)
                            }
                        }
                    }
                    out.raw("}");
                }
                out.raw("]");
            }
            ConnectionField::PageInfo(page_fields) => {
                out.raw("{");
                for (j, page) in page_fields.iter().enumerate() {
                    out.key(j, &page.key);
                    match page.field {
                        PageInfoField::Typename => out.str("PageInfo"),
                        PageInfoField::HasPreviousPage => out.bool(after_id > 0),
                        PageInfoField::HasNextPage => out.bool(rows.has_next),
                        PageInfoField::StartCursor => out.opt_id(rows.cases.first().map(|c| c.id)),
                        PageInfoField::EndCursor => out.opt_id(rows.cases.last().map(|c| c.id)),
                    }
                }
                out.raw("}");
            }
        }
    }
    out.raw("}");
}

fn write_case(
    out: &mut Json,
    fields: &[Item<CaseField>],
    case: &upc_case::Model,
    rows: &CaseListRows,
) {
    let service = || rows.services.get(&case.service_id);
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match &item.field {
            CaseField::Typename => out.str("Case"),
            CaseField::Id => out.id(case.id),
            CaseField::Reference => out.str(&case.reference),
            CaseField::ServiceCode => out.str(service().map_or("", |s: &service::Model| &s.code)),
            CaseField::ServiceName => out.str(service().map_or("", |s: &service::Model| &s.name)),
            CaseField::Stage => out.str(case.stage.as_str()),
            CaseField::Status => out.str(case.status.as_str()),
            CaseField::OpenedAt => out.datetime(case.opened_at),
            CaseField::ClosedAt => out.opt_datetime(case.closed_at),
            CaseField::ClosureReason => out.opt_str(case.closure_reason.as_deref()),
            CaseField::AppealDeadline => out.opt_date(case.appeal_deadline),
            CaseField::ReviewDueOn => out.opt_date(case.review_due_on),
            CaseField::FlaggedForReview => out.bool(case.flagged_for_review),
            CaseField::FlagReason => out.opt_str(case.flag_reason.as_deref()),
            CaseField::Version => out.int(case.version),
            CaseField::Customer(customer_fields) => match rows.customers.get(&case.customer_id) {
                Some(customer) => write_customer(out, customer_fields, customer),
                None => out.raw("null"),
            },
            CaseField::Restrictions(restriction_fields) => {
                out.raw("[");
                let none = Vec::new();
                let list = rows.restrictions.get(&case.id).unwrap_or(&none);
                for (n, r) in list.iter().enumerate() {
                    if n > 0 {
                        out.raw(",");
                    }
                    write_restriction(out, restriction_fields, r, rows);
                }
                out.raw("]");
            }
        }
    }
    out.raw("}");
}

fn write_customer(out: &mut Json, fields: &[Item<CustomerField>], c: &customer::Model) {
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match item.field {
            CustomerField::Typename => out.str("Customer"),
            CustomerField::Id => out.id(c.id),
            CustomerField::Reference => out.str(&c.reference),
            CustomerField::Kind => out.str(c.kind.as_str()),
            CustomerField::PreferredLanguage => out.str(c.preferred_language.as_str()),
            CustomerField::DisplayName => out.str(&c.display_name),
            CustomerField::Address => out.opt_str(c.address.as_deref()),
            CustomerField::Email => out.opt_str(c.email.as_deref()),
            CustomerField::Phone => out.opt_str(c.phone.as_deref()),
            CustomerField::Version => out.int(c.version),
            CustomerField::MergedIntoId => out.opt_id(c.merged_into_id),
            CustomerField::MergedAt => out.opt_datetime(c.merged_at),
        }
    }
    out.raw("}");
}

fn write_restriction(
    out: &mut Json,
    fields: &[Item<RestrictionField>],
    r: &RestrictionLine,
    rows: &CaseListRows,
) {
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match item.field {
            RestrictionField::Typename => out.str("Restriction"),
            RestrictionField::Id => out.id(r.id),
            RestrictionField::Kind => out.str(r.kind.as_str()),
            RestrictionField::StartsOn => out.date(r.starts_on),
            RestrictionField::EndsOn => out.opt_date(r.ends_on),
            RestrictionField::ReviewDueOn => out.date(r.review_due_on),
            RestrictionField::Status => out.str(r.status.as_str()),
            RestrictionField::Permanent => out.bool(r.permanent),
            RestrictionField::LiftedOn => out.opt_date(r.lifted_on),
            RestrictionField::Version => out.int(r.version),
            RestrictionField::Parameters => match rows.restriction_parameters.get(&r.id) {
                Some(value) => {
                    let _ = serde_json::to_writer(&mut out.0, value);
                }
                None => out.raw("null"),
            },
            RestrictionField::LiftedReason => out.opt_str(r.lifted_reason.as_deref()),
        }
    }
    out.raw("}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_case_list_is_planned() {
        let plan = analyse(
            "{ cases(first: 50) { nodes { reference serviceName customer { displayName } \
             restrictions { kind startsOn reviewDueOn } } } }",
            None,
        )
        .expect("planned");
        assert!(plan.parts.customers && plan.parts.services && plan.parts.restrictions);
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
    fn dates_are_written_as_the_schema_writes_them() {
        for (y, m, d) in [
            (2026, 1, 5),
            (999, 12, 31),
            (10000, 2, 29),
            (-44, 3, 15),
            (0, 1, 1),
        ] {
            let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
                continue;
            };
            let mut out = Json(Vec::new());
            out.date(date);
            let schema = serde_json::to_vec(&date.format("%Y-%m-%d").to_string()).expect("json");
            assert_eq!(
                String::from_utf8_lossy(&out.0),
                String::from_utf8_lossy(&schema)
            );
        }
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
            "{ cases { nodes { restrictions { description } } } }",
            "{ cases { nodes { id @include(if: true) } } }",
            "{ cases { nodes { id } } me { subject } }",
            "{ a: cases { nodes { id } } b: cases { nodes { id } } }",
            "mutation { cases { nodes { id } } }",
            "{ case(id: \"1\") { id } }",
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
        let vars = async_graphql::Variables::from_json(serde_json::json!({"after": "12"}));
        let args = plan.arguments(&vars).expect("coerced");
        assert_eq!((args.limit, args.after_id), (7, 12));
        let vars = async_graphql::Variables::from_json(
            serde_json::json!({"n": 500, "f": {"stage": "closed"}}),
        );
        assert!(plan.arguments(&vars).is_none(), "first over the maximum");
        let vars = async_graphql::Variables::from_json(serde_json::json!({"f": {"stage": "nope"}}));
        assert!(plan.arguments(&vars).is_none(), "a stage that is not one");
        let vars =
            async_graphql::Variables::from_json(serde_json::json!({"f": {"status": "open"}}));
        let args = plan.arguments(&vars).expect("coerced");
        assert!(args.filter.status.is_some());
    }
}
