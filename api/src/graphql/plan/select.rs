//! Reading a document's selection into what a plan writes: fragments spread, fields with the
//! same response key merged, every field checked to be one a plan answers (anything else and
//! there is no plan), and every `(type, field)` read noted for the policy.

use std::collections::BTreeSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use entities::{appeal, determination, letter, review, stage_1_warning, stage_2_decision};

use super::json::Json;
use crate::access::{Category, SENSITIVE_FIELDS};
use crate::domain::timeline::Entry;
use crate::store::case_page::Kind;
use crate::store::reads::CaseListParts;

/// A field of the response: its key (alias or name) and what fills it.
#[derive(Debug, Clone)]
pub(super) struct Item<F> {
    pub key: String,
    pub field: F,
}

/// The fields of `Case` a plan answers.
#[derive(Debug, Clone)]
pub(super) enum CaseField {
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
    // A case page's own fields (`case(id)` only: a case list's plan never has them).
    AllowedSteps,
    Timeline(Vec<Item<Leaf<Entry>>>),
    Determinations(Vec<Item<Leaf<determination::Model>>>),
    Stage1Warnings(Vec<Item<Leaf<stage_1_warning::Model>>>),
    Appeals(Vec<Item<Leaf<appeal::Model>>>),
    Stage2Decisions(Vec<Item<Leaf<stage_2_decision::Model>>>),
    Reviews(Vec<Item<Leaf<review::Model>>>),
    Letters(Vec<Item<Leaf<letter::Model>>>),
}

/// A field of a record listed on a case page: `__typename`, or a value written from the row.
pub(super) enum Leaf<M> {
    Typename(&'static str),
    Value(fn(&mut Json, &M)),
}

impl<M> Clone for Leaf<M> {
    fn clone(&self) -> Self {
        match self {
            Leaf::Typename(name) => Leaf::Typename(name),
            Leaf::Value(write) => Leaf::Value(*write),
        }
    }
}

impl<M> std::fmt::Debug for Leaf<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leaf::Typename(name) => write!(f, "Typename({name})"),
            Leaf::Value(_) => f.write_str("Value"),
        }
    }
}

/// A record type's plain fields: GraphQL name, and how the value is written from the row (as
/// the type's `From<Model>` in `graphql::records` shows it). Fields not here (those resolved
/// with more than the row) send the document to the schema.
pub(super) type Table<M> = &'static [(&'static str, fn(&mut Json, &M))];

const TIMELINE_ENTRY: Table<Entry> = &[
    ("at", |o, e| o.datetime(e.at)),
    ("kind", |o, e| o.str(e.kind)),
    ("recordId", |o, e| o.id(e.record_id)),
    ("summary", |o, e| o.str(&e.summary)),
];

const DETERMINATION: Table<determination::Model> = &[
    ("id", |o, m| o.id(m.id)),
    ("unreasonable", |o, m| o.bool(m.unreasonable)),
    ("deciderRole", |o, m| o.str(m.decider_role.as_str())),
    ("decidedAt", |o, m| o.datetime(m.decided_at)),
    ("reasons", |o, m| o.str(&m.reasons)),
];

const STAGE_1_WARNING: Table<stage_1_warning::Model> = &[
    ("id", |o, m| o.id(m.id)),
    ("letterDate", |o, m| o.date(m.letter_date)),
    ("appealDeadline", |o, m| o.date(m.appeal_deadline)),
    ("status", |o, m| o.str(m.status.as_str())),
    ("consultedOn", |o, m| o.date(m.consulted_on)),
    ("serviceDirectorConsulted", |o, m| {
        o.str(&m.service_director_consulted)
    }),
    ("adjustmentsConsidered", |o, m| {
        o.str(&m.adjustments_considered)
    }),
    ("proportionality", |o, m| o.str(&m.proportionality)),
    ("copiedToFeedbackOfficer", |o, m| {
        o.bool(m.feedback_officer_copied)
    }),
    ("centralRecordAt", |o, m| {
        o.opt_datetime(m.legal_services_notified_at)
    }),
    ("version", |o, m| o.int(m.version)),
];

