//! The foundation: every table of the UPC case record, as of the first release.
//!
//! Enumerations are spelled out here rather than taken from the `entities` crate: a
//! migration records what the schema *was*, and must not change when the Rust enums do.

use sea_orm_migration::{prelude::*, schema::*};

use crate::new_table::{NewTable, one_of, one_of_null};

/// Creates every table, its foreign keys, checks and indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            let (create, indexes) = table.finish();
            manager.create_table(create).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLE_NAMES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*name).if_exists().take())
                .await?;
        }
        Ok(())
    }
}

/// Every table, in creation order: parents before children.
pub(crate) const TABLE_NAMES: &[&str] = &[
    "service",
    "establishment",
    "staff_team",
    "staff_member",
    "staff_member_service",
    "customer",
    "customer_member",
    "representative",
    "reasonable_adjustment",
    "upc_case",
    "contact",
    "behaviour_report",
    "behaviour_report_type",
    "hs_incident",
    "police_referral",
    "call_termination",
    "exclusion",
    "exclusion_establishment",
    "determination",
    "stage_1_warning",
    "appeal",
    "stage_2_decision",
    "restriction",
    "breach",
    "review",
    "new_issue_consideration",
    "recording_request",
    "letter_template",
    "letter",
    "audit_event",
    "report_job",
    "report_artifact",
    "closure_day",
];

/// The tables to create, in the order of [`TABLE_NAMES`].
fn tables() -> Vec<NewTable> {
    vec![
        service(),
        establishment(),
        staff_team(),
        staff_member(),
        staff_member_service(),
        customer(),
        customer_member(),
        representative(),
        reasonable_adjustment(),
        upc_case(),
        contact(),
        behaviour_report(),
        behaviour_report_type(),
        hs_incident(),
        police_referral(),
        call_termination(),
        exclusion(),
        exclusion_establishment(),
        determination(),
        stage_1_warning(),
        appeal(),
        stage_2_decision(),
        restriction(),
        breach(),
        review(),
        new_issue_consideration(),
        recording_request(),
        letter_template(),
        letter(),
        audit_event(),
        report_job(),
        report_artifact(),
        closure_day(),
    ]
}

