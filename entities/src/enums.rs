//! The enumerations of the case record, each stored as snake_case text.
//!
//! Every enum derives `DeriveActiveEnum` (stored as a string, checked by a `CHECK (col IN ...)`
//! constraint in the migration), serde (the same snake_case spelling in JSON), and offers
//! [`ALL`](CaseStage::ALL) and `as_str()` so other code can list and print the values.

use std::fmt;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a text-backed enumeration with the derives and helpers every enum here shares.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident => $value:tt,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            EnumIter, DeriveActiveEnum, Serialize, Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value as stored in the database and written in JSON.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($value => Ok(Self::$variant),)+
                    _ => Err(UnknownValue {
                        enumeration: stringify!($name),
                        value: value.to_owned(),
                    }),
                }
            }
        }
    };
}

/// A string that is not one of an enumeration's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {enumeration}")]
pub struct UnknownValue {
    /// The enumeration's Rust name, e.g. `CaseStage`.
    pub enumeration: &'static str,
    /// The rejected string.
    pub value: String,
}

text_enum! {
    /// Who the customer is: policy 2.3 says unreasonable behaviour may come from an individual, a number of individuals, or a group.
    CustomerKind {
        /// One individual.
        Person => "person",
        /// A number of individuals acting together.
        SeveralPeople => "several_people",
        /// A group or organisation.
        Group => "group",
    }
}

text_enum! {
    /// Language of correspondence (Welsh Language Standards): English or Welsh.
    Language {
        /// English.
        En => "en",
        /// Welsh (Cymraeg).
        Cy => "cy",
    }
}

text_enum! {
    /// Where a case stands in the two-stage process of policy section 5.
    CaseStage {
        /// Behaviour has been reported and awaits a determination (5.1).
        Reported => "reported",
        /// The Service manager or Head of Service determined the behaviour unreasonable.
        DeterminedUnreasonable => "determined_unreasonable",
        /// A Stage 1 warning letter has been issued.
        Stage1Warning => "stage_1_warning",
        /// The Group Director has determined restricted contact arrangements (Stage 2).
        Stage2Restricted => "stage_2_restricted",
        /// The case is closed.
        Closed => "closed",
    }
}

text_enum! {
    /// Whether a case is open or closed.
    CaseStatus {
        /// Open.
        Open => "open",
        /// Closed.
        Closed => "closed",
    }
}

text_enum! {
    /// How a contact with the customer happened, or a channel a customer may be limited to (5.3).
    ContactChannel {
        /// In person, e.g. at a council office.
        InPerson => "in_person",
        /// By telephone.
        Telephone => "telephone",
        /// By letter.
        Letter => "letter",
        /// By email.
        Email => "email",
        /// By fax.
        Fax => "fax",
        /// Through the council website or an online form.
        Web => "web",
    }
}

text_enum! {
    /// Whether a contact came from the customer or went to them.
    ContactDirection {
        /// From the customer to the council.
        Inbound => "inbound",
        /// From the council to the customer.
        Outbound => "outbound",
    }
}

text_enum! {
    /// What happened to a contact (5.2: repeat correspondence with no new issue is placed on file).
    ContactOutcome {
        /// The council replied.
        Replied => "replied",
        /// Read for new issues, none found, placed on file (5.2).
        PlacedOnFile => "placed_on_file",
        /// Referred to another officer or service.
        Referred => "referred",
        /// The call was terminated after a warning (3.4).
        CallTerminated => "call_terminated",
        /// No action was needed.
        NoActionNeeded => "no_action_needed",
        /// Not yet dealt with.
        Pending => "pending",
    }
}

text_enum! {
    /// The role of the person who reported behaviour (officers and elected Members may report, 1.2).
    ReporterRole {
        /// A member of staff in a service.
        Officer => "officer",
        /// An elected Member (councillor).
        ElectedMember => "elected_member",
        /// A Service manager.
        ServiceManager => "service_manager",
        /// A Head of Service.
        HeadOfService => "head_of_service",
        /// A Service Director.
        ServiceDirector => "service_director",
        /// A Service Feedback Officer.
        FeedbackOfficer => "feedback_officer",
        /// A Group Director.
        GroupDirector => "group_director",
        /// Legal Services.
        LegalServices => "legal_services",
        /// The Monitoring Officer.
        MonitoringOfficer => "monitoring_officer",
    }
}

