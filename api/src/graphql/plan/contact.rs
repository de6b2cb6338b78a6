//! The planned contact check (`contactCheck(input)`): the desk's question answered by the
//! resolver's own function ([`desk::contact_check`]: the same input checks, the same store
//! session, the same rules) and written without resolving field by field.

use async_graphql::{InputType, Value};

use super::ToSchema;
use super::json::Json;
use super::select::{Item, Leaf, Planner, Raw, Table, children};
use crate::authz::RequestContext;
use crate::domain::lifecycle::LifecycleSettings;
use crate::graphql::desk::{self, CheckFinding, ContactCheck, ContactCheckInput};
use crate::store::Session;
use crate::store::service_ids::ServiceIds;

/// The fields of `ContactCheck` a plan answers.
#[derive(Debug, Clone)]
pub(super) enum ContactField {
    Typename,
    Allowed,
    ServiceCode,
    At,
    Findings(Vec<Item<Leaf<CheckFinding>>>),
}

const CHECK_FINDING: Table<CheckFinding> = &[
    ("restrictionId", |o, f| {
        o.opt_str(f.restriction_id.as_ref().map(|i| i.as_str()))
    }),
    ("exclusionId", |o, f| {
        o.opt_str(f.exclusion_id.as_ref().map(|i| i.as_str()))
    }),
    ("kind", |o, f| o.str(&f.kind)),
    ("blocks", |o, f| o.bool(f.blocks)),
    ("instruction", |o, f| o.str(&f.instruction)),
];

/// A planned `contactCheck` field.
#[derive(Debug)]
pub(super) struct ContactCheckPlan {
    fields: Vec<Item<ContactField>>,
}

/// Plan the `contactCheck` field `raw`.
pub(super) fn plan<'a>(planner: &mut Planner<'a>, raw: &Raw<'a>) -> Option<ContactCheckPlan> {
    let mut fields = Vec::new();
    for raw in children(planner.doc, raw, "ContactCheck")? {
        planner.note("ContactCheck", &raw);
        let field = if raw.name == "findings" {
            ContactField::Findings(planner.records(&raw, "CheckFinding", CHECK_FINDING)?)
        } else {
            Planner::leaf(&raw)?;
            match raw.name.as_str() {
                "__typename" => ContactField::Typename,
                "allowed" => ContactField::Allowed,
                "serviceCode" => ContactField::ServiceCode,
                "at" => ContactField::At,
                _ => return None,
            }
        };
        fields.push(Item {
            key: raw.key,
            field,
        });
    }
    Some(ContactCheckPlan { fields })
}

/// The `input` argument, coerced as the schema coerces it; `None` otherwise (the schema then
/// answers with its own error).
pub(super) fn input(arguments: &[(&str, Value)]) -> Option<ContactCheckInput> {
    let [("input", value)] = arguments else {
        return None;
    };
    <ContactCheckInput as InputType>::parse(Some(value.clone())).ok()
}

/// A contact check made for a plan.
pub(super) struct Answer<'p> {
    fields: &'p [Item<ContactField>],
    check: ContactCheck,
}

impl ContactCheckPlan {
    /// Make the check; [`ToSchema`] when the resolver would refuse it (the schema then answers
    /// with the resolver's own error) or the database fails.
    pub(super) async fn check(
        &self,
        db: &sea_orm::DatabaseConnection,
        request: &RequestContext,
        settings: &LifecycleSettings,
        service_ids: &ServiceIds,
        input: ContactCheckInput,
    ) -> Result<Answer<'_>, ToSchema> {
        let session = Session::new(db, request, settings, None).with_service_ids(Some(service_ids));
        let check = desk::contact_check(session, input)
            .await
            .map_err(|_| ToSchema("a check the resolver refuses"))?;
        Ok(Answer {
            fields: &self.fields,
            check,
        })
    }
}

impl Answer<'_> {
    pub(super) fn write(&self, out: &mut Json) {
        out.raw("{");
        for (i, item) in self.fields.iter().enumerate() {
            out.key(i, &item.key);
            match &item.field {
                ContactField::Typename => out.str("ContactCheck"),
                ContactField::Allowed => out.bool(self.check.allowed),
                ContactField::ServiceCode => out.str(&self.check.service_code),
                ContactField::At => out.datetime(self.check.at),
                ContactField::Findings(leaves) => {
                    super::answer::write_list(out, leaves, &self.check.findings)
                }
            }
        }
        out.raw("}");
    }
}