/// The values of `CustomerKind` in the first release.
const CUSTOMER_KIND: &[&str] = &["person", "several_people", "group"];
/// The values of `Language` in the first release.
const LANGUAGE: &[&str] = &["en", "cy"];
/// The values of `CaseStage` in the first release.
const CASE_STAGE: &[&str] = &[
    "reported",
    "determined_unreasonable",
    "stage_1_warning",
    "stage_2_restricted",
    "closed",
];
/// The values of `CaseStatus` in the first release.
const CASE_STATUS: &[&str] = &["open", "closed"];
/// The values of `ContactChannel` in the first release.
const CONTACT_CHANNEL: &[&str] = &["in_person", "telephone", "letter", "email", "fax", "web"];
/// The values of `ContactDirection` in the first release.
const CONTACT_DIRECTION: &[&str] = &["inbound", "outbound"];
/// The values of `ContactOutcome` in the first release.
const CONTACT_OUTCOME: &[&str] = &[
    "replied",
    "placed_on_file",
    "referred",
    "call_terminated",
    "no_action_needed",
    "pending",
];
/// The values of `ReporterRole` in the first release.
const REPORTER_ROLE: &[&str] = &[
    "officer",
    "elected_member",
    "service_manager",
    "head_of_service",
    "service_director",
    "feedback_officer",
    "group_director",
    "legal_services",
    "monitoring_officer",
];
/// The values of `ReportChannel` in the first release.
const REPORT_CHANNEL: &[&str] = &["in_person", "telephone", "writing", "email", "fax"];
/// The values of `Behaviour` in the first release.
const BEHAVIOUR: &[&str] = &[
    "aggressive_intimidating_threatening",
    "numerous_repeat_calls",
    "insisting_on_manager",
    "excessive_demands_on_staff_time",
    "repeat_complaints",
    "refusing_to_accept_decision",
    "changing_basis_of_complaint",
    "groundless_complaints_about_staff",
    "refusing_to_accept_outside_remit",
    "refusing_to_cooperate",
    "seeking_reinvestigation_after_procedure_exhausted",
    "malicious_defamatory_or_discriminatory_remarks",
    "covert_recording",
];
/// The values of `PoliceReferralReason` in the first release.
const POLICE_REFERRAL_REASON: &[&str] = &["harassment", "assault", "threat", "other"];
/// The values of `ExclusionKind` in the first release.
const EXCLUSION_KIND: &[&str] = &["temporary", "long_term", "permanent"];
/// The values of `ExclusionAgreedByRole` in the first release.
const EXCLUSION_AGREED_BY_ROLE: &[&str] = &["head_of_service", "service_director"];
/// The values of `DeciderRole` in the first release.
const DECIDER_ROLE: &[&str] = &["service_manager", "head_of_service"];
/// The values of `WarningStatus` in the first release.
const WARNING_STATUS: &[&str] = &["active", "withdrawn"];
/// The values of `AppealOutcome` in the first release.
const APPEAL_OUTCOME: &[&str] = &["pending", "upheld", "not_upheld"];
/// The values of `ConsultedRole` in the first release.
const CONSULTED_ROLE: &[&str] = &["legal_services", "monitoring_officer"];
/// The values of `RestrictionKind` in the first release.
const RESTRICTION_KIND: &[&str] = &[
    "time_limits",
    "named_contact",
    "telephone_times",
    "establishment_exclusion",
    "contact_form",
    "contact_agreement",
    "termination",
];
/// The values of `RestrictionStatus` in the first release.
const RESTRICTION_STATUS: &[&str] = &["active", "lifted", "expired"];
/// The values of `BreachOutcome` in the first release.
const BREACH_OUTCOME: &[&str] = &["pending", "no_action", "extended", "made_permanent"];
/// The values of `ReviewRecommendation` in the first release.
const REVIEW_RECOMMENDATION: &[&str] = &["continue", "partially_remove", "fully_remove"];
/// The values of `LetterKind` in the first release.
const LETTER_KIND: &[&str] = &[
    "stage_1_warning",
    "appeal_outcome",
    "stage_2_decision",
    "restriction_variation",
    "review_outcome",
    "determination_outcome",
];
/// The values of `ReportEdition` in the first release.
const REPORT_EDITION: &[&str] = &["public", "internal"];
/// The values of `ReportJobStatus` in the first release.
const REPORT_JOB_STATUS: &[&str] = &["queued", "running", "done", "failed"];

/// A council service area. Decisions to restrict contact are service based (5.4).
fn service() -> NewTable {
    NewTable::new("service")
        .col(string_uniq("code"))
        .col(string("name"))
        .col(boolean("active").default(true))
}

/// A council establishment (building) a customer can be excluded from (3.2, 5.3).
fn establishment() -> NewTable {
    NewTable::new("establishment")
        .reference_null("service_id", "service")
        .col(string("name"))
        .col(text("address"))
        .col(boolean("active").default(true))
}

/// A team within a service, which restricted contact may name (5.3).
fn staff_team() -> NewTable {
    NewTable::new("staff_team")
        .reference("service_id", "service")
        .col(string("name"))
        .unique(&["service_id", "name"])
}

/// A member of staff known to the system.
fn staff_member() -> NewTable {
    NewTable::new("staff_member")
        .col(string_null("subject").unique_key())
        .col(string("display_name"))
        .col(string_null("email"))
        .col(string_null("job_title"))
        .reference_null("team_id", "staff_team")
        .col(boolean("active").default(true))
}

/// Which services a member of staff works in.
fn staff_member_service() -> NewTable {
    NewTable::keyed_by_pair("staff_member_service", "staff_member_id", "service_id")
        .reference_cascade("staff_member_id", "staff_member")
        .reference_cascade("service_id", "service")
}

/// A customer: a person, several people, or a group (2.3).
fn customer() -> NewTable {
    NewTable::new("customer")
        .col(string_uniq("reference"))
        .col(one_of("kind", CUSTOMER_KIND))
        .col(string("display_name"))
        .col(text_null("address"))
        .col(string_null("email"))
        .col(string_null("phone"))
        .col(one_of("preferred_language", LANGUAGE).default("en"))
        .col(text_null("disability_or_unmet_need_noted"))
}

/// One of the people making up a customer that is several people or a group.
fn customer_member() -> NewTable {
    NewTable::new("customer_member")
        .reference_cascade("customer_id", "customer")
        .col(string("name"))
        .col(string_null("relationship"))
}

