//! The authorisation policy, as one table. Read it as: "this operation may be called by these
//! roles" and "this field of this type may be read by these roles". Anything not listed is
//! refused. `docs/authorisation.md` is generated from this file (a test keeps it current).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::auth::Role::{self, *};
use crate::domain::lifecycle::Step;
use crate::domain::{adjustments, roles};

/// Who may read a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone who may reach the object (the operation and row rules already apply).
    Reachable,
    /// Only these roles.
    Roles(&'static [Role]),
}

/// Every role.
pub const EVERYONE: &[Role] = &Role::ALL;
/// Staff who see the cases of their own service(s) only (5.4).
pub const SERVICE_STAFF: &[Role] = roles::SERVICE_STAFF;
/// Staff who see every service's cases.
pub const ALL_SERVICES: &[Role] = roles::EVERY_SERVICE;
/// Everyone who may read a case's content, names included (subject to row scope).
pub const CASE_CONTENT: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    LegalServices,
    MonitoringOfficer,
    ElectedMember,
];
/// Case readers plus the Standards Committee, who see anonymised records only (8.2).
pub const CASE_RECORD: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    LegalServices,
    MonitoringOfficer,
    ElectedMember,
    StandardsCommittee,
];
/// Staff who look people up by name (not Members, not the Committee, not admin).
pub const CUSTOMER_SEARCH: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    LegalServices,
    MonitoringOfficer,
];
/// The staff directory: council staff and the administrator.
pub const DIRECTORY: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    LegalServices,
    MonitoringOfficer,
    Admin,
];
/// System administration only.
pub const ADMIN: &[Role] = &[Admin];
/// Council staff who may read a case's decisions and their free text (not Members, not the
/// Committee): the same people who look customers up.
pub const CASE_STAFF: &[Role] = CUSTOMER_SEARCH;
/// Who may read a case's process record (decisions, restrictions, reviews, letters' facts):
/// council staff, and the Standards Committee without free text (8.2). Not elected Members,
/// who see only what they reported.
pub const CASE_PROCESS: &[Role] = &[
    Officer,
    ServiceManager,
    HeadOfService,
    ServiceDirector,
    FeedbackOfficer,
    GroupDirector,
    LegalServices,
    MonitoringOfficer,
    StandardsCommittee,
];
/// Managers who read correspondence placed on file without reply (5.2).
pub const FILE_REVIEWERS: &[Role] = &[ServiceManager, HeadOfService, LegalServices];
/// Who manages letter templates.
pub const TEMPLATE_EDITORS: &[Role] = &[LegalServices, Admin];
/// Who exports everything held about a customer for a subject access request: Legal Services.
pub const SUBJECT_ACCESS: &[Role] = &[LegalServices];
/// Who marks letters sent: Legal Services writes every decision to the customer; a Head of
/// Service sends their Stage 1 warnings.
pub const LETTER_SENDERS: &[Role] = &[LegalServices, HeadOfService];
/// Who asks for the annual report and follows its jobs (8.1): the Monitoring Officer, who
/// presents it, and Legal Services, who keep the central record.
pub const REPORT_REQUESTERS: &[Role] = &[MonitoringOfficer, LegalServices];
/// Who reads finished annual reports: those who ask for them, and the Standards Committee, to
/// whom the report is made (8.2). The report is anonymised; the Committee still reads no free
/// text about a person (`ReportCaseRow.notes`) and downloads the public edition's files only.
pub const REPORT_READERS: &[Role] = &[MonitoringOfficer, LegalServices, StandardsCommittee];
/// Who pulls the live fact feeds (decisions and restrictions) for Power BI: those who read case
/// process records, each scoped to the cases they may see (5.4); names only for those who may
/// read a customer's name (`Customer.displayName`).
pub const FACT_FEED_READERS: &[Role] = CASE_PROCESS;

/// Who keeps a customer's record (details, members, representatives): staff of one of the
/// customer's services, and Legal Services (every service). Not elected Members (who name a
/// new customer only in what they report), not the Committee, not admin.
pub const CUSTOMER_KEEPERS: &[Role] = crate::domain::customer_records::CUSTOMER_KEEPERS;
/// Who merges two records of the same person: Legal Services (the central record).
pub const CUSTOMER_MERGERS: &[Role] = crate::domain::customer_records::CUSTOMER_MERGERS;
/// Who undoes a merge: the administrator (naming the record by id; they read no names).
pub const CUSTOMER_UNMERGERS: &[Role] = crate::domain::customer_records::CUSTOMER_UNMERGERS;

/// Plain HTTP endpoints outside GraphQL (issue 6): `METHOD path` → roles that may call them.
pub const HTTP_ENDPOINTS: &[(&str, &[Role])] = &[
    ("GET /reports/{id}/{file}", REPORT_READERS),
    ("GET /feeds/decisions", FACT_FEED_READERS),
    ("GET /feeds/restrictions", FACT_FEED_READERS),
];

/// May a caller holding `roles` call HTTP endpoint `endpoint` (a key of [`HTTP_ENDPOINTS`])?
/// Unlisted endpoints are refused.
pub fn http_allowed<'r>(endpoint: &str, roles: impl IntoIterator<Item = &'r Role>) -> bool {
    HTTP_ENDPOINTS
        .iter()
        .find(|(key, _)| *key == endpoint)
        .is_some_and(|(_, allowed)| roles.into_iter().any(|r| allowed.contains(r)))
}

