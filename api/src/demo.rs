//! A small, plainly fictional demonstration data set, so a newcomer can see the system with
//! something in it (`upc-api demo-data`).
//!
//! [`load`] writes, in one transaction: three services, three establishments, a staff directory
//! of two teams and seven members of staff, four customers (one preferring Welsh, one group of
//! two people, one with a representative and a reasonable adjustment) and five cases, one at
//! each stage of the process. Every date is relative to the moment of loading. Every name,
//! address and event is invented; customer references start `DEMO-` and email addresses end in
//! `.invalid`, so nothing can be mistaken for a real record.
//!
//! The cases are not written as rows: each step is taken through the domain and the store
//! ([`crate::store::Session`]), by the member of staff the policy names, on the day it happened
//! — exactly as the intranet takes it, with its letters, alerts and audit events, and refused
//! if the policy would refuse it. The services and establishments go through the
//! administrator's commands too; the staff directory and the customers' members,
//! representatives and adjustments have no commands yet and are written directly.

use std::fmt;

use std::collections::BTreeSet;

use chrono::{DateTime, Days, TimeDelta, Utc};
use entities::enums::{
    Behaviour, ConsultedRole, ContactChannel, CustomerKind, Language, LetterKind, ReportChannel,
};
use entities::restriction_parameters::{
    ClockTime, ContactForm, RestrictionParameters, TelephoneTimes, Weekday as ParameterDay,
};
use entities::{
    behaviour_report, behaviour_report_type, customer, customer_member, determination,
    establishment, letter, reasonable_adjustment, representative, restriction, service,
    staff_member, staff_member_service, staff_team, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

use crate::auth::{Principal, Role};
use crate::authz::RequestContext;
use crate::domain::behaviour::ReportBehaviour;
use crate::domain::correspondence::MarkLetterSent;
use crate::domain::customers::CustomerChoice;
use crate::domain::directory::{NewEstablishment, NewService, ServiceCode};
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::restrictions::RestrictionTerms;
use crate::domain::stage1::{DetermineBehaviour, IssueWarning};
use crate::domain::stage2::DecideStage2;
use crate::domain::values::{CaseId, CustomerId, LetterId, RecordId, Text};
use crate::error::ApiError;
use crate::store::Session;

/// The code of the demonstration Customer Services service; its presence means the set is loaded.
const MARKER_SERVICE_CODE: &str = "CS";

/// The message of the error returned when the set is already there.
const ALREADY_LOADED: &str = "demo data already loaded";

/// What [`load`] wrote: one count per kind of record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Services (service areas).
    pub services: u64,
    /// Council establishments (buildings).
    pub establishments: u64,
    /// Staff teams.
    pub staff_teams: u64,
    /// Members of staff.
    pub staff_members: u64,
    /// Links between members of staff and the services they work in.
    pub staff_member_services: u64,
    /// Customers.
    pub customers: u64,
    /// People making up customers that are several people or a group.
    pub customer_members: u64,
    /// Representatives acting for customers.
    pub representatives: u64,
    /// Reasonable adjustments made for customers.
    pub reasonable_adjustments: u64,
    /// Cases.
    pub cases: u64,
    /// Behaviour reports.
    pub behaviour_reports: u64,
    /// Behaviour types named in the reports.
    pub behaviour_report_types: u64,
    /// Determinations whether behaviour was unreasonable.
    pub determinations: u64,
    /// Stage 1 warnings.
    pub stage_1_warnings: u64,
    /// Stage 2 decisions.
    pub stage_2_decisions: u64,
    /// Restrictions.
    pub restrictions: u64,
    /// Letters to customers.
    pub letters: u64,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.services, "service", "services"),
            (self.establishments, "establishment", "establishments"),
            (self.staff_teams, "staff team", "staff teams"),
            (self.staff_members, "staff member", "staff members"),
            (self.customers, "customer", "customers"),
            (self.cases, "case", "cases"),
            (
                self.behaviour_reports,
                "behaviour report",
                "behaviour reports",
            ),
            (self.determinations, "determination", "determinations"),
            (self.stage_1_warnings, "Stage 1 warning", "Stage 1 warnings"),
            (
                self.stage_2_decisions,
                "Stage 2 decision",
                "Stage 2 decisions",
            ),
            (self.restrictions, "restriction", "restrictions"),
            (self.letters, "letter", "letters"),
        ];
        for (i, (count, one, many)) in parts.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{count} {}", if count == 1 { one } else { many })?;
        }
        Ok(())
    }
}

