//! The planned case list (`cases`): a page of cases with their customers, services and
//! restrictions, read with one statement for the page and, on PostgreSQL, one for every kind of
//! record asked for (elsewhere one per kind).

use std::collections::BTreeSet;

use async_graphql::{InputType, Value};
use entities::upc_case;

use super::answer::{CaseView, write_case};
use super::json::Json;
use super::select::{CaseField, Item, Planner, Raw, children};
use super::{ToSchema, database_error};
use crate::access::{AccessLog, Category};
use crate::domain::roles::Principal;
use crate::graphql::cases::{CaseFilter, CaseListArgs, MAX_PAGE, case_list_args};
use crate::store::reads::{self, CaseListParts, CaseListRows};

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

/// A planned `cases` field.
#[derive(Debug)]
pub(super) struct CaseListPlan {
    fields: Vec<Item<ConnectionField>>,
    /// What to read beside the page.
    pub(super) parts: CaseListParts,
}

/// Plan the `cases` field `raw`.
pub(super) fn plan<'a>(planner: &mut Planner<'a>, raw: &Raw<'a>) -> Option<CaseListPlan> {
    let children = children(planner.doc, raw, "CaseConnection")?;
    let fields = connection(planner, children)?;
    Some(CaseListPlan {
        fields,
        parts: planner.parts,
    })
}

fn connection<'a>(
    planner: &mut Planner<'a>,
    raws: Vec<Raw<'a>>,
) -> Option<Vec<Item<ConnectionField>>> {
    let mut out = Vec::new();
    for raw in raws {
        planner.note("CaseConnection", &raw);
        let field = match raw.name.as_str() {
            "__typename" => {
                Planner::leaf(&raw)?;
                ConnectionField::Typename
            }
            "nodes" => {
                let children = planner.object(&raw, "Case")?;
                ConnectionField::Nodes(planner.case(children)?)
            }
            "edges" => {
                let children = planner.object(&raw, "CaseEdge")?;
                ConnectionField::Edges(edge(planner, children)?)
            }
            "pageInfo" => {
                let children = planner.object(&raw, "PageInfo")?;
                ConnectionField::PageInfo(page_info(planner, children)?)
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

fn edge<'a>(planner: &mut Planner<'a>, raws: Vec<Raw<'a>>) -> Option<Vec<Item<EdgeField>>> {
    let mut out = Vec::new();
    for raw in raws {
        planner.note("CaseEdge", &raw);
        let field = match raw.name.as_str() {
            "__typename" => EdgeField::Typename,
            "cursor" => EdgeField::Cursor,
            "node" => {
                let children = planner.object(&raw, "Case")?;
                EdgeField::Node(planner.case(children)?)
            }
            _ => return None,
        };
        if !matches!(field, EdgeField::Node(_)) {
            Planner::leaf(&raw)?;
        }
        out.push(Item {
            key: raw.key,
            field,
        });
    }
    Some(out)
}

fn page_info<'a>(
    planner: &mut Planner<'a>,
    raws: Vec<Raw<'a>>,
) -> Option<Vec<Item<PageInfoField>>> {
    let mut out = Vec::new();
    for raw in raws {
        planner.note("PageInfo", &raw);
        Planner::leaf(&raw)?;
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

/// The `cases` arguments of this request, checked as the resolver checks them; `None` when
/// they cannot be coerced or are refused (the schema then answers with its own error).
pub(super) fn arguments(arguments: &[(&str, Value)]) -> Option<CaseListArgs> {
    let mut first = None;
    let mut after = None;
    let mut filter = None;
    for (name, value) in arguments {
        match *name {
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
                    Value::String(s) => Some(s.clone()),
                    _ => return None,
                }
            }
            "filter" => {
                filter = match value {
                    Value::Null => None,
                    value => Some(<CaseFilter as InputType>::parse(Some(value.clone())).ok()?),
                }
            }
            _ => return None,
        }
    }
    case_list_args(first, after, filter).ok()
}

/// A page of cases read for a plan.
pub(super) struct Page<'p> {
    fields: &'p [Item<ConnectionField>],
    rows: CaseListRows,
    after_id: i64,
}

impl CaseListPlan {
    /// Read the page `args` asks for, noting who looked in `access`.
    pub(super) async fn read(
        &self,
        db: &sea_orm::DatabaseConnection,
        principal: &Principal,
        args: CaseListArgs,
        validated_first: u64,
        customer_categories: &BTreeSet<Category>,
        access: &AccessLog,
    ) -> Result<Page<'_>, ToSchema> {
        if args.limit > validated_first.min(MAX_PAGE) {
            return Err(ToSchema("a larger page than validated"));
        }
        let CaseListArgs {
            limit,
            after_id,
            filter,
        } = args;
        let rows = reads::case_list_rows(db, principal, filter, after_id, limit, self.parts)
            .await
            .map_err(database_error)?;
        if !customer_categories.is_empty() {
            for case in &rows.cases {
                if rows.customers.contains_key(&case.customer_id) {
                    for category in customer_categories {
                        access.add(Some(case.id), Some(case.customer_id), *category);
                    }
                }
            }
        }
        Ok(Page {
            fields: &self.fields,
            rows,
            after_id,
        })
    }
}

impl Page<'_> {
    pub(super) fn write(&self, out: &mut Json) {
        write_connection(out, self.fields, &self.rows, self.after_id);
    }
}

/// One case of the page, as [`write_case`] takes it.
fn view<'r>(case: &'r upc_case::Model, rows: &'r CaseListRows) -> CaseView<'r> {
    CaseView {
        case,
        service: rows.services.get(&case.service_id),
        customer: rows.customers.get(&case.customer_id),
        restrictions: rows.restrictions.get(&case.id).map_or(&[], Vec::as_slice),
        parameters: &rows.restriction_parameters,
        page: None,
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
                    write_case(out, case_fields, &view(case, rows));
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
                                write_case(out, case_fields, &view(case, rows))
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