/// Someone acting for a customer, recorded separately from the customer (ombudsman guidance).
fn representative() -> NewTable {
    NewTable::new("representative")
        .reference_cascade("customer_id", "customer")
        .col(string("name"))
        .col(string_null("organisation"))
        .col(string_null("relationship"))
        .col(text_null("contact_details"))
        .col(boolean("authority_confirmed").default(false))
}

/// A reasonable adjustment made for a customer (Equality Act 2010).
fn reasonable_adjustment() -> NewTable {
    NewTable::new("reasonable_adjustment")
        .reference_cascade("customer_id", "customer")
        .col(text("description"))
        .col(string("recorded_by"))
        .col(timestamp_with_time_zone("recorded_at"))
}

/// A case: one customer in one service (5.4). Named `upc_case` because `case` is reserved in SQL.
fn upc_case() -> NewTable {
    NewTable::new("upc_case")
        .col(string_uniq("reference"))
        .reference("customer_id", "customer")
        .reference("service_id", "service")
        .col(one_of("stage", CASE_STAGE))
        .col(one_of("status", CASE_STATUS))
        .col(timestamp_with_time_zone("opened_at"))
        .col(timestamp_with_time_zone_null("closed_at"))
        .col(text_null("closure_reason"))
        .col(date_null("appeal_deadline"))
        .col(date_null("review_due_on"))
        .col(boolean("flagged_for_review").default(false))
        .col(text_null("flag_reason"))
        .index(&["service_id", "stage"])
        .index(&["customer_id"])
        .index(&["review_due_on"])
        .check(
            "ck_upc_case_closed_at",
            Expr::col("status")
                .ne("closed")
                .or(Expr::col("closed_at").is_not_null()),
        )
}

/// A contact between the customer and the council (5.2: read for new issues and safeguarding concerns even when placed on file).
fn contact() -> NewTable {
    NewTable::new("contact")
        .reference("customer_id", "customer")
        .reference("service_id", "service")
        .reference_null("case_id", "upc_case")
        .col(one_of("channel", CONTACT_CHANNEL))
        .col(one_of("direction", CONTACT_DIRECTION))
        .col(timestamp_with_time_zone("occurred_at"))
        .reference_null("officer_staff_id", "staff_member")
        .reference_null("establishment_id", "establishment")
        .col(string("recorded_by"))
        .col(text("summary"))
        .col(one_of("outcome", CONTACT_OUTCOME))
        .col(boolean_null("raises_new_issue"))
        .col(timestamp_with_time_zone_null("filed_reviewed_at"))
        .col(string_null("filed_reviewed_by"))
        .col(boolean("safeguarding_concern").default(false))
        .index(&["service_id", "occurred_at"])
        .index(&["customer_id"])
}

/// A report of behaviour by an officer or elected Member (2.3, 5.1).
fn behaviour_report() -> NewTable {
    NewTable::new("behaviour_report")
        .reference("case_id", "upc_case")
        .col(string("reported_by"))
        .col(string("reporter_name"))
        .col(one_of("reporter_role", REPORTER_ROLE))
        .col(one_of("channel", REPORT_CHANNEL))
        .col(timestamp_with_time_zone("occurred_at"))
        .col(text("description"))
}

/// A type of behaviour named in a report (2.3, 4.4); a report names one or more.
fn behaviour_report_type() -> NewTable {
    NewTable::keyed_by_pair("behaviour_report_type", "report_id", "behaviour")
        .reference_cascade("report_id", "behaviour_report")
        .col(one_of("behaviour", BEHAVIOUR))
}

/// A member of staff's written report of feeling threatened (3.1), with the HS V1 form reference (3.3).
fn hs_incident() -> NewTable {
    NewTable::new("hs_incident")
        .reference("case_id", "upc_case")
        .col(string("reported_by"))
        .col(timestamp_with_time_zone("reported_at"))
        .col(text("reasons"))
        .col(boolean("imminent_risk"))
        .col(string_null("hs_v1_reference"))
}

/// A report of a matter to the police (3.3, 3.5).
fn police_referral() -> NewTable {
    NewTable::new("police_referral")
        .reference("case_id", "upc_case")
        .reference_null("hs_incident_id", "hs_incident")
        .col(date("referred_on"))
        .col(string_null("police_reference"))
        .col(one_of("reason", POLICE_REFERRAL_REASON))
        .col(string("referred_by"))
}

