//! Row scope: which cases a caller may see. Decisions are service based (policy 5.4): staff see
//! the cases of their own service(s); Legal Services, the Monitoring Officer and the Standards
//! Committee (anonymised) see every service; an elected Member sees what they reported.

use std::collections::BTreeSet;

use entities::{behaviour_report, service, upc_case};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, ExprTrait};

use crate::auth::{Principal, Role};

/// The rows of `upc_case` a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseScope {
    /// Every case in every service.
    All,
    /// Cases of these services, plus cases with a report by this subject (elected Members).
    Limited {
        /// Service codes.
        services: BTreeSet<String>,
        /// Cases this subject reported behaviour on.
        reported_by: Option<String>,
    },
}

/// The case scope of `principal`: the union of what each of its roles grants.
pub fn case_scope(principal: &Principal) -> CaseScope {
    if principal.has_any_role(&[
        Role::LegalServices,
        Role::MonitoringOfficer,
        Role::StandardsCommittee,
    ]) {
        return CaseScope::All;
    }
    let service_roles = [
        Role::Officer,
        Role::ServiceManager,
        Role::HeadOfService,
        Role::ServiceDirector,
        Role::FeedbackOfficer,
        Role::GroupDirector,
    ];
    let services = if principal.has_any_role(&service_roles) {
        principal.services.clone()
    } else {
        BTreeSet::new()
    };
    let reported_by = principal
        .has_role(Role::ElectedMember)
        .then(|| principal.subject.clone());
    CaseScope::Limited {
        services,
        reported_by,
    }
}

impl CaseScope {
    /// A condition on `upc_case` rows implementing this scope.
    pub fn condition(&self) -> Condition {
        match self {
            CaseScope::All => Condition::all(),
            CaseScope::Limited {
                services,
                reported_by,
            } => {
                let mut any = Condition::any();
                if !services.is_empty() {
                    any = any.add(
                        upc_case::Column::ServiceId.in_subquery(
                            Query::select()
                                .column(service::Column::Id)
                                .from(service::Entity)
                                .and_where(
                                    Expr::col(service::Column::Code)
                                        .is_in(services.iter().cloned()),
                                )
                                .to_owned(),
                        ),
                    );
                }
                if let Some(subject) = reported_by {
                    any = any.add(
                        upc_case::Column::Id.in_subquery(
                            Query::select()
                                .column(behaviour_report::Column::CaseId)
                                .from(behaviour_report::Entity)
                                .and_where(
                                    Expr::col(behaviour_report::Column::ReportedBy)
                                        .eq(subject.clone()),
                                )
                                .to_owned(),
                        ),
                    );
                }
                if services.is_empty() && reported_by.is_none() {
                    // Nothing granted: a condition no row meets.
                    any = any.add(Expr::val(1).eq(0));
                }
                any
            }
        }
    }

    /// Only the reports this caller may see on a visible case (Members: their own).
    pub fn report_author(&self, principal: &Principal) -> Option<String> {
        match self {
            CaseScope::All => None,
            CaseScope::Limited { services, .. } if !services.is_empty() => None,
            CaseScope::Limited { reported_by, .. } => reported_by
                .clone()
                .or_else(|| Some(principal.subject.clone())),
        }
    }
}