const APPEAL: Table<appeal::Model> = &[
    ("id", |o, m| o.id(m.id)),
    ("warningId", |o, m| o.id(m.warning_id)),
    ("receivedOn", |o, m| o.date(m.received_on)),
    ("acceptedLate", |o, m| o.bool(m.accepted_late)),
    ("outcome", |o, m| o.str(m.outcome.as_str())),
    ("groupDirectorNotifiedAt", |o, m| {
        o.opt_datetime(m.group_director_notified_at)
    }),
    ("decidedAt", |o, m| o.opt_datetime(m.decided_at)),
    ("customerToldAt", |o, m| o.opt_datetime(m.customer_told_at)),
    ("grounds", |o, m| o.str(&m.grounds)),
    ("lateReason", |o, m| o.opt_str(m.late_reason.as_deref())),
    ("decisionReasons", |o, m| {
        o.opt_str(m.decision_reasons.as_deref())
    }),
    ("version", |o, m| o.int(m.version)),
];

const STAGE_2_DECISION: Table<stage_2_decision::Model> = &[
    ("id", |o, m| o.id(m.id)),
    ("immediate", |o, m| o.bool(m.immediate)),
    ("decidedOn", |o, m| o.date(m.decided_on)),
    ("consultedRole", |o, m| o.str(m.consulted_role.as_str())),
    ("reviewDueOn", |o, m| o.date(m.review_due_on)),
    ("serviceTeamNotifiedAt", |o, m| {
        o.opt_datetime(m.service_team_notified_at)
    }),
    ("consultedName", |o, m| o.str(&m.consulted_name)),
    ("exceptionalReasons", |o, m| {
        o.opt_str(m.exceptional_reasons.as_deref())
    }),
    ("adjustmentsConsidered", |o, m| {
        o.str(&m.adjustments_considered)
    }),
    ("proportionality", |o, m| o.str(&m.proportionality)),
    ("reasons", |o, m| o.str(&m.reasons)),
];

const REVIEW: Table<review::Model> = &[
    ("id", |o, m| o.id(m.id)),
    ("dueOn", |o, m| o.date(m.due_on)),
    ("recommendation", |o, m| {
        o.opt_str(m.recommendation.as_ref().map(|r| r.as_str()))
    }),
    ("recommendedOn", |o, m| o.opt_date(m.recommended_on)),
    ("heldInTime", |o, m| match m.recommended_on {
        Some(day) => o.bool(day <= m.due_on),
        None => o.raw("null"),
    }),
    ("endorsed", |o, m| match m.endorsed {
        Some(b) => o.bool(b),
        None => o.raw("null"),
    }),
    ("endorsedOn", |o, m| o.opt_date(m.endorsed_on)),
    ("customerToldAt", |o, m| o.opt_datetime(m.customer_told_at)),
    ("recommendationReasons", |o, m| {
        o.opt_str(m.recommendation_reasons.as_deref())
    }),
    ("endorsementReasons", |o, m| {
        o.opt_str(m.endorsement_reasons.as_deref())
    }),
];

const LETTER: Table<letter::Model> = &[
    ("id", |o, m| o.id(m.id)),
    ("kind", |o, m| o.str(m.kind.as_str())),
    ("language", |o, m| o.str(m.language.as_str())),
    ("issuedAt", |o, m| o.datetime(m.issued_at)),
    ("sentAt", |o, m| o.opt_datetime(m.sent_at)),
    ("templateId", |o, m| o.opt_id(m.template_id)),
    ("version", |o, m| o.int(m.version)),
    ("subject", |o, m| o.str(&m.subject)),
    ("bodyText", |o, m| o.str(&m.body_text)),
    ("bodyHtml", |o, m| o.str(&m.body_html)),
];