/// The case-file note of a terminated call (3.4).
fn call_termination() -> NewTable {
    NewTable::new("call_termination")
        .reference("case_id", "upc_case")
        .reference_null("contact_id", "contact")
        .col(text("warning_given"))
        .col(text("reason"))
        .col(string("terminated_by"))
        .col(timestamp_with_time_zone("terminated_at"))
}

/// An exclusion of the customer from council premises (3.2, 5.6).
fn exclusion() -> NewTable {
    NewTable::new("exclusion")
        .reference("case_id", "upc_case")
        .col(one_of("kind", EXCLUSION_KIND))
        .col(boolean("health_and_safety"))
        .col(date("starts_on"))
        .col(date_null("ends_on"))
        .col(text("reasons"))
        .col(string("authorised_by"))
        .col(string_null("agreed_by"))
        .col(one_of_null("agreed_by_role", EXCLUSION_AGREED_BY_ROLE))
        .reference_null("hs_incident_id", "hs_incident")
        .col(date_null("lifted_on"))
        .col(text_null("lifted_reason"))
        .check(
            "ck_exclusion_agreed",
            Expr::col("kind")
                .eq("temporary")
                .or(Expr::col("agreed_by").is_not_null()),
        )
        .check(
            "ck_exclusion_temporary_ends",
            Expr::col("kind")
                .ne("temporary")
                .or(Expr::col("ends_on").is_not_null()),
        )
        .check(
            "ck_exclusion_agreed_by_role",
            Expr::col("agreed_by")
                .is_null()
                .or(Expr::col("agreed_by_role").is_not_null()),
        )
        .check(
            "ck_exclusion_dates",
            Expr::col("ends_on")
                .is_null()
                .or(Expr::col("ends_on").gte(Expr::col("starts_on"))),
        )
}

/// An establishment an exclusion applies to (3.2: one or more council buildings).
fn exclusion_establishment() -> NewTable {
    NewTable::keyed_by_pair(
        "exclusion_establishment",
        "exclusion_id",
        "establishment_id",
    )
    .reference_cascade("exclusion_id", "exclusion")
    .reference("establishment_id", "establishment")
}

/// The decision whether reported behaviour was unreasonable (5.1, Stage 1).
fn determination() -> NewTable {
    NewTable::new("determination")
        .reference("case_id", "upc_case")
        .reference_null("report_id", "behaviour_report")
        .col(string("decided_by"))
        .col(one_of("decider_role", DECIDER_ROLE))
        .col(boolean("unreasonable"))
        .col(text("reasons"))
        .col(timestamp_with_time_zone("decided_at"))
}

/// A Stage 1 warning letter issued by the Head of Service (5.1).
fn stage_1_warning() -> NewTable {
    NewTable::new("stage_1_warning")
        .reference("case_id", "upc_case")
        .reference_null("determination_id", "determination")
        .col(string("issued_by"))
        .col(date("letter_date"))
        .col(text("service_director_consulted"))
        .col(date("consulted_on"))
        .col(text("adjustments_considered"))
        .col(text("proportionality"))
        .col(boolean("feedback_officer_copied"))
        .col(timestamp_with_time_zone_null("legal_services_notified_at"))
        .col(date("appeal_deadline"))
        .col(one_of("status", WARNING_STATUS))
}

/// A customer's appeal against a Stage 1 warning (6.1, 6.2).
fn appeal() -> NewTable {
    NewTable::new("appeal")
        .reference("case_id", "upc_case")
        .reference("warning_id", "stage_1_warning")
        .col(date("received_on"))
        .col(text("grounds"))
        .col(string("logged_by"))
        .col(boolean("accepted_late").default(false))
        .col(text_null("late_reason"))
        .col(timestamp_with_time_zone_null("group_director_notified_at"))
        .col(one_of("outcome", APPEAL_OUTCOME).default("pending"))
        .col(string_null("decided_by"))
        .col(timestamp_with_time_zone_null("decided_at"))
        .col(text_null("decision_reasons"))
        .col(timestamp_with_time_zone_null("customer_told_at"))
        .check(
            "ck_appeal_late_reason",
            Expr::col("accepted_late")
                .eq(false)
                .or(Expr::col("late_reason").is_not_null()),
        )
        .check(
            "ck_appeal_decided",
            Expr::col("outcome")
                .eq("pending")
                .or(Expr::col("decided_by")
                    .is_not_null()
                    .and(Expr::col("decided_at").is_not_null())),
        )
}