/// Queries and mutations: `Type.field` → roles that may call it.
pub const OPERATIONS: &[(&str, &[Role])] = &[
    ("Query.serverInfo", EVERYONE),
    ("Query.me", EVERYONE),
    ("Query.services", EVERYONE),
    ("Query.establishments", EVERYONE),
    ("Query.staffMembers", DIRECTORY),
    ("Query.customers", CUSTOMER_SEARCH),
    ("Query.customer", CASE_CONTENT),
    ("Query.cases", CASE_RECORD),
    ("Query.case", CASE_RECORD),
    ("Query.letter", CASE_STAFF),
    ("Query.letterTemplates", TEMPLATE_EDITORS),
    ("Query.currentLetterTemplate", TEMPLATE_EDITORS),
    ("Query.closureDays", EVERYONE),
    ("Query.bankHolidays", EVERYONE),
    ("Query.appealDeadline", EVERYONE),
    ("Query.reviewsDue", CASE_STAFF),
    ("Mutation.createService", ADMIN),
    ("Mutation.updateService", ADMIN),
    ("Mutation.createEstablishment", ADMIN),
    // --- The staff directory (issue 19): kept by the administrator, read by council staff ---
    ("Query.staffTeams", DIRECTORY),
    ("Mutation.createStaffMember", ADMIN),
    ("Mutation.updateStaffMember", ADMIN),
    ("Mutation.deactivateStaffMember", ADMIN),
    ("Mutation.reactivateStaffMember", ADMIN),
    ("Mutation.createStaffTeam", ADMIN),
    ("Mutation.updateStaffTeam", ADMIN),
    ("Mutation.deactivateStaffTeam", ADMIN),
    ("Mutation.reactivateStaffTeam", ADMIN),
    ("Mutation.assignStaffRole", ADMIN),
    ("Mutation.removeStaffRole", ADMIN),
    ("Mutation.reportBehaviour", Step::ReportBehaviour.roles()),
    (
        "Mutation.determineBehaviour",
        Step::DetermineBehaviour.roles(),
    ),
    (
        "Mutation.issueStage1Warning",
        Step::IssueStage1Warning.roles(),
    ),
    ("Mutation.logAppeal", Step::LogAppeal.roles()),
    ("Mutation.decideAppeal", Step::DecideAppeal.roles()),
    ("Mutation.decideStage2", Step::DecideStage2.roles()),
    (
        "Mutation.imposeRestriction",
        Step::ImposeRestriction.roles(),
    ),
    ("Mutation.varyRestriction", Step::VaryRestriction.roles()),
    (
        "Mutation.extendRestriction",
        Step::ExtendRestriction.roles(),
    ),
    (
        "Mutation.makeRestrictionPermanent",
        Step::MakeRestrictionPermanent.roles(),
    ),
    ("Mutation.liftRestriction", Step::LiftRestriction.roles()),
    ("Mutation.recordBreach", Step::RecordBreach.roles()),
    ("Mutation.considerNewIssue", Step::ConsiderNewIssue.roles()),
    ("Mutation.recommendReview", Step::RecommendReview.roles()),
    ("Mutation.endorseReview", Step::EndorseReview.roles()),
    ("Mutation.markLetterSent", LETTER_SENDERS),
    ("Mutation.createLetterTemplate", TEMPLATE_EDITORS),
    ("Mutation.addClosureDay", ADMIN),
    ("Mutation.removeClosureDay", ADMIN),
    // --- Customers (issue 19, item 1): their record, members, representatives, merging ---
    ("Mutation.createCustomer", CUSTOMER_KEEPERS),
    ("Mutation.updateCustomer", CUSTOMER_KEEPERS),
    ("Mutation.addCustomerMember", CUSTOMER_KEEPERS),
    ("Mutation.removeCustomerMember", CUSTOMER_KEEPERS),
    ("Mutation.addRepresentative", CUSTOMER_KEEPERS),
    ("Mutation.updateRepresentative", CUSTOMER_KEEPERS),
    ("Mutation.removeRepresentative", CUSTOMER_KEEPERS),
    ("Mutation.mergeCustomers", CUSTOMER_MERGERS),
    ("Mutation.unmergeCustomers", CUSTOMER_UNMERGERS),
    // --- At the point of contact: contact log, contact check, deadlines (issue 5) ---
    ("Query.contactCheck", CASE_STAFF),
    ("Query.filedCorrespondence", CASE_STAFF),
    ("Query.deadlines", CASE_STAFF),
    ("Mutation.logContact", CASE_STAFF),
    ("Mutation.reviewFiledContact", FILE_REVIEWERS),
    // --- Health & Safety and recording (issue 5, sections 3 and 4) ---
    ("Mutation.reportThreat", roles::SERVICE_STAFF),
    ("Mutation.excludeTemporarily", roles::TEMPORARY_EXCLUDERS),
    ("Mutation.excludeLongTerm", roles::LONG_TERM_AGREERS),
    ("Mutation.liftExclusion", roles::EXCLUSION_LIFTERS),
    ("Mutation.recordHsV1Reference", roles::HS_V1_RECORDERS),
    ("Mutation.recordPoliceReferral", roles::POLICE_REFERRERS),
    ("Mutation.recordCallTermination", roles::SERVICE_STAFF),
    ("Mutation.referHarassment", roles::HARASSMENT_REFERRERS),
    (
        "Mutation.reportHarassmentToPolice",
        roles::HARASSMENT_REPORTERS,
    ),
    ("Mutation.logExclusionAppeal", roles::APPEAL_LOGGERS),
    (
        "Mutation.recordRecordingRequest",
        roles::RECORDING_RECORDERS,
    ),
    // --- Live alerts (issue 5, 5.5) ---
    // Staff of the service and those who see every service; not Members, the Committee or admin.
    ("Query.notifications", CASE_STAFF),
    ("Mutation.markNotificationRead", CASE_STAFF),
    ("Subscription.restrictionAlerts", CASE_STAFF),
    // --- Accountability: audit queries, who looked, subject access (issue 7) ---
    ("Query.auditEvents", ALL_SERVICES),
    ("Query.accessRecords", ALL_SERVICES),
    ("Mutation.subjectAccessBundle", SUBJECT_ACCESS),
    // --- The annual report (issue 6, section 8) ---
    ("Query.reportJob", REPORT_READERS),
    ("Query.reportJobs", REPORT_READERS),
    ("Mutation.requestAnnualReport", REPORT_REQUESTERS),
    ("Subscription.reportJobUpdated", REPORT_REQUESTERS),
    // --- Reasonable adjustments (issue 19, item 2; Equality Act 2010) ---
    (
        "Mutation.recordReasonableAdjustment",
        adjustments::ADJUSTMENT_RECORDERS,
    ),
    (
        "Mutation.updateReasonableAdjustment",
        adjustments::ADJUSTMENT_RECORDERS,
    ),
    (
        "Mutation.endReasonableAdjustment",
        adjustments::ADJUSTMENT_RECORDERS,
    ),
];