text_enum! {
    /// How reported behaviour was made (policy 2.3: in person, by telephone, in writing, by email, or fax).
    ReportChannel {
        /// In person.
        InPerson => "in_person",
        /// By telephone.
        Telephone => "telephone",
        /// In writing.
        Writing => "writing",
        /// By email.
        Email => "email",
        /// By fax.
        Fax => "fax",
    }
}

text_enum! {
    /// A type of unreasonably persistent behaviour: the examples of policy 2.3 plus covert recording (4.4).
    Behaviour {
        /// Aggressive, intimidating, threatening behaviour on the telephone or at council premises.
        AggressiveIntimidatingThreatening => "aggressive_intimidating_threatening",
        /// Numerous repeat calls which disrupt service delivery and upset staff.
        NumerousRepeatCalls => "numerous_repeat_calls",
        /// Insistence that issues be dealt with by a supervisor or manager.
        InsistingOnManager => "insisting_on_manager",
        /// Excessive demands on staff time while a complaint is investigated.
        ExcessiveDemandsOnStaffTime => "excessive_demands_on_staff_time",
        /// Submitting repeat issues of concern or complaints.
        RepeatComplaints => "repeat_complaints",
        /// Refusing to accept a decision once a complaint has been investigated.
        RefusingToAcceptDecision => "refusing_to_accept_decision",
        /// Changing the basis of a complaint, or introducing trivial or irrelevant information.
        ChangingBasisOfComplaint => "changing_basis_of_complaint",
        /// Making groundless complaints about staff.
        GroundlessComplaintsAboutStaff => "groundless_complaints_about_staff",
        /// Refusing to accept that a complaint is outside the council's remit.
        RefusingToAcceptOutsideRemit => "refusing_to_accept_outside_remit",
        /// Refusing to co-operate with staff dealing with their issues.
        RefusingToCooperate => "refusing_to_cooperate",
        /// Seeking re-investigation by someone else once the Complaints Procedure is exhausted.
        SeekingReinvestigationAfterProcedureExhausted => "seeking_reinvestigation_after_procedure_exhausted",
        /// Malicious, unwarranted or defamatory comments, or remarks about a protected characteristic (Equality Act 2010).
        MaliciousDefamatoryOrDiscriminatoryRemarks => "malicious_defamatory_or_discriminatory_remarks",
        /// Covert recording of meetings or telephone calls (4.4).
        CovertRecording => "covert_recording",
    }
}

text_enum! {
    /// Why a matter was reported to the police (3.3, 3.5).
    PoliceReferralReason {
        /// Repeated abusive calls deemed harassment (3.5).
        Harassment => "harassment",
        /// A physical or verbal assault (3.5).
        Assault => "assault",
        /// A threat to staff, Members or customers (3.3).
        Threat => "threat",
        /// Another reason, given in the notes.
        Other => "other",
    }
}

text_enum! {
    /// How long an exclusion from premises lasts (3.2, 5.6).
    ExclusionKind {
        /// Immediate temporary exclusion by the Service manager on imminent risk of harm (3.2).
        Temporary => "temporary",
        /// Long-term exclusion, agreed by the Head of Service or Service Director (3.2).
        LongTerm => "long_term",
        /// Permanent exclusion (5.6, extreme cases).
        Permanent => "permanent",
    }
}

text_enum! {
    /// Who agreed a long-term or permanent exclusion (3.2).
    ExclusionAgreedByRole {
        /// Head of Service.
        HeadOfService => "head_of_service",
        /// Service Director.
        ServiceDirector => "service_director",
    }
}

text_enum! {
    /// Who determined whether behaviour was unreasonable (5.1, Stage 1).
    DeciderRole {
        /// Service manager.
        ServiceManager => "service_manager",
        /// Head of Service.
        HeadOfService => "head_of_service",
    }
}

text_enum! {
    /// Whether a Stage 1 warning still stands.
    WarningStatus {
        /// The warning stands.
        Active => "active",
        /// The warning was withdrawn, e.g. after an upheld appeal (6.2).
        Withdrawn => "withdrawn",
    }
}

text_enum! {
    /// Whether a reasonable adjustment is still in place (Equality Act 2010).
    AdjustmentStatus {
        /// In place.
        Active => "active",
        /// Ended: no longer in place.
        Ended => "ended",
    }
}

