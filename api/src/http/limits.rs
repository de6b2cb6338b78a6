//! GraphQL limits (issue 8): depth, complexity, aliases, parser recursion, introspection and
//! field suggestions, applied to the schema from the settings; plus an extension that gives every
//! refusal a stable code, records what each operation is (for logs and metrics) and makes sure
//! no error without a code — a library's message, possibly naming SQL — reaches a client.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
    NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{
    ErrorExtensionValues, Request, Response, SchemaBuilder, ServerError, ServerResult,
    ValidationResult, Variables,
};

use crate::config::GraphqlLimits;
use crate::error::ApiError;

/// Code of a document that is not GraphQL.
pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// Code of a document that does not fit the schema or breaks a limit (`extensions.limit` says
/// which, `extensions.max` its value).
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Apply the limits to a schema under construction.
pub fn apply<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    limits: &GraphqlLimits,
) -> SchemaBuilder<Q, M, S> {
    let mut builder = builder
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_recursive_depth)
        .extension(Hardening {
            limits: limits.clone(),
        });
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    builder
}

/// What one operation turned out to be, filled in by the extension as the request goes through
/// parsing and validation; the HTTP handler reads it afterwards for logs and metrics.
#[derive(Debug, Default)]
pub struct OperationInfo(Mutex<OperationFacts>);

/// The facts of [`OperationInfo`].
#[derive(Debug, Default, Clone)]
pub struct OperationFacts {
    /// `query`, `mutation` or `subscription`, once parsed.
    pub kind: Option<&'static str>,
    /// The client's operation name, when it gave one that is a plain GraphQL name.
    pub name: Option<String>,
    /// Root field names of the selected operation (schema names once validated).
    pub root_fields: Vec<String>,
    /// True when validation passed (the root fields are then known schema fields).
    pub validated: bool,
    /// Complexity, once validated.
    pub complexity: usize,
    /// Depth, once validated.
    pub depth: usize,
}

impl OperationInfo {
    /// A copy of what is known so far.
    pub fn facts(&self) -> OperationFacts {
        self.0.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut OperationFacts)) {
        if let Ok(mut facts) = self.0.lock() {
            f(&mut facts);
        }
    }
}

impl OperationFacts {
    /// The label for metrics: the first root field, from the schema's closed set of names, or
    /// `invalid` when the document never passed validation.
    pub fn metric_operation(&self) -> &str {
        if !self.validated {
            return "invalid";
        }
        self.root_fields
            .iter()
            .find(|f| f.as_str() != "__typename")
            .or(self.root_fields.first())
            .map_or("none", String::as_str)
    }

    /// The label for metrics of the operation type.
    pub fn metric_kind(&self) -> &'static str {
        if self.validated {
            self.kind.unwrap_or("unknown")
        } else {
            "invalid"
        }
    }
}

/// The extension factory.
struct Hardening {
    limits: GraphqlLimits,
}

impl ExtensionFactory for Hardening {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(HardeningExtension {
            limits: self.limits.clone(),
            operation_name: Mutex::new(None),
        })
    }
}

struct HardeningExtension {
    limits: GraphqlLimits,
    operation_name: Mutex<Option<String>>,
}

/// A refusal with a code and, for a limit, which and its value.
fn refusal(message: impl Into<String>, code: &str, limit: Option<(&str, usize)>) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    if let Some((name, max)) = limit {
        ext.set("limit", name);
        ext.set("max", max as u64);
    }
    err.extensions = Some(ext);
    err
}

fn has_code(err: &ServerError) -> bool {
    err.extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

fn with_code(mut err: ServerError, code: &str) -> ServerError {
    if !has_code(&err) {
        let mut ext = err.extensions.take().unwrap_or_default();
        ext.set("code", code);
        err.extensions = Some(ext);
    }
    err
}

pub(crate) fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && text.len() <= 100
}

/// Aliases anywhere in the document (operations and fragment definitions, each counted once),
/// counted without recursion so a deeply nested document cannot exhaust the stack.
pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    let mut stack: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node))
        .collect();
    let mut aliases = 0;
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    aliases += usize::from(field.node.alias.is_some());
                    stack.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => stack.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    aliases
}

/// The type and root field names of the operation the request selects.
fn describe(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> (Option<&'static str>, Vec<String>) {
    let op = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(map), Some(name)) => map.get(name),
        (DocumentOperations::Multiple(map), None) if map.len() == 1 => map.values().next(),
        _ => None,
    };
    let Some(op) = op else {
        return (None, Vec::new());
    };
    let kind = match op.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let mut fields = Vec::new();
    for item in &op.node.selection_set.node.items {
        match &item.node {
            Selection::Field(f) => fields.push(f.node.name.node.to_string()),
            Selection::InlineFragment(inline) => {
                for inner in &inline.node.selection_set.node.items {
                    if let Selection::Field(f) = &inner.node {
                        fields.push(f.node.name.node.to_string());
                    }
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                    for inner in &fragment.node.selection_set.node.items {
                        if let Selection::Field(f) = &inner.node {
                            fields.push(f.node.name.node.to_string());
                        }
                    }
                }
            }
        }
    }
    (Some(kind), fields)
}