/// Object fields: `Type.field` → who may read it.
pub const FIELDS: &[(&str, Access)] = &[
    ("ServerInfo.version", Access::Reachable),
    ("ServerInfo.databaseBackend", Access::Reachable),
    ("Me.subject", Access::Reachable),
    ("Me.name", Access::Reachable),
    ("Me.roles", Access::Reachable),
    ("Me.services", Access::Reachable),
    ("Service.id", Access::Reachable),
    ("Service.code", Access::Reachable),
    ("Service.name", Access::Reachable),
    ("Service.active", Access::Reachable),
    ("Service.version", Access::Reachable),
    // Who holds which role in the service: council staff and the administrator (the staff
    // directory), not elected members or the Standards Committee.
    ("Service.staff", Access::Roles(DIRECTORY)),
    ("Establishment.id", Access::Reachable),
    ("Establishment.name", Access::Reachable),
    ("Establishment.address", Access::Reachable),
    ("Establishment.serviceCode", Access::Reachable),
    ("Establishment.version", Access::Reachable),
    ("StaffMember.id", Access::Reachable),
    ("StaffMember.displayName", Access::Reachable),
    ("StaffMember.jobTitle", Access::Reachable),
    ("StaffMember.email", Access::Reachable),
    ("StaffMember.serviceCodes", Access::Reachable),
    ("StaffMember.teamId", Access::Reachable),
    ("StaffMember.roles", Access::Reachable),
    ("StaffMember.active", Access::Reachable),
    ("StaffMember.version", Access::Reachable),
    ("StaffRole.role", Access::Reachable),
    ("StaffRole.serviceCode", Access::Reachable),
    ("StaffTeam.id", Access::Reachable),
    ("StaffTeam.name", Access::Reachable),
    ("StaffTeam.serviceCode", Access::Reachable),
    ("StaffTeam.active", Access::Reachable),
    ("StaffTeam.version", Access::Reachable),
    ("Customer.id", Access::Reachable),
    ("Customer.reference", Access::Reachable),
    ("Customer.kind", Access::Reachable),
    ("Customer.preferredLanguage", Access::Reachable),
    ("Customer.displayName", Access::Roles(CASE_CONTENT)),
    ("Customer.address", Access::Roles(CASE_CONTENT)),
    ("Customer.email", Access::Roles(CASE_CONTENT)),
    ("Customer.phone", Access::Roles(CASE_CONTENT)),
    ("Customer.reasonableAdjustments", Access::Roles(CASE_STAFF)),
    ("ReasonableAdjustment.id", Access::Reachable),
    ("ReasonableAdjustment.customerId", Access::Reachable),
    ("ReasonableAdjustment.need", Access::Roles(CASE_STAFF)),
    ("ReasonableAdjustment.adjustment", Access::Roles(CASE_STAFF)),
    ("ReasonableAdjustment.agreedBy", Access::Roles(CASE_STAFF)),
    ("ReasonableAdjustment.agreedOn", Access::Reachable),
    ("ReasonableAdjustment.reviewOn", Access::Reachable),
    ("ReasonableAdjustment.status", Access::Reachable),
    ("ReasonableAdjustment.endedOn", Access::Reachable),
    ("ReasonableAdjustment.endReasons", Access::Roles(CASE_STAFF)),
    ("ReasonableAdjustment.recordedAt", Access::Reachable),
    ("ReasonableAdjustment.version", Access::Reachable),
    ("Customer.version", Access::Reachable),
    ("Customer.mergedIntoId", Access::Reachable),
    ("Customer.mergedAt", Access::Reachable),
    ("Customer.members", Access::Roles(CASE_CONTENT)),
    ("Customer.representatives", Access::Roles(CASE_CONTENT)),
    ("CustomerMember.id", Access::Reachable),
    ("CustomerMember.name", Access::Reachable),
    ("CustomerMember.relationship", Access::Reachable),
    ("CustomerMember.version", Access::Reachable),
    ("CustomerMember.createdAt", Access::Reachable),
    ("Representative.id", Access::Reachable),
    ("Representative.name", Access::Reachable),
    ("Representative.organisation", Access::Reachable),
    ("Representative.relationship", Access::Reachable),
    ("Representative.contactDetails", Access::Reachable),
    ("Representative.authorityConfirmed", Access::Reachable),
    ("Representative.lettersToRepresentative", Access::Reachable),
    ("Representative.version", Access::Reachable),
    ("Case.id", Access::Reachable),
    ("Case.reference", Access::Reachable),
    ("Case.serviceCode", Access::Reachable),
    ("Case.stage", Access::Reachable),
    ("Case.status", Access::Reachable),
    ("Case.openedAt", Access::Reachable),
    ("Case.closedAt", Access::Reachable),
    ("Case.appealDeadline", Access::Reachable),
    ("Case.reviewDueOn", Access::Reachable),
    ("Case.flaggedForReview", Access::Reachable),
    ("Case.version", Access::Reachable),
    ("Case.closureReason", Access::Roles(CASE_CONTENT)),
    ("Case.customer", Access::Roles(CASE_CONTENT)),
    ("Case.reports", Access::Reachable),
    ("Case.serviceName", Access::Reachable),
    ("Case.allowedSteps", Access::Reachable),
    ("Case.flagReason", Access::Roles(CASE_STAFF)),
    ("Case.determinations", Access::Roles(CASE_PROCESS)),
    ("Case.stage1Warnings", Access::Roles(CASE_PROCESS)),
    ("Case.appeals", Access::Roles(CASE_PROCESS)),
    ("Case.stage2Decisions", Access::Roles(CASE_PROCESS)),
    ("Case.restrictions", Access::Roles(CASE_PROCESS)),
    ("Case.breaches", Access::Roles(CASE_PROCESS)),
    ("Case.reviews", Access::Roles(CASE_PROCESS)),
    ("Case.newIssueConsiderations", Access::Roles(CASE_PROCESS)),
    ("Case.letters", Access::Roles(CASE_PROCESS)),
    ("Case.timeline", Access::Roles(CASE_PROCESS)),
    ("Determination.id", Access::Reachable),
    ("Determination.unreasonable", Access::Reachable),
    ("Determination.deciderRole", Access::Reachable),
    ("Determination.decidedAt", Access::Reachable),
    ("Determination.reasons", Access::Roles(CASE_STAFF)),
    ("Stage1Warning.id", Access::Reachable),
    ("Stage1Warning.letterDate", Access::Reachable),
    ("Stage1Warning.appealDeadline", Access::Reachable),
    ("Stage1Warning.status", Access::Reachable),
    ("Stage1Warning.consultedOn", Access::Reachable),
    ("Stage1Warning.copiedToFeedbackOfficer", Access::Reachable),
    ("Stage1Warning.centralRecordAt", Access::Reachable),
    ("Stage1Warning.version", Access::Reachable),
    (
        "Stage1Warning.serviceDirectorConsulted",
        Access::Roles(CASE_STAFF),
    ),
    (
        "Stage1Warning.adjustmentsConsidered",
        Access::Roles(CASE_STAFF),
    ),
    ("Stage1Warning.proportionality", Access::Roles(CASE_STAFF)),
    (
        "Stage1Warning.reasonableAdjustmentsConsidered",
        Access::Roles(CASE_STAFF),
    ),
    ("Appeal.id", Access::Reachable),
    ("Appeal.warningId", Access::Reachable),
    ("Appeal.receivedOn", Access::Reachable),
    ("Appeal.acceptedLate", Access::Reachable),
    ("Appeal.outcome", Access::Reachable),
    ("Appeal.groupDirectorNotifiedAt", Access::Reachable),
    ("Appeal.decidedAt", Access::Reachable),
    ("Appeal.customerToldAt", Access::Reachable),
    ("Appeal.version", Access::Reachable),
    ("Appeal.grounds", Access::Roles(CASE_STAFF)),
    ("Appeal.lateReason", Access::Roles(CASE_STAFF)),
    ("Appeal.decisionReasons", Access::Roles(CASE_STAFF)),
    ("Stage2Decision.id", Access::Reachable),
    ("Stage2Decision.immediate", Access::Reachable),
    ("Stage2Decision.decidedOn", Access::Reachable),
    ("Stage2Decision.consultedRole", Access::Reachable),
    ("Stage2Decision.reviewDueOn", Access::Reachable),
    ("Stage2Decision.serviceTeamNotifiedAt", Access::Reachable),
    ("Stage2Decision.consultedName", Access::Roles(CASE_STAFF)),
    (
        "Stage2Decision.exceptionalReasons",
        Access::Roles(CASE_STAFF),
    ),
    (
        "Stage2Decision.adjustmentsConsidered",
        Access::Roles(CASE_STAFF),
    ),
    (
        "Stage2Decision.reasonableAdjustmentsConsidered",
        Access::Roles(CASE_STAFF),
    ),
    ("Stage2Decision.proportionality", Access::Roles(CASE_STAFF)),
    ("Stage2Decision.reasons", Access::Roles(CASE_STAFF)),
    ("Restriction.id", Access::Reachable),
    ("Restriction.kind", Access::Reachable),
    ("Restriction.startsOn", Access::Reachable),
    ("Restriction.endsOn", Access::Reachable),
    ("Restriction.reviewDueOn", Access::Reachable),
    ("Restriction.status", Access::Reachable),
    ("Restriction.permanent", Access::Reachable),
    ("Restriction.liftedOn", Access::Reachable),
    ("Restriction.version", Access::Reachable),
    ("Restriction.parameters", Access::Roles(CASE_STAFF)),
    ("Restriction.description", Access::Roles(CASE_STAFF)),
    ("Restriction.liftedReason", Access::Roles(CASE_STAFF)),
    ("Breach.id", Access::Reachable),
    ("Breach.restrictionId", Access::Reachable),
    ("Breach.occurredAt", Access::Reachable),
    ("Breach.flaggedForReview", Access::Reachable),
    ("Breach.outcome", Access::Reachable),
    ("Breach.description", Access::Roles(CASE_STAFF)),
    ("Review.id", Access::Reachable),
    ("Review.dueOn", Access::Reachable),
    ("Review.recommendation", Access::Reachable),
    ("Review.recommendedOn", Access::Reachable),
    ("Review.heldInTime", Access::Reachable),
    ("Review.endorsed", Access::Reachable),
    ("Review.endorsedOn", Access::Reachable),
    ("Review.customerToldAt", Access::Reachable),
    ("Review.recommendationReasons", Access::Roles(CASE_STAFF)),
    ("Review.endorsementReasons", Access::Roles(CASE_STAFF)),
    (
        "Review.reasonableAdjustmentsConsidered",
        Access::Roles(CASE_STAFF),
    ),
    ("NewIssueConsideration.id", Access::Reachable),
    (
        "NewIssueConsideration.restrictionsRemainAppropriate",
        Access::Reachable,
    ),
    ("NewIssueConsideration.consideredOn", Access::Reachable),
    (
        "NewIssueConsideration.description",
        Access::Roles(CASE_STAFF),
    ),
    ("NewIssueConsideration.reasons", Access::Roles(CASE_STAFF)),
    ("Letter.id", Access::Reachable),
    ("Letter.kind", Access::Reachable),
    ("Letter.language", Access::Reachable),
    ("Letter.issuedAt", Access::Reachable),
    ("Letter.sentAt", Access::Reachable),
    ("Letter.templateId", Access::Reachable),
    ("Letter.version", Access::Reachable),
    ("Letter.subject", Access::Roles(CASE_STAFF)),
    ("Letter.bodyText", Access::Roles(CASE_STAFF)),
    ("Letter.bodyHtml", Access::Roles(CASE_STAFF)),
    ("TimelineEntry.at", Access::Reachable),
    ("TimelineEntry.kind", Access::Reachable),
    ("TimelineEntry.recordId", Access::Reachable),
    ("TimelineEntry.summary", Access::Reachable),
    ("LetterTemplate.id", Access::Reachable),
    ("LetterTemplate.kind", Access::Reachable),
    ("LetterTemplate.language", Access::Reachable),
    ("LetterTemplate.templateVersion", Access::Reachable),
    ("LetterTemplate.subject", Access::Reachable),
    ("LetterTemplate.body", Access::Reachable),
    ("LetterTemplate.active", Access::Reachable),
    ("LetterTemplate.createdAt", Access::Reachable),
    ("ClosureDay.id", Access::Reachable),
    ("ClosureDay.day", Access::Reachable),
    ("ClosureDay.description", Access::Reachable),
    ("BankHoliday.day", Access::Reachable),
    ("BankHoliday.name", Access::Reachable),
    ("ReviewDue.case", Access::Reachable),
    ("ReviewDue.dueOn", Access::Reachable),
    ("ReviewDue.overdue", Access::Reachable),
    ("ReviewDue.daysRemaining", Access::Reachable),
    // --- At the point of contact: contact log, contact check, deadlines (issue 5) ---
    ("ContactCheck.allowed", Access::Reachable),
    ("ContactCheck.serviceCode", Access::Reachable),
    ("ContactCheck.at", Access::Reachable),
    ("ContactCheck.findings", Access::Reachable),
    ("CheckFinding.restrictionId", Access::Reachable),
    ("CheckFinding.exclusionId", Access::Reachable),
    ("CheckFinding.kind", Access::Reachable),
    ("CheckFinding.blocks", Access::Reachable),
    ("CheckFinding.instruction", Access::Reachable),
    ("Contact.id", Access::Reachable),
    ("Contact.caseId", Access::Reachable),
    ("Contact.serviceId", Access::Reachable),
    ("Contact.channel", Access::Reachable),
    ("Contact.direction", Access::Reachable),
    ("Contact.occurredAt", Access::Reachable),
    ("Contact.outcome", Access::Reachable),
    ("Contact.raisesNewIssue", Access::Reachable),
    ("Contact.safeguardingConcern", Access::Reachable),
    ("Contact.filedReviewedAt", Access::Reachable),
    ("Contact.version", Access::Reachable),
    ("Contact.summary", Access::Roles(CASE_STAFF)),
    ("LoggedContact.contact", Access::Reachable),
    ("LoggedContact.allowed", Access::Reachable),
    ("LoggedContact.findings", Access::Reachable),
    ("LoggedContact.breachIds", Access::Reachable),
    ("Deadline.kind", Access::Reachable),
    ("Deadline.dueOn", Access::Reachable),
    ("Deadline.overdue", Access::Reachable),
    ("Deadline.caseId", Access::Reachable),
    ("Deadline.caseReference", Access::Reachable),
    ("Deadline.recordId", Access::Reachable),
    ("Deadline.summary", Access::Reachable),
    ("Case.contacts", Access::Roles(CASE_PROCESS)),
    // --- Health & Safety and recording (issue 5, sections 3 and 4) ---
    ("Case.hsIncidents", Access::Roles(CASE_PROCESS)),
    ("Case.exclusions", Access::Roles(CASE_PROCESS)),
    ("Case.policeReferrals", Access::Roles(CASE_PROCESS)),
    ("Case.callTerminations", Access::Roles(CASE_PROCESS)),
    ("Case.harassmentReferrals", Access::Roles(CASE_PROCESS)),
    ("Case.recordingRequests", Access::Roles(CASE_PROCESS)),
    ("HsIncident.id", Access::Reachable),
    ("HsIncident.caseId", Access::Reachable),
    ("HsIncident.reportedAt", Access::Reachable),
    ("HsIncident.imminentRisk", Access::Reachable),
    ("HsIncident.hsV1Recorded", Access::Reachable),
    ("HsIncident.version", Access::Reachable),
    ("HsIncident.reasons", Access::Roles(CASE_STAFF)),
    ("HsIncident.reportedBy", Access::Roles(CASE_STAFF)),
    ("HsIncident.hsV1Reference", Access::Roles(CASE_STAFF)),
    ("Exclusion.id", Access::Reachable),
    ("Exclusion.caseId", Access::Reachable),
    ("Exclusion.kind", Access::Reachable),
    ("Exclusion.healthAndSafety", Access::Reachable),
    ("Exclusion.startsOn", Access::Reachable),
    ("Exclusion.endsOn", Access::Reachable),
    ("Exclusion.liftedOn", Access::Reachable),
    ("Exclusion.inForce", Access::Reachable),
    ("Exclusion.establishmentIds", Access::Reachable),
    ("Exclusion.hsIncidentId", Access::Reachable),
    ("Exclusion.agreedByRole", Access::Reachable),
    ("Exclusion.agreedAt", Access::Reachable),
    ("Exclusion.version", Access::Reachable),
    ("Exclusion.reasons", Access::Roles(CASE_STAFF)),
    ("Exclusion.authorisedBy", Access::Roles(CASE_STAFF)),
    ("Exclusion.agreedBy", Access::Roles(CASE_STAFF)),
    ("Exclusion.agreementReasons", Access::Roles(CASE_STAFF)),
    ("Exclusion.liftedReason", Access::Roles(CASE_STAFF)),
    ("PoliceReferral.id", Access::Reachable),
    ("PoliceReferral.caseId", Access::Reachable),
    ("PoliceReferral.hsIncidentId", Access::Reachable),
    ("PoliceReferral.referredOn", Access::Reachable),
    ("PoliceReferral.version", Access::Reachable),
    ("PoliceReferral.reason", Access::Roles(CASE_STAFF)),
    ("PoliceReferral.policeReference", Access::Roles(CASE_STAFF)),
    ("PoliceReferral.notes", Access::Roles(CASE_STAFF)),
    ("PoliceReferral.referredBy", Access::Roles(CASE_STAFF)),
    ("CallTermination.id", Access::Reachable),
    ("CallTermination.caseId", Access::Reachable),
    ("CallTermination.contactId", Access::Reachable),
    ("CallTermination.terminatedAt", Access::Reachable),
    ("CallTermination.version", Access::Reachable),
    ("CallTermination.warningGiven", Access::Roles(CASE_STAFF)),
    ("CallTermination.reason", Access::Roles(CASE_STAFF)),
    ("CallTermination.terminatedBy", Access::Roles(CASE_STAFF)),
    ("HarassmentReferral.id", Access::Reachable),
    ("HarassmentReferral.caseId", Access::Reachable),
    ("HarassmentReferral.referredAt", Access::Reachable),
    ("HarassmentReferral.callTerminationIds", Access::Reachable),
    ("HarassmentReferral.policeReferralId", Access::Reachable),
    ("HarassmentReferral.reportedToPolice", Access::Reachable),
    ("HarassmentReferral.version", Access::Reachable),
    ("HarassmentReferral.reasons", Access::Roles(CASE_STAFF)),
    ("HarassmentReferral.referredTo", Access::Roles(CASE_STAFF)),
    ("HarassmentReferral.referredBy", Access::Roles(CASE_STAFF)),
    ("RecordingRequest.id", Access::Reachable),
    ("RecordingRequest.caseId", Access::Reachable),
    ("RecordingRequest.requestedAt", Access::Reachable),
    ("RecordingRequest.agreed", Access::Reachable),
    ("RecordingRequest.version", Access::Reachable),
    ("RecordingRequest.context", Access::Roles(CASE_STAFF)),
    ("RecordingRequest.staffMember", Access::Roles(CASE_STAFF)),
    ("RecordingRequest.refusalReason", Access::Roles(CASE_STAFF)),
    // --- Live alerts (issue 5, 5.5) ---
    ("Notification.id", Access::Reachable),
    ("Notification.event", Access::Reachable),
    ("Notification.serviceCode", Access::Reachable),
    ("Notification.caseId", Access::Reachable),
    ("Notification.caseReference", Access::Reachable),
    ("Notification.restrictionId", Access::Reachable),
    ("Notification.restrictionKind", Access::Reachable),
    ("Notification.startsOn", Access::Reachable),
    ("Notification.endsOn", Access::Reachable),
    ("Notification.summary", Access::Reachable),
    ("Notification.createdAt", Access::Reachable),
    ("Notification.reviewDueOn", Access::Reachable),
    ("Notification.readAt", Access::Reachable),
    ("BehaviourReport.id", Access::Reachable),
    ("BehaviourReport.behaviours", Access::Reachable),
    ("BehaviourReport.channel", Access::Reachable),
    ("BehaviourReport.occurredAt", Access::Reachable),
    ("BehaviourReport.description", Access::Roles(CASE_CONTENT)),
    ("BehaviourReport.reporterName", Access::Roles(CASE_CONTENT)),
    ("CaseConnection.edges", Access::Reachable),
    ("CaseConnection.nodes", Access::Reachable),
    ("CaseConnection.pageInfo", Access::Reachable),
    ("CaseEdge.cursor", Access::Reachable),
    ("CaseEdge.node", Access::Reachable),
    ("PageInfo.hasPreviousPage", Access::Reachable),
    ("PageInfo.hasNextPage", Access::Reachable),
    ("PageInfo.startCursor", Access::Reachable),
    ("PageInfo.endCursor", Access::Reachable),
    // --- Accountability: audit queries, who looked, subject access (issue 7) ---
    ("AuditEvent.id", Access::Reachable),
    ("AuditEvent.occurredAt", Access::Reachable),
    ("AuditEvent.actorSub", Access::Reachable),
    ("AuditEvent.actorName", Access::Reachable),
    ("AuditEvent.actorRoles", Access::Reachable),
    ("AuditEvent.action", Access::Reachable),
    ("AuditEvent.entityType", Access::Reachable),
    ("AuditEvent.entityId", Access::Reachable),
    ("AuditEvent.caseId", Access::Reachable),
    ("AuditEvent.before", Access::Reachable),
    ("AuditEvent.after", Access::Reachable),
    ("AuditEvent.reason", Access::Reachable),
    ("AuditEvent.requestId", Access::Reachable),
    ("AuditEvent.hash", Access::Reachable),
    ("AuditEvent.prevHash", Access::Reachable),
    ("AuditEvent.payloadHash", Access::Reachable),
    ("AuditEvent.legacyHash", Access::Reachable),
    ("AuditEvent.redactedAt", Access::Reachable),
    ("AccessRecord.id", Access::Reachable),
    ("AccessRecord.occurredAt", Access::Reachable),
    ("AccessRecord.actorSub", Access::Reachable),
    ("AccessRecord.actorName", Access::Reachable),
    ("AccessRecord.actorRoles", Access::Reachable),
    ("AccessRecord.requestId", Access::Reachable),
    ("AccessRecord.operation", Access::Reachable),
    ("AccessRecord.caseId", Access::Reachable),
    ("AccessRecord.customerId", Access::Reachable),
    ("AccessRecord.category", Access::Reachable),
    ("AuditEventConnection.edges", Access::Reachable),
    ("AuditEventConnection.nodes", Access::Reachable),
    ("AuditEventConnection.pageInfo", Access::Reachable),
    ("AuditEventEdge.cursor", Access::Reachable),
    ("AuditEventEdge.node", Access::Reachable),
    ("AccessRecordConnection.edges", Access::Reachable),
    ("AccessRecordConnection.nodes", Access::Reachable),
    ("AccessRecordConnection.pageInfo", Access::Reachable),
    ("AccessRecordEdge.cursor", Access::Reachable),
    ("AccessRecordEdge.node", Access::Reachable),
    ("SubjectAccessBundle.customerId", Access::Reachable),
    ("SubjectAccessBundle.generatedAt", Access::Reachable),
    ("SubjectAccessBundle.staffNames", Access::Reachable),
    ("SubjectAccessBundle.json", Access::Reachable),
    ("SubjectAccessBundle.html", Access::Reachable),
    ("SubjectAccessBundle.counts", Access::Reachable),
    ("SubjectAccessCount.kind", Access::Reachable),
    ("SubjectAccessCount.count", Access::Reachable),
    // --- The annual report (issue 6, section 8) ---
    ("ReportJob.id", Access::Reachable),
    ("ReportJob.reportingYear", Access::Reachable),
    ("ReportJob.label", Access::Reachable),
    ("ReportJob.edition", Access::Reachable),
    ("ReportJob.services", Access::Reachable),
    ("ReportJob.status", Access::Reachable),
    ("ReportJob.progress", Access::Reachable),
    ("ReportJob.attempts", Access::Reachable),
    ("ReportJob.maxAttempts", Access::Reachable),
    ("ReportJob.error", Access::Roles(REPORT_REQUESTERS)),
    ("ReportJob.requestedBy", Access::Roles(REPORT_REQUESTERS)),
    ("ReportJob.createdAt", Access::Reachable),
    ("ReportJob.startedAt", Access::Reachable),
    ("ReportJob.finishedAt", Access::Reachable),
    ("ReportJob.version", Access::Reachable),
    ("ReportJob.artifacts", Access::Reachable),
    ("ReportJob.report", Access::Reachable),
    ("ReportJobConnection.edges", Access::Reachable),
    ("ReportJobConnection.nodes", Access::Reachable),
    ("ReportJobConnection.pageInfo", Access::Reachable),
    ("ReportJobEdge.cursor", Access::Reachable),
    ("ReportJobEdge.node", Access::Reachable),
    ("ReportArtifact.name", Access::Reachable),
    ("ReportArtifact.contentType", Access::Reachable),
    ("ReportArtifact.sizeBytes", Access::Reachable),
    ("ReportArtifact.sha256", Access::Reachable),
    ("ReportArtifact.url", Access::Reachable),
    ("AnnualReport.formatVersion", Access::Reachable),
    ("AnnualReport.edition", Access::Reachable),
    ("AnnualReport.reportingYear", Access::Reachable),
    ("AnnualReport.reportingYearLabel", Access::Reachable),
    ("AnnualReport.previousYearLabel", Access::Reachable),
    ("AnnualReport.periodStart", Access::Reachable),
    ("AnnualReport.periodEnd", Access::Reachable),
    ("AnnualReport.services", Access::Reachable),
    ("AnnualReport.servicesSubset", Access::Reachable),
    ("AnnualReport.generatedAt", Access::Reachable),
    ("AnnualReport.narrative", Access::Reachable),
    ("AnnualReport.summary", Access::Reachable),
    ("AnnualReport.byService", Access::Reachable),
    ("AnnualReport.byStage", Access::Reachable),
    ("AnnualReport.byRestrictionType", Access::Reachable),
    ("AnnualReport.serviceByRestrictionType", Access::Reachable),
    ("AnnualReport.monthly", Access::Reachable),
    ("AnnualReport.policyChecks", Access::Reachable),
    ("AnnualReport.cases", Access::Reachable),
    ("ReportService.id", Access::Reachable),
    ("ReportService.code", Access::Reachable),
    ("ReportService.name", Access::Reachable),
    ("ReportSummaryRow.reportingYear", Access::Reachable),
    ("ReportSummaryRow.metric", Access::Reachable),
    ("ReportSummaryRow.count", Access::Reachable),
    ("ReportSummaryRow.previousCount", Access::Reachable),
    ("ReportSummaryRow.countSuppressed", Access::Reachable),
    (
        "ReportSummaryRow.previousCountSuppressed",
        Access::Reachable,
    ),
    ("ReportServiceRow.reportingYear", Access::Reachable),
    ("ReportServiceRow.serviceCode", Access::Reachable),
    ("ReportServiceRow.serviceName", Access::Reachable),
    ("ReportServiceRow.metric", Access::Reachable),
    ("ReportServiceRow.count", Access::Reachable),
    ("ReportServiceRow.previousCount", Access::Reachable),
    ("ReportServiceRow.countSuppressed", Access::Reachable),
    (
        "ReportServiceRow.previousCountSuppressed",
        Access::Reachable,
    ),
    ("ReportStageRow.reportingYear", Access::Reachable),
    ("ReportStageRow.stage", Access::Reachable),
    ("ReportStageRow.metric", Access::Reachable),
    ("ReportStageRow.count", Access::Reachable),
    ("ReportStageRow.previousCount", Access::Reachable),
    ("ReportStageRow.countSuppressed", Access::Reachable),
    ("ReportStageRow.previousCountSuppressed", Access::Reachable),
    ("ReportRestrictionTypeRow.reportingYear", Access::Reachable),
    (
        "ReportRestrictionTypeRow.restrictionType",
        Access::Reachable,
    ),
    ("ReportRestrictionTypeRow.metric", Access::Reachable),
    ("ReportRestrictionTypeRow.count", Access::Reachable),
    ("ReportRestrictionTypeRow.previousCount", Access::Reachable),
    (
        "ReportRestrictionTypeRow.countSuppressed",
        Access::Reachable,
    ),
    (
        "ReportRestrictionTypeRow.previousCountSuppressed",
        Access::Reachable,
    ),
    (
        "ReportServiceRestrictionRow.reportingYear",
        Access::Reachable,
    ),
    ("ReportServiceRestrictionRow.serviceCode", Access::Reachable),
    ("ReportServiceRestrictionRow.serviceName", Access::Reachable),
    (
        "ReportServiceRestrictionRow.restrictionType",
        Access::Reachable,
    ),
    ("ReportServiceRestrictionRow.metric", Access::Reachable),
    ("ReportServiceRestrictionRow.count", Access::Reachable),
    (
        "ReportServiceRestrictionRow.previousCount",
        Access::Reachable,
    ),
    (
        "ReportServiceRestrictionRow.countSuppressed",
        Access::Reachable,
    ),
    (
        "ReportServiceRestrictionRow.previousCountSuppressed",
        Access::Reachable,
    ),
    ("ReportMonthRow.reportingYear", Access::Reachable),
    ("ReportMonthRow.month", Access::Reachable),
    ("ReportMonthRow.metric", Access::Reachable),
    ("ReportMonthRow.count", Access::Reachable),
    ("ReportMonthRow.previousCount", Access::Reachable),
    ("ReportMonthRow.countSuppressed", Access::Reachable),
    ("ReportMonthRow.previousCountSuppressed", Access::Reachable),
    ("ReportPolicyCheckRow.reportingYear", Access::Reachable),
    ("ReportPolicyCheckRow.check", Access::Reachable),
    ("ReportPolicyCheckRow.outcome", Access::Reachable),
    ("ReportPolicyCheckRow.count", Access::Reachable),
    ("ReportPolicyCheckRow.countSuppressed", Access::Reachable),
    ("ReportCaseRow.reportingYear", Access::Reachable),
    ("ReportCaseRow.caseReference", Access::Reachable),
    ("ReportCaseRow.serviceCode", Access::Reachable),
    ("ReportCaseRow.stageAtYearEnd", Access::Reachable),
    ("ReportCaseRow.openedOn", Access::Reachable),
    ("ReportCaseRow.closedOn", Access::Reachable),
    ("ReportCaseRow.restrictionTypes", Access::Reachable),
    ("ReportCaseRow.warningBeforeStage2", Access::Reachable),
    ("ReportCaseRow.appealRightsGiven", Access::Reachable),
    ("ReportCaseRow.appealDecided", Access::Reachable),
    ("ReportCaseRow.customerTold", Access::Reachable),
    ("ReportCaseRow.reviewWithinPeriod", Access::Reachable),
    ("ReportCaseRow.adjustmentsConsidered", Access::Reachable),
    ("ReportCaseRow.policyFollowed", Access::Reachable),
    ("ReportCaseRow.notes", Access::Roles(REPORT_REQUESTERS)),
];