text_enum! {
    /// The Group Director's decision on a Stage 1 appeal (6.2).
    AppealOutcome {
        /// Not yet decided.
        Pending => "pending",
        /// Upheld: the warning is withdrawn.
        Upheld => "upheld",
        /// Not upheld: the warning stands.
        NotUpheld => "not_upheld",
    }
}

text_enum! {
    /// Whom the Group Director consulted on a Stage 2 decision (5.3, 6.3).
    ConsultedRole {
        /// Service Director - Legal Services or Director of Legal Services.
        LegalServices => "legal_services",
        /// The Monitoring Officer.
        MonitoringOfficer => "monitoring_officer",
    }
}

text_enum! {
    /// The seven kinds of restriction a Group Director may impose (policy 5.3).
    RestrictionKind {
        /// Contact within manageable and reasonable time limits.
        TimeLimits => "time_limits",
        /// Contact only with a specified officer or team, or at a particular time or place.
        NamedContact => "named_contact",
        /// Telephone contact only on specific days and times.
        TelephoneTimes => "telephone_times",
        /// Exclusion from one or more council establishments.
        EstablishmentExclusion => "establishment_exclusion",
        /// Contact in a particular form only, e.g. by letter only.
        ContactForm => "contact_form",
        /// The customer must enter into an agreement about further contact.
        ContactAgreement => "contact_agreement",
        /// Complete termination of contact, or permanent exclusion from council premises.
        Termination => "termination",
    }
}

text_enum! {
    /// Whether a restriction is in force.
    RestrictionStatus {
        /// In force.
        Active => "active",
        /// Lifted early, e.g. after a review (7.3).
        Lifted => "lifted",
        /// Reached its end date.
        Expired => "expired",
    }
}

text_enum! {
    /// What was done about a breach of a restriction or exclusion (5.6).
    BreachOutcome {
        /// Not yet considered.
        Pending => "pending",
        /// No action taken.
        NoAction => "no_action",
        /// The restriction or exclusion was extended.
        Extended => "extended",
        /// The restriction or exclusion was made permanent.
        MadePermanent => "made_permanent",
    }
}

text_enum! {
    /// Legal Services' recommendation after a review (7.3).
    ReviewRecommendation {
        /// Restrictions should continue.
        Continue => "continue",
        /// Restrictions should be partially removed.
        PartiallyRemove => "partially_remove",
        /// Restrictions should be fully removed.
        FullyRemove => "fully_remove",
    }
}

text_enum! {
    /// The kinds of letter the system writes to a customer.
    LetterKind {
        /// Stage 1 warning letter (5.1).
        Stage1Warning => "stage_1_warning",
        /// Outcome of a Stage 1 appeal (6.2).
        AppealOutcome => "appeal_outcome",
        /// Stage 2 restricted contact decision (5.1, 6.4).
        Stage2Decision => "stage_2_decision",
        /// A change to restrictions (5.6, 9.1).
        RestrictionVariation => "restriction_variation",
        /// Outcome of a review (7.4).
        ReviewOutcome => "review_outcome",
        /// Outcome of a determination on reported behaviour.
        DeterminationOutcome => "determination_outcome",
        /// The case is closed: the warning period ended, or every restriction ended.
        CaseClosed => "case_closed",
    }
}

text_enum! {
    /// Which edition of the annual report (section 8) to produce.
    ReportEdition {
        /// Public edition: small counts suppressed.
        Public => "public",
        /// Internal edition for the Standards Committee.
        Internal => "internal",
    }
}

text_enum! {
    /// Progress of a report job in the worker queue.
    ReportJobStatus {
        /// Waiting to run.
        Queued => "queued",
        /// Leased by a worker and running.
        Running => "running",
        /// Finished; artifacts are ready.
        Done => "done",
        /// Gave up after the last attempt.
        Failed => "failed",
    }
}
text_enum! {
    /// What the retention schedule anonymised (issue 7, item 4).
    DisposalEntity {
        /// A case and its records.
        Case => "upc_case",
        /// A customer's identity and contact details.
        Customer => "customer",
    }
}

text_enum! {
    /// The rule of the retention schedule under which something was anonymised.
    DisposalRule {
        /// The case's last restriction or exclusion ended long enough ago.
        RestrictionsEnded => "restrictions_ended",
        /// The case closed without any restriction or exclusion long enough ago.
        ClosedWithoutRestriction => "closed_without_restriction",
        /// Every case of the customer has been anonymised.
        AllCasesDisposed => "all_cases_disposed",
    }
}