/// Load the demonstration data set into `db`, all in one transaction.
///
/// Refuses with [`ApiError::Conflict`] ("demo data already loaded"), writing nothing, when a
/// service with code `CS` already exists.
pub async fn load(db: &DatabaseConnection) -> Result<DemoSummary, ApiError> {
    let txn = db.begin().await?;
    let already = service::Entity::find()
        .filter(service::Column::Code.eq(MARKER_SERVICE_CODE))
        .one(&txn)
        .await?;
    if already.is_some() {
        txn.rollback().await?;
        return Err(ApiError::Conflict(ALREADY_LOADED.into()));
    }
    let settings = LifecycleSettings::default();
    Loader {
        txn: &txn,
        settings: &settings,
        now: Utc::now(),
    }
    .load()
    .await?;
    let summary = counts(&txn).await?;
    txn.commit().await?;
    Ok(summary)
}

/// What the set holds, counted in the transaction that wrote it.
async fn counts<C: ConnectionTrait>(db: &C) -> Result<DemoSummary, ApiError> {
    Ok(DemoSummary {
        services: service::Entity::find().count(db).await?,
        establishments: establishment::Entity::find().count(db).await?,
        staff_teams: staff_team::Entity::find().count(db).await?,
        staff_members: staff_member::Entity::find().count(db).await?,
        staff_member_services: staff_member_service::Entity::find().count(db).await?,
        customers: customer::Entity::find().count(db).await?,
        customer_members: customer_member::Entity::find().count(db).await?,
        representatives: representative::Entity::find().count(db).await?,
        reasonable_adjustments: reasonable_adjustment::Entity::find().count(db).await?,
        cases: upc_case::Entity::find().count(db).await?,
        behaviour_reports: behaviour_report::Entity::find().count(db).await?,
        behaviour_report_types: behaviour_report_type::Entity::find().count(db).await?,
        determinations: determination::Entity::find().count(db).await?,
        stage_1_warnings: stage_1_warning::Entity::find().count(db).await?,
        stage_2_decisions: stage_2_decision::Entity::find().count(db).await?,
        restrictions: restriction::Entity::find().count(db).await?,
        letters: letter::Entity::find().count(db).await?,
    })
}

/// A member of staff who appears in the cases, and what their token would say of them.
struct Person {
    /// Identity-provider subject.
    subject: &'static str,
    /// Name as shown to colleagues.
    name: &'static str,
    /// The roles they hold.
    roles: &'static [Role],
    /// The services they work in (`None`: all three).
    services: Option<&'static [&'static str]>,
}

impl Person {
    /// The person as the API would know them from their token.
    fn signed_in(&self) -> RequestContext {
        let all = [MARKER_SERVICE_CODE, "HOU", "LEI"];
        RequestContext {
            client_address: None,
            principal: Principal {
                subject: self.subject.into(),
                name: Some(self.name.into()),
                roles: self.roles.iter().copied().collect(),
                services: self
                    .services
                    .unwrap_or(&all)
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<BTreeSet<_>>(),
                services_from_directory: false,
            }
            .into(),
            request_id: "demo-data".into(),
        }
    }
}