/// The policy's verdict on one field for one set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed.
    Allow,
    /// Listed, and none of the caller's roles is allowed.
    Deny,
    /// Not in the policy at all: refused (deny by default).
    Unlisted,
}

/// May a caller holding `roles` resolve `type_name.field`?
pub fn verdict<'r>(
    type_name: &str,
    field: &str,
    roles: impl IntoIterator<Item = &'r Role>,
) -> Verdict {
    let root = type_name == "Query" || type_name == "Mutation" || type_name == "Subscription";
    let access = if root {
        OPERATION_INDEX
            .get(type_name)
            .and_then(|fields| fields.get(field))
            .map(|allowed| Access::Roles(allowed))
    } else {
        FIELD_INDEX
            .get(type_name)
            .and_then(|fields| fields.get(field))
            .copied()
    };
    match access {
        None => Verdict::Unlisted,
        Some(Access::Reachable) => Verdict::Allow,
        Some(Access::Roles(allowed)) if roles.into_iter().any(|r| allowed.contains(r)) => {
            Verdict::Allow
        }
        Some(_) => Verdict::Deny,
    }
}

/// A table's `Type.field` keys, indexed by type then field (the guard looks up every field of
/// every response, so a hash lookup instead of a scan of a few hundred entries).
type Index<V> = HashMap<&'static str, HashMap<&'static str, V>>;