/// The Group Director's Stage 2 decision on restricted contact (5.1, 5.3, 6.3).
fn stage_2_decision() -> NewTable {
    NewTable::new("stage_2_decision")
        .reference("case_id", "upc_case")
        .reference_null("warning_id", "stage_1_warning")
        .col(boolean("immediate"))
        .col(text_null("exceptional_reasons"))
        .col(string("decided_by"))
        .col(date("decided_on"))
        .col(one_of("consulted_role", CONSULTED_ROLE))
        .col(string("consulted_name"))
        .col(text("adjustments_considered"))
        .col(text("proportionality"))
        .col(text("reasons"))
        .col(date("review_due_on"))
        .col(timestamp_with_time_zone_null("service_team_notified_at"))
        .check(
            "ck_stage_2_decision_exceptional_reasons",
            Expr::col("immediate")
                .eq(false)
                .or(Expr::col("exceptional_reasons").is_not_null()),
        )
        .check(
            "ck_stage_2_decision_warning",
            Expr::col("immediate")
                .eq(true)
                .or(Expr::col("warning_id").is_not_null()),
        )
        .check(
            "ck_stage_2_decision_review_due",
            Expr::col("review_due_on").gte(Expr::col("decided_on")),
        )
}

/// One restriction on contact, for one service (5.3, 5.4).
fn restriction() -> NewTable {
    NewTable::new("restriction")
        .reference("case_id", "upc_case")
        .reference("service_id", "service")
        .reference_null("decision_id", "stage_2_decision")
        .col(one_of("kind", RESTRICTION_KIND))
        .col(json_binary("parameters"))
        .col(date("starts_on"))
        .col(date_null("ends_on"))
        .col(date("review_due_on"))
        .col(one_of("status", RESTRICTION_STATUS).default("active"))
        .col(boolean("permanent").default(false))
        .col(date_null("lifted_on"))
        .col(text_null("lifted_reason"))
        .index(&["service_id", "status"])
        .index(&["case_id"])
        .check(
            "ck_restriction_lifted",
            Expr::col("status")
                .ne("lifted")
                .or(Expr::col("lifted_on").is_not_null()),
        )
        .check(
            "ck_restriction_dates",
            Expr::col("ends_on")
                .is_null()
                .or(Expr::col("ends_on").gte(Expr::col("starts_on"))),
        )
}

/// A breach of a restriction or an ignored exclusion (5.6).
fn breach() -> NewTable {
    NewTable::new("breach")
        .reference("case_id", "upc_case")
        .reference_null("restriction_id", "restriction")
        .reference_null("exclusion_id", "exclusion")
        .reference_null("contact_id", "contact")
        .col(timestamp_with_time_zone("occurred_at"))
        .col(text("description"))
        .col(string("recorded_by"))
        .col(boolean("flagged_for_review").default(false))
        .col(one_of("outcome", BREACH_OUTCOME).default("pending"))
        .check(
            "ck_breach_target",
            Expr::col("restriction_id")
                .is_not_null()
                .or(Expr::col("exclusion_id").is_not_null()),
        )
}

/// A review of a case no later than 12 months after the decision to restrict (7.1 to 7.4).
fn review() -> NewTable {
    NewTable::new("review")
        .reference("case_id", "upc_case")
        .col(date("due_on"))
        .col(string_null("conducted_by"))
        .col(one_of_null("recommendation", REVIEW_RECOMMENDATION))
        .col(text_null("recommendation_reasons"))
        .col(date_null("recommended_on"))
        .col(boolean_null("endorsed"))
        .col(string_null("endorsed_by"))
        .col(date_null("endorsed_on"))
        .col(text_null("endorsement_reasons"))
        .col(timestamp_with_time_zone_null("customer_told_at"))
        .index(&["due_on"])
}

/// The Group Director's consideration of a new issue raised by a restricted customer (9.1).
fn new_issue_consideration() -> NewTable {
    NewTable::new("new_issue_consideration")
        .reference("case_id", "upc_case")
        .reference_null("contact_id", "contact")
        .col(text("description"))
        .col(string("considered_by"))
        .col(boolean("restrictions_remain_appropriate"))
        .col(text("reasons"))
        .col(date("considered_on"))
}

