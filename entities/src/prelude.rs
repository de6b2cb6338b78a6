//! Every entity under its table name in CamelCase, plus the enums and restriction parameters.

pub use crate::enums::*;
pub use crate::restriction_parameters::{
    ClockTime, ContactAgreement, ContactForm, EstablishmentExclusion, InvalidClockTime,
    InvalidRestrictionParameters, NamedContact, RestrictionParameters, TelephoneTimes, Termination,
    TimeLimits, Weekday,
};

pub use crate::access_read::Entity as AccessRead;
pub use crate::appeal::Entity as Appeal;
pub use crate::audit_event::Entity as AuditEvent;
pub use crate::behaviour_report::Entity as BehaviourReport;
pub use crate::behaviour_report_type::Entity as BehaviourReportType;
pub use crate::breach::Entity as Breach;
pub use crate::call_termination::Entity as CallTermination;
pub use crate::closure_day::Entity as ClosureDay;
pub use crate::contact::Entity as Contact;
pub use crate::customer::Entity as Customer;
pub use crate::customer_member::Entity as CustomerMember;
pub use crate::determination::Entity as Determination;
pub use crate::disposal::Entity as Disposal;
pub use crate::establishment::Entity as Establishment;
pub use crate::exclusion::Entity as Exclusion;
pub use crate::exclusion_establishment::Entity as ExclusionEstablishment;
pub use crate::harassment_referral::Entity as HarassmentReferral;
pub use crate::harassment_referral_call::Entity as HarassmentReferralCall;
pub use crate::hs_incident::Entity as HsIncident;
pub use crate::idempotency_key::Entity as IdempotencyKey;
pub use crate::letter::Entity as Letter;
pub use crate::letter_template::Entity as LetterTemplate;
pub use crate::new_issue_consideration::Entity as NewIssueConsideration;
pub use crate::notification::Entity as Notification;
pub use crate::notification_read::Entity as NotificationRead;
pub use crate::police_referral::Entity as PoliceReferral;
pub use crate::reasonable_adjustment::Entity as ReasonableAdjustment;
pub use crate::recording_request::Entity as RecordingRequest;
pub use crate::report_artifact::Entity as ReportArtifact;
pub use crate::report_job::Entity as ReportJob;
pub use crate::representative::Entity as Representative;
pub use crate::restriction::Entity as Restriction;
pub use crate::review::Entity as Review;
pub use crate::review_adjustment::Entity as ReviewAdjustment;
pub use crate::scheduled_run::Entity as ScheduledRun;
pub use crate::service::Entity as Service;
pub use crate::staff_member::Entity as StaffMember;
pub use crate::staff_member_service::Entity as StaffMemberService;
pub use crate::staff_role::Entity as StaffRole;
pub use crate::staff_team::Entity as StaffTeam;
pub use crate::stage_1_warning::Entity as Stage1Warning;
pub use crate::stage_1_warning_adjustment::Entity as Stage1WarningAdjustment;
pub use crate::stage_2_decision::Entity as Stage2Decision;
pub use crate::stage_2_decision_adjustment::Entity as Stage2DecisionAdjustment;
pub use crate::upc_case::Entity as UpcCase;