/// The administrator who sets up the services and establishments.
const ADMIN: Person = Person {
    subject: "demo-admin",
    name: "Demo Administrator",
    roles: &[Role::Admin],
    services: Some(&[]),
};
/// Customer Services officer.
const OFFICER_CS: Person = Person {
    subject: "demo-officer-cs",
    name: "Alex Example",
    roles: &[Role::Officer],
    services: Some(&[MARKER_SERVICE_CODE]),
};
/// Customer Services manager.
const MANAGER_CS: Person = Person {
    subject: "demo-manager-cs",
    name: "Bethan Sample",
    roles: &[Role::ServiceManager],
    services: Some(&[MARKER_SERVICE_CODE]),
};
/// Housing service manager, who also reports as an officer of the service.
const MANAGER_HOU: Person = Person {
    subject: "demo-manager-hou",
    name: "Dafydd Placeholder",
    roles: &[Role::Officer, Role::ServiceManager],
    services: Some(&["HOU"]),
};
/// Leisure service manager, who also reports as an officer of the service.
const MANAGER_LEI: Person = Person {
    subject: "demo-manager-lei",
    name: "Ffion Specimen",
    roles: &[Role::Officer, Role::ServiceManager],
    services: Some(&["LEI"]),
};
/// Head of Service.
const HEAD_OF_SERVICE: Person = Person {
    subject: "demo-head-of-service",
    name: "Eleri Demo",
    roles: &[Role::HeadOfService],
    services: None,
};
/// Group Director.
const GROUP_DIRECTOR: Person = Person {
    subject: "demo-group-director",
    name: "Gareth Fictional",
    roles: &[Role::GroupDirector],
    services: None,
};
/// Legal Services.
const LEGAL_SERVICES: Person = Person {
    subject: "demo-legal-services",
    name: "Hywel Madeup",
    roles: &[Role::LegalServices],
    services: None,
};

/// The ids of the demonstration services.
struct Services {
    /// Customer Services.
    cs: i64,
    /// Housing.
    hou: i64,
    /// Leisure.
    lei: i64,
}

/// Writes the set inside one transaction.
struct Loader<'a> {
    /// The transaction everything is written in; each step nests inside it.
    txn: &'a DatabaseTransaction,
    /// The lifecycle settings (the defaults: a 12-month review).
    settings: &'a LifecycleSettings,
    /// The moment of loading; every date is relative to it.
    now: DateTime<Utc>,
}

/// Text that is never blank in the demonstration set.
fn text(value: &str) -> Result<Text, ApiError> {
    Ok(Text::parse("demo", value)?)
}

impl<'a> Loader<'a> {
    /// The moment `days` days before loading.
    fn days_ago(&self, days: i64) -> DateTime<Utc> {
        self.now - TimeDelta::days(days)
    }