/// The fields of `Customer` a plan answers.
#[derive(Debug, Clone, Copy)]
pub(super) enum CustomerField {
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
pub(super) enum RestrictionField {
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
pub(super) struct Raw<'a> {
    pub key: String,
    pub name: String,
    pub field: &'a async_graphql::parser::types::Field,
    pub sets: Vec<&'a SelectionSet>,
}

/// Flatten `set` (of type `type_name`) into `out`, merging fields with the same response key.
/// `None`: something a plan does not cover (a directive, a fragment on another type).
pub(super) fn flatten<'a>(
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
pub(super) fn children<'a>(
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

/// What a case page (`case(id)`) reads beside the case's own columns.
#[derive(Debug, Clone, Default)]
pub(super) struct PageNeeds {
    /// The timeline is selected (it is made of every kind of record).
    pub timeline: bool,
    /// `allowedSteps` is selected.
    pub allowed_steps: bool,
    /// The kinds of record listed.
    pub kinds: BTreeSet<Kind>,
}

/// Builds a plan, noting what it reads.
pub(super) struct Planner<'a> {
    pub doc: &'a ExecutableDocument,
    /// Every `(type, field)` the document reads, for the policy.
    pub reads: Vec<(&'static str, String)>,
    /// The sensitive customer fields selected.
    pub customer_categories: BTreeSet<Category>,
    /// The sensitive fields selected on a case page's records: `(GraphQL type, category)`.
    pub record_categories: BTreeSet<(&'static str, Category)>,
    /// What a case list reads beside its page (also the customer, service and restrictions of
    /// a case page).
    pub parts: CaseListParts,
    /// A case page's needs; `None` while planning a case list (its cases have no page fields).
    pub page: Option<PageNeeds>,
}

impl<'a> Planner<'a> {
    pub fn new(doc: &'a ExecutableDocument, page: bool) -> Self {
        Planner {
            doc,
            reads: Vec::new(),
            customer_categories: BTreeSet::new(),
            record_categories: BTreeSet::new(),
            parts: CaseListParts::default(),
            page: page.then(PageNeeds::default),
        }
    }

    /// A leaf field: it must have no arguments and no selection.
    pub fn leaf(raw: &Raw<'a>) -> Option<()> {
        (raw.field.arguments.is_empty() && raw.sets.iter().all(|s| s.items.is_empty()))
            .then_some(())
    }

    /// An object field without arguments: its flattened children.
    pub fn object(&self, raw: &Raw<'a>, type_name: &str) -> Option<Vec<Raw<'a>>> {
        if !raw.field.arguments.is_empty() {
            return None;
        }
        children(self.doc, raw, type_name)
    }

    pub fn note(&mut self, type_name: &'static str, raw: &Raw<'_>) {
        if raw.name != "__typename" {
            self.reads.push((type_name, raw.name.clone()));
        }
    }

    /// The case page's needs, when planning one.
    fn page(&mut self) -> Option<&mut PageNeeds> {
        self.page.as_mut()
    }

    /// A list of a case page's records of GraphQL type `type_name`, fields from `table`.
    pub fn records<M>(
        &mut self,
        raw: &Raw<'a>,
        type_name: &'static str,
        table: Table<M>,
    ) -> Option<Vec<Item<Leaf<M>>>> {
        let raws = self.object(raw, type_name)?;
        let mut out = Vec::new();
        for raw in raws {
            self.note(type_name, &raw);
            Self::leaf(&raw)?;
            let field = if raw.name == "__typename" {
                Leaf::Typename(type_name)
            } else {
                let (_, write) = table.iter().find(|(name, _)| *name == raw.name)?;
                Leaf::Value(*write)
            };
            if let Some((_, _, category)) = SENSITIVE_FIELDS
                .iter()
                .find(|(ty, name, _)| *ty == type_name && *name == raw.name)
            {
                self.record_categories.insert((type_name, *category));
            }
            out.push(Item {
                key: raw.key,
                field,
            });
        }
        Some(out)
    }

    /// A kind of record a case page lists (the timeline reads them all anyway).
    fn kind(&mut self, kind: Kind) -> Option<()> {
        self.page()?.kinds.insert(kind);
        Some(())
    }

    pub fn case(&mut self, raws: Vec<Raw<'a>>) -> Option<Vec<Item<CaseField>>> {
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
                "timeline" => {
                    self.page()?.timeline = true;
                    CaseField::Timeline(self.records(&raw, "TimelineEntry", TIMELINE_ENTRY)?)
                }
                "determinations" => {
                    self.kind(Kind::Determination)?;
                    CaseField::Determinations(self.records(&raw, "Determination", DETERMINATION)?)
                }
                "stage1Warnings" => {
                    self.kind(Kind::Warning)?;
                    CaseField::Stage1Warnings(self.records(
                        &raw,
                        "Stage1Warning",
                        STAGE_1_WARNING,
                    )?)
                }
                "appeals" => {
                    self.kind(Kind::Appeal)?;
                    CaseField::Appeals(self.records(&raw, "Appeal", APPEAL)?)
                }
                "stage2Decisions" => {
                    self.kind(Kind::Decision)?;
                    CaseField::Stage2Decisions(self.records(
                        &raw,
                        "Stage2Decision",
                        STAGE_2_DECISION,
                    )?)
                }
                "reviews" => {
                    self.kind(Kind::Review)?;
                    CaseField::Reviews(self.records(&raw, "Review", REVIEW)?)
                }
                "letters" => {
                    self.kind(Kind::Letter)?;
                    CaseField::Letters(self.records(&raw, "Letter", LETTER)?)
                }
                "allowedSteps" => {
                    Self::leaf(&raw)?;
                    self.page()?.allowed_steps = true;
                    CaseField::AllowedSteps
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
