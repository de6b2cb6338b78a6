//! SeaORM models of the UPC case record, with the enumerations and typed JSON they use.
//!
//! One module per table, named after the table (`upc_case` because `case` is reserved in SQL).
//! Relations are declared for foreign keys only; callers load related rows in id batches.

pub mod enums;
pub mod prelude;
pub mod restriction_parameters;

pub mod access_read;
pub mod appeal;
pub mod audit_event;
pub mod behaviour_report;
pub mod behaviour_report_type;
pub mod breach;
pub mod call_termination;
pub mod closure_day;
pub mod contact;
pub mod customer;
pub mod customer_member;
pub mod determination;
pub mod disposal;
pub mod establishment;
pub mod exclusion;
pub mod exclusion_establishment;
pub mod harassment_referral;
pub mod harassment_referral_call;
pub mod hs_incident;
pub mod idempotency_key;
pub mod letter;
pub mod letter_template;
pub mod new_issue_consideration;
pub mod notification;
pub mod notification_read;
pub mod police_referral;
pub mod reasonable_adjustment;
pub mod recording_request;
pub mod report_artifact;
pub mod report_job;
pub mod representative;
pub mod restriction;
pub mod review;
pub mod review_adjustment;
pub mod scheduled_run;
pub mod service;
pub mod staff_member;
pub mod staff_member_service;
pub mod staff_role;
pub mod staff_team;
pub mod stage_1_warning;
pub mod stage_1_warning_adjustment;
pub mod stage_2_decision;
pub mod stage_2_decision_adjustment;
pub mod upc_case;
