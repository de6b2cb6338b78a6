//! A small, plainly fictional demonstration data set, so a newcomer can see the system with
//! something in it (`upc-api demo-data`).
//!
//! [`load`] writes, in one transaction: three services, three establishments, a staff directory
//! of two teams and seven members of staff, four customers (one preferring Welsh, one group of
//! two people, one with a representative and a reasonable adjustment) and five cases, one at
//! each stage of the process. Every date is relative to the moment of loading. Every name,
//! address and event is invented; references start `DEMO-` and email addresses end in
//! `.invalid`, so nothing can be mistaken for a real record.

use std::fmt;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc, Weekday};
use entities::enums::{
    Behaviour, CaseStage, CaseStatus, ConsultedRole, ContactChannel, CustomerKind, DeciderRole,
    Language, LetterKind, ReportChannel, ReporterRole, RestrictionStatus, WarningStatus,
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
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, SqlErr, TransactionTrait,
};

use crate::error::ApiError;

/// The code of the demonstration Customer Services service; its presence means the set is loaded.
const MARKER_SERVICE_CODE: &str = "CS";

/// The message of the error returned when the set is already there.
const ALREADY_LOADED: &str = "demo data already loaded";

/// Working days a customer has to appeal a Stage 1 warning (6.1).
const APPEAL_WORKING_DAYS: u32 = 15;

/// Months after the decision to restrict by which restrictions must be reviewed (7.1).
const REVIEW_MONTHS: u32 = 12;

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
    let summary = Loader::new(&txn, Utc::now()).load().await?;
    txn.commit().await?;
    Ok(summary)
}

/// The last day of an appeal window `working_days` weekdays (Monday to Friday) after `from`.
///
/// Bank holidays are ignored: this is for demonstration data only.
fn add_weekdays(from: NaiveDate, working_days: u32) -> NaiveDate {
    let mut day = from;
    let mut left = working_days;
    while left > 0 {
        day = day + Days::new(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// A uniqueness clash on insert (another load got there first) is the same refusal; anything
/// else is an internal failure.
fn clash_is_conflict(err: DbErr) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(ALREADY_LOADED.into()),
        _ => err.into(),
    }
}

/// The ids of the demonstration services.
struct Services {
    /// Customer Services.
    cs: i64,
    /// Housing.
    hou: i64,
    /// Leisure.
    lei: i64,
}

/// The members of staff who appear in the cases: identity-provider subject and display name.
struct Person {
    /// Identity-provider subject.
    subject: &'static str,
    /// Name as shown to colleagues.
    name: &'static str,
}

/// Customer Services officer.
const OFFICER_CS: Person = Person {
    subject: "demo-officer-cs",
    name: "Alex Example",
};
/// Customer Services manager.
const MANAGER_CS: Person = Person {
    subject: "demo-manager-cs",
    name: "Bethan Sample",
};
/// Housing service manager.
const MANAGER_HOU: Person = Person {
    subject: "demo-manager-hou",
    name: "Dafydd Placeholder",
};
/// Leisure service manager.
const MANAGER_LEI: Person = Person {
    subject: "demo-manager-lei",
    name: "Ffion Specimen",
};
/// Head of Service.
const HEAD_OF_SERVICE: Person = Person {
    subject: "demo-head-of-service",
    name: "Eleri Demo",
};
/// Group Director.
const GROUP_DIRECTOR: Person = Person {
    subject: "demo-group-director",
    name: "Gareth Fictional",
};
/// Legal Services.
const LEGAL_SERVICES: Person = Person {
    subject: "demo-legal-services",
    name: "Hywel Madeup",
};

/// Writes the set inside one transaction, counting as it goes.
struct Loader<'a> {
    /// The transaction everything is written in.
    txn: &'a DatabaseTransaction,
    /// The moment of loading; every date is relative to it.
    now: DateTime<Utc>,
    /// What has been written so far.
    summary: DemoSummary,
}

impl<'a> Loader<'a> {
    /// A loader writing in `txn`, with dates relative to `now`.
    fn new(txn: &'a DatabaseTransaction, now: DateTime<Utc>) -> Self {
        Self {
            txn,
            now,
            summary: DemoSummary::default(),
        }
    }