    /// `person` acting `days` days before loading.
    fn acting(&self, person: &'a RequestContext, days: i64) -> Session<'a, DatabaseTransaction> {
        Session::new(self.txn, person, self.settings, None).at(self.days_ago(days))
    }

    /// Write the whole set.
    async fn load(self) -> Result<(), ApiError> {
        let services = self.services().await?;
        self.staff(&services).await?;
        let customers = self.customers().await?;
        self.case_just_reported(customers[0]).await?;
        self.case_closed_not_unreasonable(customers[1]).await?;
        self.case_determined_unreasonable(customers[0]).await?;
        self.case_stage_1_warning(customers[3]).await?;
        self.case_stage_2_restricted(customers[2]).await?;
        Ok(())
    }

    /// The three services and their establishments, set up by the administrator.
    async fn services(&self) -> Result<Services, ApiError> {
        let admin = ADMIN.signed_in();
        let session = self.acting(&admin, 0);
        let mut ids = Vec::with_capacity(3);
        for (code, name, premises, address) in [
            (
                MARKER_SERVICE_CODE,
                "Customer Services",
                "One4All Centre",
                "1 Demo Street, Exampletown CF00 0AA (fictional address)",
            ),
            (
                "HOU",
                "Housing",
                "Housing Office, Pontypridd",
                "3 Placeholder Lane, Exampletown CF00 0AC (fictional address)",
            ),
            (
                "LEI",
                "Leisure",
                "Rhondda Sports Centre",
                "2 Sample Road, Exampletown CF00 0AB (fictional address)",
            ),
        ] {
            let service = session
                .create_service(
                    NewService {
                        code: ServiceCode::parse(code)?,
                        name: text(name)?,
                    },
                    None,
                )
                .await?;
            session
                .create_establishment(
                    NewEstablishment {
                        name: text(premises)?,
                        address: text(address)?,
                    },
                    Some(code),
                    None,
                )
                .await?;
            ids.push(service.id);
        }
        match ids[..] {
            [cs, hou, lei] => Ok(Services { cs, hou, lei }),
            _ => Err(ApiError::internal("demo data: expected three services")),
        }
    }

    /// Two teams and seven members of staff, each linked to the services they work in.
    async fn staff(&self, services: &Services) -> Result<(), ApiError> {
        let contact_centre = self.team(services.cs, "Contact Centre (demo team)").await?;
        let tenancy = self
            .team(services.hou, "Tenancy Management (demo team)")
            .await?;
        let all = [services.cs, services.hou, services.lei];
        let directory = [
            (
                &OFFICER_CS,
                "Customer Services Officer",
                Some(contact_centre),
                &[services.cs][..],
            ),
            (
                &MANAGER_CS,
                "Service manager, Customer Services",
                Some(contact_centre),
                &[services.cs][..],
            ),
            (
                &MANAGER_HOU,
                "Service manager, Housing",
                Some(tenancy),
                &[services.hou][..],
            ),
            (
                &MANAGER_LEI,
                "Service manager, Leisure",
                None,
                &[services.lei][..],
            ),
            (&HEAD_OF_SERVICE, "Head of Service", None, &all[..]),
            (&GROUP_DIRECTOR, "Group Director", None, &all[..]),
            (
                &LEGAL_SERVICES,
                "Service Director - Legal Services",
                None,
                &all[..],
            ),
        ];
        for (person, job_title, team_id, service_ids) in directory {
            let member = staff_member::ActiveModel {
                subject: Set(Some(person.subject.into())),
                display_name: Set(person.name.into()),
                email: Set(Some(format!("{}@council.example.invalid", person.subject))),
                job_title: Set(Some(job_title.into())),
                team_id: Set(team_id),
                active: Set(true),
                version: Set(1),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
            for &service_id in service_ids {
                staff_member_service::ActiveModel {
                    staff_member_id: Set(member.id),
                    service_id: Set(service_id),
                    version: Set(1),
                    created_at: Set(self.now),
                }
                .insert(self.txn)
                .await?;
            }
        }
        Ok(())
    }

    /// One staff team; its id.
    async fn team(&self, service_id: i64, name: &str) -> Result<i64, ApiError> {
        let team = staff_team::ActiveModel {
            service_id: Set(service_id),
            name: Set(name.into()),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        Ok(team.id)
    }

    /// The four customers; their ids in order: an English speaker, a Welsh speaker, a group of
    /// two, and a person with a representative and a reasonable adjustment.
    async fn customers(&self) -> Result<[CustomerId; 4], ApiError> {
        let english = self
            .customer(
                1,
                CustomerKind::Person,
                "Mr Demo Example (fictional)",
                Language::En,
                None,
            )
            .await?;
        let welsh = self
            .customer(
                2,
                CustomerKind::Person,
                "Ms Enghraifft Ffug (fictional)",
                Language::Cy,
                None,
            )
            .await?;
        let group = self
            .customer(
                3,
                CustomerKind::Group,
                "Example Street Residents' Group (fictional)",
                Language::En,
                None,
            )
            .await?;
        for (name, relationship) in [
            ("Sam Sample (fictional)", "chair of the group"),
            ("Jo Specimen (fictional)", "secretary of the group"),
        ] {
            customer_member::ActiveModel {
                customer_id: Set(group.get()),
                name: Set(name.into()),
                relationship: Set(Some(relationship.into())),
                version: Set(1),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
        }
        let represented = self
            .customer(
                4,
                CustomerKind::Person,
                "Mx Test Person (fictional)",
                Language::En,
                Some(
                    "Demo record: the customer has told us of a hearing impairment and finds \
                     long telephone calls difficult (fictional).",
                ),
            )
            .await?;
        representative::ActiveModel {
            customer_id: Set(represented.get()),
            name: Set("Rhian Advocate (fictional)".into()),
            organisation: Set(Some("Example Advocacy Service (fictional)".into())),
            relationship: Set(Some("independent advocate".into())),
            contact_details: Set(Some(
                "advocate@advocacy.example.invalid, 01000 000 004 (fictional)".into(),
            )),
            authority_confirmed: Set(true),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        reasonable_adjustment::ActiveModel {
            customer_id: Set(represented.get()),
            description: Set(
                "Demo adjustment: letters in large print, and contact by email or in writing \
                 rather than long telephone calls (fictional)."
                    .into(),
            ),
            recorded_by: Set(MANAGER_CS.subject.into()),
            recorded_at: Set(self.days_ago(60)),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        Ok([english, welsh, group, represented])
    }

    /// Customer `number`; its id.
    async fn customer(
        &self,
        number: u32,
        kind: CustomerKind,
        display_name: &str,
        language: Language,
        need: Option<&str>,
    ) -> Result<CustomerId, ApiError> {
        let row = customer::ActiveModel {
            reference: Set(format!("DEMO-C-{number:04}")),
            kind: Set(kind),
            display_name: Set(display_name.into()),
            address: Set(Some(format!(
                "{number} Imaginary Close, Exampletown CF00 1A{number} (fictional address)"
            ))),
            email: Set(Some(format!("demo-customer-{number}@example.invalid"))),
            phone: Set(Some(format!("01000 000 10{number}"))),
            preferred_language: Set(language),
            disability_or_unmet_need_noted: Set(need.map(Into::into)),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        Ok(CustomerId::from_key(row.id))
    }

    /// `reporter` reports `behaviours` of `customer` in `service`, `days` days before loading:
    /// filed on the customer's open case there, or a new one (2.3). The case.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per part of the report reads best in the demo cases"
    )]
    async fn report(
        &self,
        reporter: &Person,
        customer: CustomerId,
        service: &str,
        days: i64,
        channel: ReportChannel,
        behaviours: &[Behaviour],
        description: &str,
    ) -> Result<upc_case::Model, ApiError> {
        let request = reporter.signed_in();
        let session = self.acting(&request, days);
        session
            .report_behaviour(
                ReportBehaviour {
                    customer: CustomerChoice::Existing(customer),
                    service_code: service.into(),
                    behaviours: ReportBehaviour::behaviours(behaviours.to_vec())?,
                    channel,
                    occurred_at: session.now,
                    description: text(description)?,
                },
                None,
            )
            .await
    }

    /// `decider` determines the behaviour on `case`, `days` days before loading (5.1).
    async fn determine(
        &self,
        decider: &Person,
        case: &upc_case::Model,
        days: i64,
        unreasonable: bool,
        reasons: &str,
    ) -> Result<upc_case::Model, ApiError> {
        let request = decider.signed_in();
        self.acting(&request, days)
            .determine_behaviour(
                CaseId::from_key(case.id),
                DetermineBehaviour {
                    version: case.version,
                    unreasonable,
                    reasons: text(reasons)?,
                    report: None,
                },
                None,
            )
            .await
    }

    /// The Head of Service issues a Stage 1 warning on `case`, dated `days` days before
    /// loading, having consulted the Service Director four days earlier (5.1).
    async fn warn(
        &self,
        case: &upc_case::Model,
        days: i64,
        reasons: &str,
        adjustments_considered: &str,
        proportionality: &str,
    ) -> Result<upc_case::Model, ApiError> {
        let request = HEAD_OF_SERVICE.signed_in();
        let session = self.acting(&request, days);
        session
            .issue_stage_1_warning(
                CaseId::from_key(case.id),
                IssueWarning {
                    adjustment_ids: Vec::new(),
                    version: case.version,
                    letter_date: None,
                    reasons: text(reasons)?,
                    service_director_consulted: text(
                        "Demo Service Director (fictional), consulted by email; agreed a \
                         warning is appropriate.",
                    )?,
                    consulted_on: session.now.date_naive() - Days::new(4),
                    adjustments_considered: text(adjustments_considered)?,
                    proportionality: text(proportionality)?,
                },
                None,
            )
            .await
    }

    /// `sender` marks every letter of `case` of `kind` sent, `days` days before loading.
    async fn send(
        &self,
        sender: &Person,
        case: &upc_case::Model,
        kind: LetterKind,
        days: i64,
    ) -> Result<(), ApiError> {
        let request = sender.signed_in();
        let session = self.acting(&request, days);
        for l in letter::Entity::find()
            .filter(letter::Column::CaseId.eq(case.id))
            .filter(letter::Column::Kind.eq(kind))
            .all(self.txn)
            .await?
        {
            session
                .mark_letter_sent(
                    LetterId::from_key(l.id),
                    MarkLetterSent { version: l.version },
                    None,
                )
                .await?;
        }
        Ok(())
    }

    /// Case 1: just reported in Customer Services, two behaviour types, no determination yet.
    async fn case_just_reported(&self, customer: CustomerId) -> Result<(), ApiError> {
        self.report(
            &OFFICER_CS,
            customer,
            MARKER_SERVICE_CODE,
            2,
            ReportChannel::Telephone,
            &[
                Behaviour::NumerousRepeatCalls,
                Behaviour::InsistingOnManager,
            ],
            "Demo report (fictional): the customer telephoned the contact centre eleven times \
             in one morning about the same missed bin collection and asked each time to speak \
             to a manager.",
        )
        .await?;
        Ok(())
    }

    /// Case 2: Leisure behaviour determined not unreasonable, and the case closed with reasons.
    async fn case_closed_not_unreasonable(&self, customer: CustomerId) -> Result<(), ApiError> {
        let case = self
            .report(
                &MANAGER_LEI,
                customer,
                "LEI",
                40,
                ReportChannel::Email,
                &[Behaviour::RepeatComplaints],
                "Demo report (fictional): four emails in a week complaining about the \
                 changing-room temperature at the sports centre.",
            )
            .await?;
        self.determine(
            &MANAGER_LEI,
            &case,
            35,
            false,
            "Demo determination (fictional): each email raised a new and genuine fault, which \
             has since been repaired; the customer's concerns were resolved through the normal \
             complaints route. Persistent but not unreasonable under the policy.",
        )
        .await?;
        Ok(())
    }

    /// Case 3: Housing behaviour determined unreasonable, awaiting a decision on a warning.
    async fn case_determined_unreasonable(&self, customer: CustomerId) -> Result<(), ApiError> {
        let case = self
            .report(
                &MANAGER_HOU,
                customer,
                "HOU",
                12,
                ReportChannel::InPerson,
                &[Behaviour::AggressiveIntimidatingThreatening],
                "Demo report (fictional): the customer raised their voice and banged the \
                 counter at the housing office when told a repair was not yet booked.",
            )
            .await?;
        self.determine(
            &MANAGER_HOU,
            &case,
            8,
            true,
            "Demo determination (fictional): staff felt intimidated; the behaviour is \
             aggressive under 2.3. To be considered for a Stage 1 warning.",
        )
        .await?;
        Ok(())
    }

    /// Case 4: a Stage 1 warning in Customer Services, its appeal window still open.
    async fn case_stage_1_warning(&self, customer: CustomerId) -> Result<(), ApiError> {
        let case = self
            .report(
                &OFFICER_CS,
                customer,
                MARKER_SERVICE_CODE,
                28,
                ReportChannel::Email,
                &[
                    Behaviour::ExcessiveDemandsOnStaffTime,
                    Behaviour::ChangingBasisOfComplaint,
                ],
                "Demo report (fictional): over thirty emails in two weeks, each changing the \
                 basis of a complaint about a council tax letter.",
            )
            .await?;
        let case = self
            .determine(
                &MANAGER_CS,
                &case,
                20,
                true,
                "Demo determination (fictional): the volume of emails is placing excessive \
                 demands on staff time and the complaint keeps changing.",
            )
            .await?;
        let case = self
            .warn(
                &case,
                5,
                "Demo text (fictional): over thirty emails in two weeks, each changing the \
                 basis of the complaint, are placing excessive demands on staff time.",
                "Demo text (fictional): the customer's hearing impairment and their adjustment \
                 (large print, written contact) were considered; the warning is sent in large \
                 print and copied to their advocate.",
                "Demo text (fictional): a warning is the least restrictive step; no restriction \
                 is imposed and the customer may still email about new issues.",
            )
            .await?;
        self.send(&HEAD_OF_SERVICE, &case, LetterKind::Stage1Warning, 4)
            .await
    }

    /// Case 5: Stage 2 restricted in Housing: warned, the behaviour continued, and the Group
    /// Director restricted contact, in consultation with Legal Services.
    async fn case_stage_2_restricted(&self, customer: CustomerId) -> Result<(), ApiError> {
        let case = self
            .report(
                &MANAGER_HOU,
                customer,
                "HOU",
                118,
                ReportChannel::Telephone,
                &[
                    Behaviour::NumerousRepeatCalls,
                    Behaviour::GroundlessComplaintsAboutStaff,
                ],
                "Demo report (fictional): members of the group telephoned the housing team \
                 daily for three weeks and made unfounded complaints about named officers.",
            )
            .await?;
        let case = self
            .determine(
                &HEAD_OF_SERVICE,
                &case,
                110,
                true,
                "Demo determination (fictional): the calls disrupt the service and the \
                 complaints about staff were investigated and found groundless.",
            )
            .await?;
        let case = self
            .warn(
                &case,
                100,
                "Demo text (fictional): daily calls and groundless complaints about named \
                 officers are disrupting the housing service.",
                "Demo text (fictional): no disability or unmet need is known for either member \
                 of the group; the group was asked and raised none.",
                "Demo text (fictional): a warning gives the group the chance to change how it \
                 contacts the team before any restriction.",
            )
            .await?;
        self.send(&HEAD_OF_SERVICE, &case, LetterKind::Stage1Warning, 99)
            .await?;
        let case = self
            .report(
                &MANAGER_HOU,
                customer,
                "HOU",
                60,
                ReportChannel::Telephone,
                &[Behaviour::NumerousRepeatCalls],
                "Demo report (fictional): the daily calls resumed five weeks after the warning, \
                 and the appeal window had closed without an appeal.",
            )
            .await?;
        let request = GROUP_DIRECTOR.signed_in();
        let telephone_times = TelephoneTimes {
            days: vec![ParameterDay::Tuesday, ParameterDay::Thursday],
            from: ClockTime::new(10, 0)
                .ok_or_else(|| ApiError::internal("demo data: bad clock time"))?,
            to: ClockTime::new(12, 0)
                .ok_or_else(|| ApiError::internal("demo data: bad clock time"))?,
        };
        let restrictions = [
            RestrictionParameters::ContactForm(ContactForm {
                permitted_channels: vec![ContactChannel::Letter, ContactChannel::Telephone],
            }),
            RestrictionParameters::TelephoneTimes(telephone_times),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, parameters)| RestrictionTerms {
            field: format!("restrictions[{i}]"),
            parameters,
            starts_on: None,
            ends_on: None,
        })
        .collect();
        let case = self
            .acting(&request, 30)
            .decide_stage_2(
                CaseId::from_key(case.id),
                DecideStage2 {
                    adjustment_ids: Vec::new(),
                    version: case.version,
                    exceptional_reasons: None,
                    consulted_role: ConsultedRole::LegalServices,
                    consulted_name: text(LEGAL_SERVICES.name)?,
                    adjustments_considered: text(
                        "Demo text (fictional): no disability or unmet need is known; \
                         telephone contact is kept on two mornings a week so the group is not \
                         cut off.",
                    )?,
                    proportionality: text(
                        "Demo text (fictional): the daily calls continued after the warning; \
                         limiting calls to set times and other contact to letters is the least \
                         restrictive arrangement that protects the service.",
                    )?,
                    reasons: text(
                        "Demo text (fictional): the behaviour continued after the Stage 1 \
                         warning and no appeal was made.",
                    )?,
                    decided_on: None,
                    review_due_on: None,
                    restrictions,
                },
                None,
            )
            .await?;
        self.send(&LEGAL_SERVICES, &case, LetterKind::Stage2Decision, 29)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_as_a_sentence() {
        let summary = DemoSummary {
            services: 3,
            customers: 4,
            cases: 5,
            letters: 1,
            ..DemoSummary::default()
        };
        let text = summary.to_string();
        assert!(text.starts_with("3 services, 0 establishments"), "{text}");
        assert!(text.contains("4 customers, 5 cases"), "{text}");
        assert!(text.ends_with("1 letter"), "{text}");
    }
}
