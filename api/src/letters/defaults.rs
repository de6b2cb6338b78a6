//! The built-in letter templates, in English and Welsh, from `api/templates/letters/`.
//!
//! The Welsh templates should be checked by the council's translation service.

use entities::enums::{Language, LetterKind};

use super::Template;

/// Embeds `templates/letters/{language}/{kind}.subject.txt` and `.body.txt` as a pair.
macro_rules! template_files {
    ($language:literal, $kind:literal) => {
        (
            include_str!(concat!(
                "../../templates/letters/",
                $language,
                "/",
                $kind,
                ".subject.txt"
            )),
            include_str!(concat!(
                "../../templates/letters/",
                $language,
                "/",
                $kind,
                ".body.txt"
            )),
        )
    };
}

/// The subject and body sources of a built-in template.
fn sources(kind: LetterKind, language: Language) -> (&'static str, &'static str) {
    match (language, kind) {
        (Language::En, LetterKind::Stage1Warning) => template_files!("en", "stage_1_warning"),
        (Language::En, LetterKind::AppealOutcome) => template_files!("en", "appeal_outcome"),
        (Language::En, LetterKind::Stage2Decision) => template_files!("en", "stage_2_decision"),
        (Language::En, LetterKind::RestrictionVariation) => {
            template_files!("en", "restriction_variation")
        }
        (Language::En, LetterKind::ReviewOutcome) => template_files!("en", "review_outcome"),
        (Language::En, LetterKind::DeterminationOutcome) => {
            template_files!("en", "determination_outcome")
        }
        (Language::En, LetterKind::CaseClosed) => template_files!("en", "case_closed"),
        (Language::Cy, LetterKind::Stage1Warning) => template_files!("cy", "stage_1_warning"),
        (Language::Cy, LetterKind::AppealOutcome) => template_files!("cy", "appeal_outcome"),
        (Language::Cy, LetterKind::Stage2Decision) => template_files!("cy", "stage_2_decision"),
        (Language::Cy, LetterKind::RestrictionVariation) => {
            template_files!("cy", "restriction_variation")
        }
        (Language::Cy, LetterKind::ReviewOutcome) => template_files!("cy", "review_outcome"),
        (Language::Cy, LetterKind::DeterminationOutcome) => {
            template_files!("cy", "determination_outcome")
        }
        (Language::Cy, LetterKind::CaseClosed) => template_files!("cy", "case_closed"),
    }
}

/// The built-in template for a kind of letter in a language.
///
/// Every built-in template passes [`validate`](super::validate).
pub fn default_template(kind: LetterKind, language: Language) -> Template {
    let (subject, body) = sources(kind, language);
    Template {
        subject: subject.trim().to_owned(),
        body: body.to_owned(),
    }
}