/// True when the document holds a mutation (or subscription) — what a GET request may never
/// carry. A document that does not parse is not a mutation (it is refused anyway).
pub fn is_mutation(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    match describe(&doc, operation_name).0 {
        Some(kind) => kind != "query",
        // Several operations and none chosen: refuse if any is not a query.
        None => doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Query),
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for HardeningExtension {
    /// Every error leaves with a code: one the stages below did not label (an unknown operation
    /// name, say) is a request the client got wrong.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for err in &mut response.errors {
            if !has_code(err) {
                let taken = std::mem::replace(err, ServerError::new("", None));
                *err = if taken.path.is_empty() {
                    with_code(taken, GRAPHQL_VALIDATION_FAILED)
                } else {
                    safe_field_error(taken)
                };
            }
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(|e| {
            if e.message.starts_with("The recursion depth of the query") {
                refusal(
                    format!(
                        "the document nests selections or fragments deeper than {} levels",
                        self.limits.max_recursive_depth
                    ),
                    GRAPHQL_VALIDATION_FAILED,
                    Some(("recursiveDepth", self.limits.max_recursive_depth)),
                )
            } else {
                with_code(e, GRAPHQL_PARSE_FAILED)
            }
        })?;
        let aliases = count_aliases(&doc);
        if aliases > self.limits.max_aliases {
            return Err(refusal(
                format!(
                    "the document has {aliases} aliases; at most {} are allowed",
                    self.limits.max_aliases
                ),
                GRAPHQL_VALIDATION_FAILED,
                Some(("aliases", self.limits.max_aliases)),
            ));
        }
        let requested = self.operation_name.lock().ok().and_then(|n| n.clone());
        let (kind, root_fields) = describe(&doc, requested.as_deref());
        // A query's loaders keep what they loaded for the rest of the request (the case list
        // prefetches a page's records once); a mutation changes records between its root
        // fields, so its loaders never answer from a cache.
        if let Some(loader) = ctx.data_opt::<crate::graphql::loaders::CaseDataLoader>() {
            loader.enable_all_cache(kind == Some("query") && loader.loader().per_request());
        }
        if let Some(info) = ctx.data_opt::<Arc<OperationInfo>>() {
            info.update(|f| {
                f.kind = kind;
                f.name = requested.filter(|n| is_name(n));
                f.root_fields = root_fields;
            });
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        match next.run(ctx).await {
            Ok(result) => {
                if let Some(info) = ctx.data_opt::<Arc<OperationInfo>>() {
                    info.update(|f| {
                        f.validated = true;
                        f.complexity = result.complexity;
                        f.depth = result.depth;
                    });
                }
                Ok(result)
            }
            Err(errors) => Err(errors
                .into_iter()
                .map(|e| match e.message.as_str() {
                    "Query is too complex." => refusal(
                        format!(
                            "the operation is too complex: at most {} (a list costs its fields once per row `first` asks for)",
                            self.limits.max_complexity
                        ),
                        GRAPHQL_VALIDATION_FAILED,
                        Some(("complexity", self.limits.max_complexity)),
                    ),
                    "Query is nested too deep." => refusal(
                        format!(
                            "the operation nests fields deeper than {} levels",
                            self.limits.max_depth
                        ),
                        GRAPHQL_VALIDATION_FAILED,
                        Some(("depth", self.limits.max_depth)),
                    ),
                    _ => with_code(e, GRAPHQL_VALIDATION_FAILED),
                })
                .collect()),
        }
    }

    // No per-field hook: `request` above gives every field error without a code the same
    // treatment once, at the end, instead of wrapping each of a page's hundreds of fields.
}

/// A field error leaves with a code. Errors from our resolvers already carry one (`ApiError`);
/// the library's own argument errors are the client's fault; anything else is a message from
/// somewhere we did not write it for a client, so it is logged and replaced by an
/// `INTERNAL_SERVER_ERROR` with a correlation id.
fn safe_field_error(err: ServerError) -> ServerError {
    if has_code(&err) {
        return err;
    }
    let client_fault = [
        "Failed to parse",
        "Invalid value for argument",
        "Invalid value for",
    ];
    if client_fault.iter().any(|p| err.message.starts_with(p)) {
        return with_code(err, crate::error::code::BAD_USER_INPUT);
    }
    let safe: async_graphql::Error =
        ApiError::internal(format!("uncoded field error: {}", err.message)).into();
    let mut replaced = safe.into_server_error(err.locations.first().copied().unwrap_or_default());
    replaced.locations = err.locations;
    replaced.path = err.path;
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Value;

    #[test]
    fn aliases_are_counted_in_operations_and_fragments() {
        let doc = async_graphql::parser::parse_query(
            "query { a: me { b: subject } ...F } fragment F on Query { c: me { subject } }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 3);
    }

    #[test]
    fn mutations_are_recognised_for_get() {
        assert!(is_mutation("mutation { x }", None));
        assert!(!is_mutation("{ me { subject } }", None));
        assert!(is_mutation("query A { a } mutation B { b }", Some("B")));
        assert!(!is_mutation("query A { a } mutation B { b }", Some("A")));
        assert!(is_mutation("query A { a } mutation B { b }", None));
        assert!(!is_mutation("not graphql", None));
    }

    #[test]
    fn uncoded_field_errors_become_internal() {
        let e = safe_field_error(ServerError::new(
            "error returned from database: relation \"upc_case\" does not exist",
            None,
        ));
        assert!(!e.message.contains("upc_case"), "{}", e.message);
        let code = e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
        assert_eq!(code, Some(Value::from("INTERNAL_SERVER_ERROR")));
        let e = safe_field_error(ServerError::new("Failed to parse \"Int\": oops", None));
        let code = e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
        assert_eq!(code, Some(Value::from("BAD_USER_INPUT")));
    }
}