/// A customer's request to record a conversation or meeting (section 4).
fn recording_request() -> NewTable {
    NewTable::new("recording_request")
        .reference_null("case_id", "upc_case")
        .reference("customer_id", "customer")
        .col(timestamp_with_time_zone("requested_at"))
        .col(text("context"))
        .col(text("staff_member"))
        .col(boolean("agreed"))
        .col(text_null("refusal_reason"))
}

/// A versioned letter template, in English or Welsh.
fn letter_template() -> NewTable {
    NewTable::new("letter_template")
        .col(one_of("kind", LETTER_KIND))
        .col(one_of("language", LANGUAGE))
        .col(integer("template_version"))
        .col(string("subject"))
        .col(text("body"))
        .col(string("created_by"))
        .col(boolean("active").default(true))
        .unique(&["kind", "language", "template_version"])
}

/// A letter issued to a customer, as rendered.
fn letter() -> NewTable {
    NewTable::new("letter")
        .reference("case_id", "upc_case")
        .col(one_of("kind", LETTER_KIND))
        .col(one_of("language", LANGUAGE))
        .reference_null("template_id", "letter_template")
        .col(string("subject"))
        .col(text("body_text"))
        .col(text("body_html"))
        .col(timestamp_with_time_zone("issued_at"))
        .col(string("issued_by"))
        .col(timestamp_with_time_zone_null("sent_at"))
        .col(string_null("sent_by"))
}

/// One entry in the append-only, hash-chained audit log.
fn audit_event() -> NewTable {
    NewTable::append_only("audit_event")
        .col(timestamp_with_time_zone("occurred_at"))
        .col(string("actor_sub"))
        .col(string_null("actor_name"))
        .col(text("actor_roles"))
        .col(string("action"))
        .col(string("entity_type"))
        .col(string_null("entity_id"))
        .col(big_integer_null("case_id"))
        .col(json_null("before"))
        .col(json_null("after"))
        .col(text_null("reason"))
        .col(string_null("request_id"))
        .col(string_null("prev_hash"))
        .col(string("hash"))
        .index(&["case_id"])
        .index(&["actor_sub"])
        .index(&["occurred_at"])
}

/// A request for the annual report (section 8), run by the worker.
fn report_job() -> NewTable {
    NewTable::new("report_job")
        .col(string("requested_by"))
        .col(integer("reporting_year"))
        .col(json_binary_null("services"))
        .col(one_of("edition", REPORT_EDITION))
        .col(one_of("status", REPORT_JOB_STATUS).default("queued"))
        .col(integer("progress").default(0))
        .col(integer("attempts").default(0))
        .col(integer("max_attempts").default(3))
        .col(timestamp_with_time_zone("run_after"))
        .col(string_null("lease_owner"))
        .col(timestamp_with_time_zone_null("lease_expires_at"))
        .col(text_null("error"))
        .col(timestamp_with_time_zone_null("started_at"))
        .col(timestamp_with_time_zone_null("finished_at"))
        .index(&["status", "run_after"])
        .check(
            "ck_report_job_progress",
            Expr::col("progress").between(0, 100),
        )
}

/// A file produced by a report job.
fn report_artifact() -> NewTable {
    NewTable::new("report_artifact")
        .reference_cascade("job_id", "report_job")
        .col(string("name"))
        .col(string("content_type"))
        .col(blob("content"))
        .col(string("sha256"))
        .col(big_integer("size_bytes"))
        .unique(&["job_id", "name"])
}

/// A day the council is closed besides weekends and bank holidays, for working-day counts.
fn closure_day() -> NewTable {
    NewTable::new("closure_day")
        .col(date_uniq("day"))
        .col(string("description"))
        .col(string("created_by"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_created_in_the_listed_order() {
        let built: Vec<&str> = tables().iter().map(NewTable::name).collect();
        assert_eq!(built, TABLE_NAMES);
    }

    #[test]
    #[ignore = "prints the DDL for eyeballing"]
    fn print_ddl() {
        for table in tables() {
            let (create, indexes) = table.finish();
            println!("{};", create.to_string(SqliteQueryBuilder));
            println!("{};", create.to_string(PostgresQueryBuilder));
            for index in indexes {
                println!("{};", index.to_string(PostgresQueryBuilder));
            }
        }
    }
}