fn index<V: Copy>(table: &'static [(&'static str, V)]) -> Index<V> {
    let mut out: Index<V> = HashMap::new();
    for (key, value) in table {
        if let Some((type_name, field)) = key.split_once('.') {
            // The first entry for a key wins, as a scan of the table would find it.
            out.entry(type_name)
                .or_default()
                .entry(field)
                .or_insert(*value);
        }
    }
    out
}

static OPERATION_INDEX: LazyLock<Index<&'static [Role]>> = LazyLock::new(|| index(OPERATIONS));
static FIELD_INDEX: LazyLock<Index<Access>> = LazyLock::new(|| index(FIELDS));

/// The policy as Markdown: role × operation, and role × restricted field.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Authorisation\n\nGenerated from `api/src/authz/policy.rs` by a test \
         (`UPC_UPDATE_DOCS=1 cargo test -p tests --test api authorisation_doc` regenerates it). \
         Anything not listed is refused.\n\n\
         Rows: staff see the cases of their own service(s) only (policy 5.4); Legal Services and \
         the Monitoring Officer see every service; an elected Member sees only the cases and \
         reports they reported; the Standards Committee sees case records without names, \
         addresses or free text about a person; `admin` reads no case content.\n\n\
         ## Operations\n\n",
    );
    let header = |out: &mut String, first: &str| {
        out.push_str(&format!("| {first} |"));
        for r in Role::ALL {
            out.push_str(&format!(" {} |", r.as_str()));
        }
        out.push_str("\n|---|");
        for _ in Role::ALL {
            out.push_str("---|");
        }
        out.push('\n');
    };
    header(&mut out, "operation");
    for (op, allowed) in OPERATIONS {
        out.push_str(&format!("| `{op}` |"));
        for r in Role::ALL {
            out.push_str(if allowed.contains(&r) {
                " ✓ |"
            } else {
                " · |"
            });
        }
        out.push('\n');
    }
    out.push_str("\n## Restricted fields\n\nFields not listed here are readable by anyone who may reach the object. A refused field resolves to `null` with a `FORBIDDEN` error at its path; its siblings are still returned.\n\n");
    header(&mut out, "field");
    for (field, access) in FIELDS {
        if let Access::Roles(allowed) = access {
            out.push_str(&format!("| `{field}` |"));
            for r in Role::ALL {
                out.push_str(if allowed.contains(&r) {
                    " ✓ |"
                } else {
                    " · |"
                });
            }
            out.push('\n');
        }
    }
    out.push_str("\n## HTTP endpoints\n\nDownloads and feeds outside GraphQL, with the same bearer token. `GET /reports/{id}/{file}`: the Standards Committee gets finished jobs' public-edition files only (an internal edition's files hold free text about people; it reads that edition through GraphQL, without `ReportCaseRow.notes`). The feeds' rows are scoped like cases (5.4), and carry `customer_name` only for roles that may read `Customer.displayName`.\n\n");
    header(&mut out, "endpoint");
    for (endpoint, allowed) in HTTP_ENDPOINTS {
        out.push_str(&format!("| `{endpoint}` |"));
        for r in Role::ALL {
            out.push_str(if allowed.contains(&r) {
                " ✓ |"
            } else {
                " · |"
            });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_fields_are_refused() {
        assert_eq!(
            verdict("Case", "secretNotes", &[LegalServices]),
            Verdict::Unlisted
        );
        assert_eq!(verdict("Query", "everything", &[Admin]), Verdict::Unlisted);
    }

    #[test]
    fn keys_match_exactly_not_by_prefix() {
        assert_eq!(
            verdict("Case", "customerX", &[LegalServices]),
            Verdict::Unlisted
        );
        assert_eq!(
            verdict("Cas", "e.customer", &[LegalServices]),
            Verdict::Unlisted
        );
    }

    #[test]
    fn standards_committee_never_reads_a_name_8_2() {
        for (key, access) in FIELDS {
            if key.ends_with(".displayName") && key.starts_with("Customer") {
                assert_eq!(*access, Access::Roles(CASE_CONTENT));
            }
        }
        assert_eq!(
            verdict("Customer", "displayName", &[StandardsCommittee]),
            Verdict::Deny
        );
        assert_eq!(
            verdict("Case", "customer", &[StandardsCommittee]),
            Verdict::Deny
        );
        assert_eq!(
            verdict("BehaviourReport", "description", &[StandardsCommittee]),
            Verdict::Deny
        );
    }

    #[test]
    fn admin_reads_no_case_content() {
        for op in ["cases", "case", "customer", "customers"] {
            assert_eq!(verdict("Query", op, &[Admin]), Verdict::Deny, "{op}");
        }
        assert_eq!(
            verdict("Mutation", "createService", &[Admin]),
            Verdict::Allow
        );
        assert_eq!(
            verdict("Mutation", "createService", &[LegalServices]),
            Verdict::Deny
        );
    }

    #[test]
    fn the_committee_reads_the_annual_report_but_not_its_free_text_8_2() {
        assert_eq!(
            verdict("Query", "reportJob", &[StandardsCommittee]),
            Verdict::Allow
        );
        assert_eq!(
            verdict("Mutation", "requestAnnualReport", &[StandardsCommittee]),
            Verdict::Deny
        );
        assert_eq!(
            verdict("ReportCaseRow", "notes", &[StandardsCommittee]),
            Verdict::Deny
        );
        assert_eq!(
            verdict("ReportCaseRow", "notes", &[MonitoringOfficer]),
            Verdict::Allow
        );
        assert!(http_allowed(
            "GET /reports/{id}/{file}",
            &[StandardsCommittee]
        ));
        for role in [Officer, Admin, ElectedMember] {
            assert!(!http_allowed("GET /reports/{id}/{file}", &[role]));
            assert_eq!(
                verdict("Mutation", "requestAnnualReport", &[role]),
                Verdict::Deny
            );
        }
        assert!(!http_allowed("GET /feeds/decisions", &[Admin]));
        assert!(!http_allowed("GET /feeds/unknown", &[LegalServices]));
    }

    #[test]
    fn the_committee_does_nothing_with_customers_and_admin_only_unmerges() {
        for op in [
            "createCustomer",
            "updateCustomer",
            "addCustomerMember",
            "removeCustomerMember",
            "addRepresentative",
            "updateRepresentative",
            "removeRepresentative",
            "mergeCustomers",
            "unmergeCustomers",
        ] {
            assert_eq!(
                verdict("Mutation", op, &[StandardsCommittee]),
                Verdict::Deny,
                "{op}"
            );
            assert_eq!(
                verdict("Mutation", op, &[ElectedMember]),
                Verdict::Deny,
                "{op}"
            );
        }
        for op in ["customer", "customers"] {
            assert_eq!(verdict("Query", op, &[StandardsCommittee]), Verdict::Deny);
        }
        assert_eq!(
            verdict("Customer", "representatives", &[Admin]),
            Verdict::Deny
        );
        assert_eq!(
            verdict("Mutation", "unmergeCustomers", &[Admin]),
            Verdict::Allow
        );
        assert_eq!(
            verdict("Mutation", "mergeCustomers", &[LegalServices]),
            Verdict::Allow
        );
        assert_eq!(
            verdict("Mutation", "createCustomer", &[Admin]),
            Verdict::Deny
        );
    }

    #[test]
    fn every_key_is_unique() {
        let mut keys: Vec<&str> = OPERATIONS.iter().map(|(k, _)| *k).collect();
        keys.extend(FIELDS.iter().map(|(k, _)| *k));
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