text_enum! {
    /// A recurring job the worker's scheduler runs (issue 20).
    ScheduledJob {
        /// The retention schedule: anonymise what is due (`worker/src/retention`).
        Retention => "retention",
        /// Close the Stage 1 cases whose warning period has lapsed.
        CaseEndings => "case_endings",
        /// Tell service teams of restriction reviews falling due (7.1).
        ReviewReminders => "review_reminders",
    }
}

text_enum! {
    /// How a scheduled run stands.
    ScheduledRunStatus {
        /// Claimed by a worker, under its lease.
        Running => "running",
        /// Finished without error.
        Succeeded => "succeeded",
        /// Finished with an error (recorded on the run).
        Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Checks one enum: `ALL` matches `EnumIter`, and the database, JSON, `Display` and
    /// `FromStr` spellings all agree and are snake_case.
    fn spellings_agree<E>(all: &[E])
    where
        E: ActiveEnum<Value = String>
            + Iterable
            + Copy
            + Eq
            + std::hash::Hash
            + fmt::Debug
            + fmt::Display
            + std::str::FromStr
            + Serialize
            + for<'de> Deserialize<'de>,
        <E as std::str::FromStr>::Err: fmt::Debug,
    {
        assert_eq!(E::iter().collect::<Vec<_>>(), all);
        let mut seen = HashSet::new();
        for value in all {
            let stored = value.to_value();
            assert!(seen.insert(stored.clone()), "{stored} repeated");
            assert!(
                stored
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{stored} is not snake_case"
            );
            assert_eq!(value.to_string(), stored);
            assert_eq!(stored.parse::<E>().expect("parses"), *value);
            assert_eq!(
                serde_json::to_value(value).expect("serialises"),
                serde_json::Value::String(stored.clone())
            );
            assert_eq!(E::try_from_value(&stored).expect("from db"), *value);
        }
    }

    #[test]
    fn every_enum_spells_its_values_one_way() {
        spellings_agree(CustomerKind::ALL);
        spellings_agree(Language::ALL);
        spellings_agree(CaseStage::ALL);
        spellings_agree(CaseStatus::ALL);
        spellings_agree(ContactChannel::ALL);
        spellings_agree(ContactDirection::ALL);
        spellings_agree(ContactOutcome::ALL);
        spellings_agree(ReporterRole::ALL);
        spellings_agree(ReportChannel::ALL);
        spellings_agree(Behaviour::ALL);
        spellings_agree(PoliceReferralReason::ALL);
        spellings_agree(ExclusionKind::ALL);
        spellings_agree(ExclusionAgreedByRole::ALL);
        spellings_agree(DeciderRole::ALL);
        spellings_agree(WarningStatus::ALL);
        spellings_agree(AdjustmentStatus::ALL);
        spellings_agree(AppealOutcome::ALL);
        spellings_agree(ConsultedRole::ALL);
        spellings_agree(RestrictionKind::ALL);
        spellings_agree(RestrictionStatus::ALL);
        spellings_agree(BreachOutcome::ALL);
        spellings_agree(ReviewRecommendation::ALL);
        spellings_agree(LetterKind::ALL);
        spellings_agree(ReportEdition::ALL);
        spellings_agree(ReportJobStatus::ALL);
        spellings_agree(DisposalEntity::ALL);
        spellings_agree(DisposalRule::ALL);
        spellings_agree(ScheduledJob::ALL);
        spellings_agree(ScheduledRunStatus::ALL);
    }

    #[test]
    fn behaviour_lists_the_thirteen_types_of_2_3_and_4_4() {
        assert_eq!(Behaviour::ALL.len(), 13);
        assert_eq!(
            RestrictionKind::ALL.len(),
            7,
            "the seven restrictions of 5.3"
        );
    }

    #[test]
    fn unknown_values_are_refused() {
        assert_eq!(
            "stage_3".parse::<CaseStage>(),
            Err(UnknownValue {
                enumeration: "CaseStage",
                value: "stage_3".into(),
            })
        );
        assert!(serde_json::from_str::<CaseStage>("\"Stage1Warning\"").is_err());
    }
}