    /// The moment `days` days before loading.
    fn days_ago(&self, days: i64) -> DateTime<Utc> {
        self.now - TimeDelta::days(days)
    }

    /// The date `days` days before loading.
    fn date_ago(&self, days: u64) -> NaiveDate {
        self.now.date_naive() - Days::new(days)
    }

    /// Write the whole set.
    async fn load(mut self) -> Result<DemoSummary, ApiError> {
        let services = self.services().await?;
        self.establishments(&services).await?;
        self.staff(&services).await?;
        let customers = self.customers().await?;
        self.case_just_reported(customers[0], services.cs).await?;
        self.case_closed_not_unreasonable(customers[1], services.lei)
            .await?;
        self.case_determined_unreasonable(customers[0], services.hou)
            .await?;
        self.case_stage_1_warning(customers[3], services.cs).await?;
        self.case_stage_2_restricted(customers[2], services.hou)
            .await?;
        Ok(self.summary)
    }

    /// The three services.
    async fn services(&mut self) -> Result<Services, ApiError> {
        let mut ids = Vec::with_capacity(3);
        for (code, name) in [
            (MARKER_SERVICE_CODE, "Customer Services"),
            ("HOU", "Housing"),
            ("LEI", "Leisure"),
        ] {
            let row = service::ActiveModel {
                code: Set(code.into()),
                name: Set(name.into()),
                active: Set(true),
                version: Set(1),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await
            .map_err(clash_is_conflict)?;
            ids.push(row.id);
            self.summary.services += 1;
        }
        match ids[..] {
            [cs, hou, lei] => Ok(Services { cs, hou, lei }),
            _ => Err(ApiError::internal("demo data: expected three services")),
        }
    }

    /// The three establishments, one per service.
    async fn establishments(&mut self, services: &Services) -> Result<(), ApiError> {
        for (service_id, name, address) in [
            (
                services.cs,
                "One4All Centre",
                "1 Demo Street, Exampletown CF00 0AA (fictional address)",
            ),
            (
                services.lei,
                "Rhondda Sports Centre",
                "2 Sample Road, Exampletown CF00 0AB (fictional address)",
            ),
            (
                services.hou,
                "Housing Office, Pontypridd",
                "3 Placeholder Lane, Exampletown CF00 0AC (fictional address)",
            ),
        ] {
            establishment::ActiveModel {
                service_id: Set(Some(service_id)),
                name: Set(name.into()),
                address: Set(address.into()),
                active: Set(true),
                version: Set(1),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
            self.summary.establishments += 1;
        }
        Ok(())
    }

    /// Two teams and seven members of staff, each linked to the services they work in.
    async fn staff(&mut self, services: &Services) -> Result<(), ApiError> {
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
            self.summary.staff_members += 1;
            for &service_id in service_ids {
                staff_member_service::ActiveModel {
                    staff_member_id: Set(member.id),
                    service_id: Set(service_id),
                    version: Set(1),
                    created_at: Set(self.now),
                }
                .insert(self.txn)
                .await?;
                self.summary.staff_member_services += 1;
            }
        }
        Ok(())
    }

    /// One staff team; its id.
    async fn team(&mut self, service_id: i64, name: &str) -> Result<i64, ApiError> {
        let team = staff_team::ActiveModel {
            service_id: Set(service_id),
            name: Set(name.into()),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.staff_teams += 1;
        Ok(team.id)
    }

    /// The four customers; their ids in order: an English speaker, a Welsh speaker, a group of
    /// two, and a person with a representative and a reasonable adjustment.
    async fn customers(&mut self) -> Result<[i64; 4], ApiError> {
        let english = self
            .customer(
                "DEMO-C-0001",
                CustomerKind::Person,
                "Mr Demo Example (fictional)",
                Language::En,
                None,
            )
            .await?;
        let welsh = self
            .customer(
                "DEMO-C-0002",
                CustomerKind::Person,
                "Ms Enghraifft Ffug (fictional)",
                Language::Cy,
                None,
            )
            .await?;
        let group = self
            .customer(
                "DEMO-C-0003",
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
                customer_id: Set(group),
                name: Set(name.into()),
                relationship: Set(Some(relationship.into())),
                version: Set(1),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
            self.summary.customer_members += 1;
        }
        let represented = self
            .customer(
                "DEMO-C-0004",
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
            customer_id: Set(represented),
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
        self.summary.representatives += 1;
        reasonable_adjustment::ActiveModel {
            customer_id: Set(represented),
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
        self.summary.reasonable_adjustments += 1;
        Ok([english, welsh, group, represented])
    }

    /// One customer; its id.
    async fn customer(
        &mut self,
        reference: &str,
        kind: CustomerKind,
        display_name: &str,
        language: Language,
        need: Option<&str>,
    ) -> Result<i64, ApiError> {
        let number = self.summary.customers + 1;
        let row = customer::ActiveModel {
            reference: Set(reference.into()),
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
        self.summary.customers += 1;
        Ok(row.id)
    }

    /// One open case, opened `opened_days_ago` days before loading; its id.
    async fn case(
        &mut self,
        customer_id: i64,
        service_id: i64,
        stage: CaseStage,
        opened_days_ago: i64,
    ) -> Result<i64, ApiError> {
        let number = self.summary.cases + 1;
        let row = upc_case::ActiveModel {
            reference: Set(format!("DEMO-UPC-{number:04}")),
            customer_id: Set(customer_id),
            service_id: Set(service_id),
            stage: Set(stage),
            status: Set(CaseStatus::Open),
            opened_at: Set(self.days_ago(opened_days_ago)),
            closed_at: Set(None),
            closure_reason: Set(None),
            appeal_deadline: Set(None),
            review_due_on: Set(None),
            flagged_for_review: Set(false),
            flag_reason: Set(None),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.cases += 1;
        Ok(row.id)
    }

    /// Update a case row, bumping its version.
    async fn update_case(
        &mut self,
        case_id: i64,
        change: impl FnOnce(&mut upc_case::ActiveModel),
    ) -> Result<(), ApiError> {
        let Some(row) = upc_case::Entity::find_by_id(case_id).one(self.txn).await? else {
            return Err(ApiError::internal(
                "demo data: case just written is missing",
            ));
        };
        let version = row.version + 1;
        let mut active: upc_case::ActiveModel = row.into();
        change(&mut active);
        active.version = Set(version);
        active.update(self.txn).await?;
        Ok(())
    }

    /// A behaviour report naming `behaviours`, made `days_ago` days before loading; its id.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per column reads best in the demo cases"
    )]
    async fn report(
        &mut self,
        case_id: i64,
        reporter: &Person,
        role: ReporterRole,
        channel: ReportChannel,
        days_ago: i64,
        behaviours: &[Behaviour],
        description: &str,
    ) -> Result<i64, ApiError> {
        let row = behaviour_report::ActiveModel {
            case_id: Set(case_id),
            reported_by: Set(reporter.subject.into()),
            reporter_name: Set(reporter.name.into()),
            reporter_role: Set(role),
            channel: Set(channel),
            occurred_at: Set(self.days_ago(days_ago)),
            description: Set(description.into()),
            version: Set(1),
            created_at: Set(self.days_ago(days_ago)),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.behaviour_reports += 1;
        for &behaviour in behaviours {
            behaviour_report_type::ActiveModel {
                report_id: Set(row.id),
                behaviour: Set(behaviour),
                version: Set(1),
                created_at: Set(self.days_ago(days_ago)),
            }
            .insert(self.txn)
            .await?;
            self.summary.behaviour_report_types += 1;
        }
        Ok(row.id)
    }

    /// A determination on `report_id`, made `days_ago` days before loading; its id.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per column reads best in the demo cases"
    )]
    async fn determine(
        &mut self,
        case_id: i64,
        report_id: i64,
        decider: &Person,
        role: DeciderRole,
        unreasonable: bool,
        days_ago: i64,
        reasons: &str,
    ) -> Result<i64, ApiError> {
        let row = determination::ActiveModel {
            case_id: Set(case_id),
            report_id: Set(Some(report_id)),
            decided_by: Set(decider.subject.into()),
            decider_role: Set(role),
            unreasonable: Set(unreasonable),
            reasons: Set(reasons.into()),
            decided_at: Set(self.days_ago(days_ago)),
            version: Set(1),
            created_at: Set(self.days_ago(days_ago)),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.determinations += 1;
        Ok(row.id)
    }

    /// A Stage 1 warning dated `letter_days_ago` days before loading, after consulting the
    /// Service Director four days earlier; its id and appeal deadline.
    async fn warn(
        &mut self,
        case_id: i64,
        determination_id: i64,
        letter_days_ago: u64,
        adjustments_considered: &str,
        proportionality: &str,
    ) -> Result<(i64, NaiveDate), ApiError> {
        let letter_date = self.date_ago(letter_days_ago);
        let appeal_deadline = add_weekdays(letter_date, APPEAL_WORKING_DAYS);
        let row = stage_1_warning::ActiveModel {
            case_id: Set(case_id),
            determination_id: Set(Some(determination_id)),
            issued_by: Set(HEAD_OF_SERVICE.subject.into()),
            letter_date: Set(letter_date),
            service_director_consulted: Set(
                "Demo Service Director (fictional), consulted by email; agreed a warning is \
                 appropriate."
                    .into(),
            ),
            consulted_on: Set(self.date_ago(letter_days_ago + 4)),
            adjustments_considered: Set(adjustments_considered.into()),
            proportionality: Set(proportionality.into()),
            feedback_officer_copied: Set(true),
            legal_services_notified_at: Set(Some(
                self.days_ago(
                    i64::try_from(letter_days_ago)
                        .map_err(ApiError::internal)?
                        .saturating_sub(1),
                ),
            )),
            appeal_deadline: Set(appeal_deadline),
            status: Set(WarningStatus::Active),
            version: Set(1),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.stage_1_warnings += 1;
        Ok((row.id, appeal_deadline))
    }

    /// Case 1: just reported in Customer Services, two behaviour types, no determination yet.
    async fn case_just_reported(
        &mut self,
        customer_id: i64,
        service_id: i64,
    ) -> Result<(), ApiError> {
        let case_id = self
            .case(customer_id, service_id, CaseStage::Reported, 2)
            .await?;
        self.report(
            case_id,
            &OFFICER_CS,
            ReporterRole::Officer,
            ReportChannel::Telephone,
            2,
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
    async fn case_closed_not_unreasonable(
        &mut self,
        customer_id: i64,
        service_id: i64,
    ) -> Result<(), ApiError> {
        let case_id = self
            .case(customer_id, service_id, CaseStage::Reported, 40)
            .await?;
        let report_id = self
            .report(
                case_id,
                &MANAGER_LEI,
                ReporterRole::ServiceManager,
                ReportChannel::Email,
                40,
                &[Behaviour::RepeatComplaints],
                "Demo report (fictional): four emails in a week complaining about the \
                 changing-room temperature at the sports centre.",
            )
            .await?;
        let reasons = "Demo determination (fictional): each email raised a new and genuine \
                       fault, which has since been repaired. Persistent but not unreasonable \
                       under the policy.";
        self.determine(
            case_id,
            report_id,
            &MANAGER_LEI,
            DeciderRole::ServiceManager,
            false,
            35,
            reasons,
        )
        .await?;
        let closed_at = self.days_ago(35);
        self.update_case(case_id, |case| {
            case.stage = Set(CaseStage::Closed);
            case.status = Set(CaseStatus::Closed);
            case.closed_at = Set(Some(closed_at));
            case.closure_reason = Set(Some(
                "Behaviour determined not unreasonable; the customer's concerns were resolved \
                 through the normal complaints route (demo data)."
                    .into(),
            ));
        })
        .await
    }

    /// Case 3: Housing behaviour determined unreasonable, awaiting a decision on a warning.
    async fn case_determined_unreasonable(
        &mut self,
        customer_id: i64,
        service_id: i64,
    ) -> Result<(), ApiError> {
        let case_id = self
            .case(
                customer_id,
                service_id,
                CaseStage::DeterminedUnreasonable,
                12,
            )
            .await?;
        let report_id = self
            .report(
                case_id,
                &MANAGER_HOU,
                ReporterRole::ServiceManager,
                ReportChannel::InPerson,
                12,
                &[Behaviour::AggressiveIntimidatingThreatening],
                "Demo report (fictional): the customer raised their voice and banged the \
                 counter at the housing office when told a repair was not yet booked.",
            )
            .await?;
        self.determine(
            case_id,
            report_id,
            &MANAGER_HOU,
            DeciderRole::ServiceManager,
            true,
            8,
            "Demo determination (fictional): staff felt intimidated; the behaviour is \
             aggressive under 2.3. To be considered for a Stage 1 warning.",
        )
        .await?;
        Ok(())
    }

    /// Case 4: a Stage 1 warning in Customer Services, its appeal window still open.
    async fn case_stage_1_warning(
        &mut self,
        customer_id: i64,
        service_id: i64,
    ) -> Result<(), ApiError> {
        let case_id = self
            .case(customer_id, service_id, CaseStage::Stage1Warning, 30)
            .await?;
        let report_id = self
            .report(
                case_id,
                &OFFICER_CS,
                ReporterRole::Officer,
                ReportChannel::Email,
                28,
                &[
                    Behaviour::ExcessiveDemandsOnStaffTime,
                    Behaviour::ChangingBasisOfComplaint,
                ],
                "Demo report (fictional): over thirty emails in two weeks, each changing the \
                 basis of a complaint about a council tax letter.",
            )
            .await?;
        let determination_id = self
            .determine(
                case_id,
                report_id,
                &MANAGER_CS,
                DeciderRole::ServiceManager,
                true,
                20,
                "Demo determination (fictional): the volume of emails is placing excessive \
                 demands on staff time and the complaint keeps changing.",
            )
            .await?;
        let (_, appeal_deadline) = self
            .warn(
                case_id,
                determination_id,
                5,
                "Demo text (fictional): the customer's hearing impairment and their adjustment \
                 (large print, written contact) were considered; the warning is sent in large \
                 print and copied to their advocate.",
                "Demo text (fictional): a warning is the least restrictive step; no restriction \
                 is imposed and the customer may still email about new issues.",
            )
            .await?;
        self.update_case(case_id, |case| {
            case.appeal_deadline = Set(Some(appeal_deadline));
        })
        .await
    }

    /// Case 5: Stage 2 restricted in Housing, with the decision, two restrictions and the letter.
    async fn case_stage_2_restricted(
        &mut self,
        customer_id: i64,
        service_id: i64,
    ) -> Result<(), ApiError> {
        let case_id = self
            .case(customer_id, service_id, CaseStage::Stage2Restricted, 120)
            .await?;
        let report_id = self
            .report(
                case_id,
                &MANAGER_HOU,
                ReporterRole::ServiceManager,
                ReportChannel::Telephone,
                118,
                &[
                    Behaviour::NumerousRepeatCalls,
                    Behaviour::GroundlessComplaintsAboutStaff,
                ],
                "Demo report (fictional): members of the group telephoned the housing team \
                 daily for three weeks and made unfounded complaints about named officers.",
            )
            .await?;
        let determination_id = self
            .determine(
                case_id,
                report_id,
                &HEAD_OF_SERVICE,
                DeciderRole::HeadOfService,
                true,
                110,
                "Demo determination (fictional): the calls disrupt the service and the \
                 complaints about staff were investigated and found groundless.",
            )
            .await?;
        let (warning_id, _) = self
            .warn(
                case_id,
                determination_id,
                100,
                "Demo text (fictional): no disability or unmet need is known for either member \
                 of the group; the group was asked and raised none.",
                "Demo text (fictional): a warning gives the group the chance to change how it \
                 contacts the team before any restriction.",
            )
            .await?;
        let decided_on = self.date_ago(30);
        let review_due_on = decided_on + Months::new(REVIEW_MONTHS);
        let decision = stage_2_decision::ActiveModel {
            case_id: Set(case_id),
            warning_id: Set(Some(warning_id)),
            immediate: Set(false),
            exceptional_reasons: Set(None),
            decided_by: Set(GROUP_DIRECTOR.subject.into()),
            decided_on: Set(decided_on),
            consulted_role: Set(ConsultedRole::LegalServices),
            consulted_name: Set(LEGAL_SERVICES.name.into()),
            adjustments_considered: Set(
                "Demo text (fictional): no disability or unmet need is known; telephone contact \
                 is kept on two mornings a week so the group is not cut off."
                    .into(),
            ),
            proportionality: Set(
                "Demo text (fictional): the daily calls continued after the warning; limiting \
                 calls to set times and other contact to letters is the least restrictive \
                 arrangement that protects the service."
                    .into(),
            ),
            reasons: Set(
                "Demo text (fictional): the behaviour continued after the Stage 1 warning and \
                 no appeal was made."
                    .into(),
            ),
            review_due_on: Set(review_due_on),
            service_team_notified_at: Set(Some(self.days_ago(29))),
            version: Set(1),
            created_at: Set(self.days_ago(30)),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.stage_2_decisions += 1;
        let telephone_times = TelephoneTimes {
            days: vec![ParameterDay::Tuesday, ParameterDay::Thursday],
            from: ClockTime::new(10, 0)
                .ok_or_else(|| ApiError::internal("demo data: bad clock time"))?,
            to: ClockTime::new(12, 0)
                .ok_or_else(|| ApiError::internal("demo data: bad clock time"))?,
        };
        for parameters in [
            RestrictionParameters::ContactForm(ContactForm {
                permitted_channels: vec![ContactChannel::Letter, ContactChannel::Telephone],
            }),
            RestrictionParameters::TelephoneTimes(telephone_times),
        ] {
            parameters.validate().map_err(ApiError::internal)?;
            restriction::ActiveModel {
                case_id: Set(case_id),
                service_id: Set(service_id),
                decision_id: Set(Some(decision.id)),
                kind: Set(parameters.kind()),
                parameters: Set(parameters),
                starts_on: Set(decided_on),
                ends_on: Set(None),
                review_due_on: Set(review_due_on),
                status: Set(RestrictionStatus::Active),
                permanent: Set(false),
                lifted_on: Set(None),
                lifted_reason: Set(None),
                version: Set(1),
                created_at: Set(self.days_ago(30)),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
            self.summary.restrictions += 1;
        }
        let body_text = format!(
            "DEMONSTRATION LETTER - FICTIONAL\n\n\
             Dear Example Street Residents' Group,\n\n\
             Following the warning of {warning}, the Group Director has decided on {decided} \
             that, for the Housing service only, you may contact us by letter, or by telephone \
             on Tuesdays and Thursdays between 10:00 and 12:00.\n\n\
             These arrangements will be reviewed by {review}.\n\n\
             Legal Services (demo)",
            warning = self.date_ago(100).format("%-d %B %Y"),
            decided = decided_on.format("%-d %B %Y"),
            review = review_due_on.format("%-d %B %Y"),
        );
        let body_html = format!(
            "<p>{}</p>",
            body_text
                .split("\n\n")
                .map(|paragraph| paragraph.replace('\n', "<br>"))
                .collect::<Vec<_>>()
                .join("</p><p>")
        );
        letter::ActiveModel {
            case_id: Set(case_id),
            kind: Set(LetterKind::Stage2Decision),
            language: Set(Language::En),
            template_id: Set(None),
            subject: Set("Restricted contact arrangements (demonstration letter)".into()),
            body_text: Set(body_text),
            body_html: Set(body_html),
            issued_at: Set(self.days_ago(29)),
            issued_by: Set(LEGAL_SERVICES.subject.into()),
            sent_at: Set(Some(self.days_ago(29))),
            sent_by: Set(Some(LEGAL_SERVICES.subject.into())),
            version: Set(1),
            created_at: Set(self.days_ago(29)),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.summary.letters += 1;
        self.update_case(case_id, |case| {
            case.review_due_on = Set(Some(review_due_on));
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weekdays_skip_weekends() {
        // Friday 2 January 2026 + 1 weekday = Monday 5 January.
        assert_eq!(add_weekdays(date(2026, 1, 2), 1), date(2026, 1, 5));
        // Monday + 15 weekdays = three weeks later, a Monday.
        assert_eq!(add_weekdays(date(2026, 1, 5), 15), date(2026, 1, 26));
        // From a Saturday, the first weekday is the Monday.
        assert_eq!(add_weekdays(date(2026, 1, 3), 1), date(2026, 1, 5));
    }

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
