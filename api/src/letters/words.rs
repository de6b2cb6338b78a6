//! Plain words in English and Welsh: dates, restriction descriptions, the Ombudsman paragraph.
//!
//! The Welsh here is the project's best effort and should be checked by the council's
//! translation service (see the [module docs](super)).

use chrono::{Datelike, NaiveDate};
use entities::enums::{ConsultedRole, ContactChannel, Language};
use entities::restriction_parameters::{
    ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact, RestrictionParameters,
    TelephoneTimes, Termination, TimeLimits, Weekday,
};

use super::{Names, RestrictionLine};

/// Month names, January first.
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Welsh month names, Ionawr (January) first.
const MONTHS_CY: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];

/// A date as a letter writes it: `11 December 2026` / `11 Rhagfyr 2026`.
pub fn format_date(date: NaiveDate, language: Language) -> String {
    let months = match language {
        Language::En => &MONTHS_EN,
        Language::Cy => &MONTHS_CY,
    };
    let month = months
        .get(date.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{} {} {}", date.day(), month, date.year())
}

/// Whom the Group Director consulted on Stage 2 (5.3), as a letter names them.
pub fn consulted(role: ConsultedRole, language: Language) -> &'static str {
    match (role, language) {
        (ConsultedRole::LegalServices, Language::En) => "Legal Services",
        (ConsultedRole::LegalServices, Language::Cy) => "Gwasanaethau Cyfreithiol",
        (ConsultedRole::MonitoringOfficer, Language::En) => "the Monitoring Officer",
        (ConsultedRole::MonitoringOfficer, Language::Cy) => "y Swyddog Monitro",
    }
}

/// The paragraph telling the customer of their right to complain to the Public Services
/// Ombudsman for Wales, with the Ombudsman's contact details (one per line).
pub fn ombudsman_paragraph(language: Language) -> &'static str {
    match language {
        Language::En => {
            "If you are unhappy with the way the council has dealt with this matter, you have the \
             right to complain to the Public Services Ombudsman for Wales, who is independent of \
             the council. You can contact the Ombudsman:\n\
             website: www.ombudsman.wales\n\
             telephone: 0300 790 0203\n\
             post: Public Services Ombudsman for Wales, 1 Ffordd yr Hen Gae, Pencoed, CF35 5LJ"
        }
        Language::Cy => {
            "Os ydych yn anfodlon â'r ffordd y mae'r Cyngor wedi ymdrin â'r mater hwn, mae gennych \
             hawl i gwyno i Ombwdsmon Gwasanaethau Cyhoeddus Cymru, sy'n annibynnol ar y Cyngor. \
             Gallwch gysylltu â'r Ombwdsmon:\n\
             gwefan: www.ombwdsmon.cymru neu www.ombudsman.wales\n\
             ffôn: 0300 790 0203\n\
             post: Ombwdsmon Gwasanaethau Cyhoeddus Cymru, 1 Ffordd yr Hen Gae, Pencoed, CF35 5LJ"
        }
    }
}

/// "On behalf of" the customer, under a representative's name in the address block.
pub fn on_behalf_of(customer: &str, language: Language) -> String {
    match language {
        Language::En => format!("on behalf of {customer}"),
        Language::Cy => format!("ar ran {customer}"),
    }
}

/// "Our reference" label for the address block of the HTML letter.
pub fn our_reference(language: Language) -> &'static str {
    match language {
        Language::En => "Our reference",
        Language::Cy => "Ein cyfeirnod",
    }
}

/// How long a restriction lasts, in a word or two: the end date, or "permanent", or "until
/// reviewed".
pub fn until(line: &RestrictionLine, language: Language) -> String {
    if line.permanent {
        return match language {
            Language::En => "permanent",
            Language::Cy => "parhaol",
        }
        .to_owned();
    }
    match line.ends_on {
        Some(date) => format_date(date, language),
        None => match language {
            Language::En => "until reviewed",
            Language::Cy => "tan yr adolygiad",
        }
        .to_owned(),
    }
}

/// A sentence saying when a restriction starts and how long it lasts.
pub fn period(line: &RestrictionLine, language: Language) -> String {
    let starts = format_date(line.starts_on, language);
    match (language, line.permanent, line.ends_on) {
        (Language::En, true, _) => {
            format!("In force from {starts}. This restriction is permanent.")
        }
        (Language::En, false, Some(ends)) => format!(
            "In force from {starts} until {}.",
            format_date(ends, language)
        ),
        (Language::En, false, None) => format!("In force from {starts} until it is reviewed."),
        (Language::Cy, true, _) => {
            format!("Mewn grym o {starts}. Mae'r cyfyngiad hwn yn barhaol.")
        }
        (Language::Cy, false, Some(ends)) => {
            format!("Mewn grym o {starts} tan {}.", format_date(ends, language))
        }
        (Language::Cy, false, None) => {
            format!("Mewn grym o {starts} nes iddo gael ei adolygu.")
        }
    }
}

/// Describes a restriction in plain words, in the customer's language.
///
/// Establishments, officers and teams are named from `names`; an id with no name falls back
/// to e.g. "establishment 7".
pub fn describe_restriction(
    params: &RestrictionParameters,
    language: Language,
    names: &Names,
) -> String {
    match params {
        RestrictionParameters::TimeLimits(limits) => time_limits(limits, language),
        RestrictionParameters::NamedContact(named) => named_contact(named, language, names),
        RestrictionParameters::TelephoneTimes(times) => telephone_times(times, language),
        RestrictionParameters::EstablishmentExclusion(exclusion) => {
            establishment_exclusion(exclusion, language, names)
        }
        RestrictionParameters::ContactForm(form) => contact_form(form, language),
        RestrictionParameters::ContactAgreement(agreement) => {
            contact_agreement(agreement, language)
        }
        RestrictionParameters::Termination(termination) => termination_words(termination, language),
    }
}

fn time_limits(limits: &TimeLimits, language: Language) -> String {
    let n = limits.max_contacts;
    let d = limits.per_days;
    match language {
        Language::En => {
            let times = match n {
                1 => "once".to_owned(),
                2 => "twice".to_owned(),
                _ => format!("{n} times"),
            };
            let span = if d == 1 {
                "in any one day".to_owned()
            } else {
                format!("in any period of {d} days")
            };
            let mut text = format!("You may contact us no more than {times} {span}.");
            if let Some(minutes) = limits.max_minutes_per_contact {
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                text.push_str(&format!(
                    " Each telephone call or meeting may last no longer than {minutes} {unit}."
                ));
            }
            text
        }
        Language::Cy => {
            let times = match n {
                1 => "unwaith".to_owned(),
                2 => "dwywaith".to_owned(),
                _ => format!("{n} gwaith"),
            };
            let span = if d == 1 {
                "mewn unrhyw ddiwrnod".to_owned()
            } else {
                format!("mewn unrhyw gyfnod o {d} diwrnod")
            };
            let mut text = format!("Ni chewch gysylltu â ni fwy na {times} {span}.");
            if let Some(minutes) = limits.max_minutes_per_contact {
                text.push_str(&format!(
                    " Ni chaiff unrhyw alwad ffôn neu gyfarfod bara mwy na {minutes} munud."
                ));
            }
            text
        }
    }
}

fn named_contact(named: &NamedContact, language: Language, names: &Names) -> String {
    let staff_name = named
        .staff_member_id
        .and_then(|id| names.staff.get(&id))
        .map(|name| name.trim())
        .filter(|name| !name.is_empty());
    let officer_name = named
        .officer_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let team_name = named.team_id.map(|id| {
        names
            .teams
            .get(&id)
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
            .map_or_else(
                || match language {
                    Language::En => format!("team {id}"),
                    Language::Cy => format!("tîm {id}"),
                },
                str::to_owned,
            )
    });
    let officer = staff_name.or(officer_name).map(str::to_owned).or_else(|| {
        named.staff_member_id.map(|id| match language {
            Language::En => format!("officer {id}"),
            Language::Cy => format!("swyddog {id}"),
        })
    });
    let who = match (officer, team_name) {
        (Some(officer), Some(team)) => Some(format!("{officer} ({team})")),
        (Some(officer), None) => Some(officer),
        (None, team) => team,
    };
    let time = named
        .time
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let place = named
        .place
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());

    let mut sentences = Vec::new();
    match language {
        Language::En => {
            if let Some(who) = who {
                sentences.push(format!("You may contact us only through {who}."));
            }
            if let Some(time) = time {
                sentences.push(format!(
                    "Contact may take place only at this time: {}",
                    sentence(time)
                ));
            }
            if let Some(place) = place {
                sentences.push(format!(
                    "Contact may take place only at this place: {}",
                    sentence(place)
                ));
            }
            if sentences.is_empty() {
                sentences.push("You may contact us only through the officer we name.".to_owned());
            }
        }
        Language::Cy => {
            if let Some(who) = who {
                sentences.push(format!("Dim ond drwy {who} y cewch gysylltu â ni."));
            }
            if let Some(time) = time {
                sentences.push(format!(
                    "Dim ond ar yr amser hwn y caiff cyswllt ddigwydd: {}",
                    sentence(time)
                ));
            }
            if let Some(place) = place {
                sentences.push(format!(
                    "Dim ond yn y lle hwn y caiff cyswllt ddigwydd: {}",
                    sentence(place)
                ));
            }
            if sentences.is_empty() {
                sentences.push(
                    "Dim ond drwy'r swyddog a enwir gennym y cewch gysylltu â ni.".to_owned(),
                );
            }
        }
    }
    sentences.join(" ")
}

/// A day of the week as a letter writes it: `Tuesdays` / `dydd Mawrth`.
fn day_name(day: Weekday, language: Language) -> &'static str {
    match (language, day) {
        (Language::En, Weekday::Monday) => "Mondays",
        (Language::En, Weekday::Tuesday) => "Tuesdays",
        (Language::En, Weekday::Wednesday) => "Wednesdays",
        (Language::En, Weekday::Thursday) => "Thursdays",
        (Language::En, Weekday::Friday) => "Fridays",
        (Language::En, Weekday::Saturday) => "Saturdays",
        (Language::En, Weekday::Sunday) => "Sundays",
        (Language::Cy, Weekday::Monday) => "dydd Llun",
        (Language::Cy, Weekday::Tuesday) => "dydd Mawrth",
        (Language::Cy, Weekday::Wednesday) => "dydd Mercher",
        (Language::Cy, Weekday::Thursday) => "dydd Iau",
        (Language::Cy, Weekday::Friday) => "dydd Gwener",
        (Language::Cy, Weekday::Saturday) => "dydd Sadwrn",
        (Language::Cy, Weekday::Sunday) => "dydd Sul",
    }
}

fn telephone_times(times: &TelephoneTimes, language: Language) -> String {
    let mut days = times.days.clone();
    days.sort();
    days.dedup();
    let names: Vec<String> = days
        .iter()
        .map(|day| day_name(*day, language).to_owned())
        .collect();
    match language {
        Language::En => format!(
            "You may telephone on {} between {} and {} only.",
            join(&names, language, Conjunction::And),
            times.from,
            times.to
        ),
        Language::Cy => {
            // "ar" softens the first day: dydd -> ddydd.
            let list = join(&names, language, Conjunction::And);
            let list = list
                .strip_prefix("dydd")
                .map_or_else(|| list.clone(), |rest| format!("ddydd{rest}"));
            format!(
                "Cewch ffonio ar {list} yn unig, o {} tan {}.",
                times.from, times.to
            )
        }
    }
}

fn establishment_exclusion(
    exclusion: &EstablishmentExclusion,
    language: Language,
    names: &Names,
) -> String {
    let places: Vec<String> = exclusion
        .establishment_ids
        .iter()
        .map(|id| {
            names
                .establishments
                .get(id)
                .map(|name| name.trim())
                .filter(|name| !name.is_empty())
                .map_or_else(
                    || match language {
                        Language::En => format!("establishment {id}"),
                        Language::Cy => format!("sefydliad {id}"),
                    },
                    str::to_owned,
                )
        })
        .collect();
    let list = join(&places, language, Conjunction::And);
    match language {
        Language::En => {
            format!("You are excluded from the following council premises: {list}.")
        }
        Language::Cy => {
            format!("Rydych wedi'ch gwahardd o adeiladau canlynol y Cyngor: {list}.")
        }
    }
}

fn channel_words(channel: ContactChannel, language: Language) -> &'static str {
    match (language, channel) {
        (Language::En, ContactChannel::InPerson) => "in person",
        (Language::En, ContactChannel::Telephone) => "by telephone",
        (Language::En, ContactChannel::Letter) => "by letter",
        (Language::En, ContactChannel::Email) => "by email",
        (Language::En, ContactChannel::Fax) => "by fax",
        (Language::En, ContactChannel::Web) => "through the council's website",
        (Language::Cy, ContactChannel::InPerson) => "wyneb yn wyneb",
        (Language::Cy, ContactChannel::Telephone) => "dros y ffôn",
        (Language::Cy, ContactChannel::Letter) => "drwy lythyr",
        (Language::Cy, ContactChannel::Email) => "drwy e-bost",
        (Language::Cy, ContactChannel::Fax) => "drwy ffacs",
        (Language::Cy, ContactChannel::Web) => "drwy wefan y Cyngor",
    }
}

fn contact_form(form: &ContactForm, language: Language) -> String {
    let channels: Vec<String> = form
        .permitted_channels
        .iter()
        .map(|channel| channel_words(*channel, language).to_owned())
        .collect();
    let list = join(&channels, language, Conjunction::Or);
    match language {
        Language::En => format!("You may contact us {list} only."),
        Language::Cy => format!("Cewch gysylltu â ni {list} yn unig."),
    }
}

fn contact_agreement(agreement: &ContactAgreement, language: Language) -> String {
    let terms = sentence(agreement.terms.trim());
    match (language, agreement.signed_on) {
        (Language::En, Some(date)) => format!(
            "You must enter into an agreement about your further contact with the council, on \
             these terms: {terms} You signed the agreement on {}.",
            format_date(date, language)
        ),
        (Language::En, None) => format!(
            "You must enter into an agreement about your further contact with the council, on \
             these terms: {terms} You have not yet signed the agreement."
        ),
        (Language::Cy, Some(date)) => format!(
            "Rhaid i chi ymrwymo i gytundeb ynghylch eich cyswllt â'r Cyngor yn y dyfodol, ar y \
             telerau hyn: {terms} Fe wnaethoch lofnodi'r cytundeb ar {}.",
            format_date(date, language)
        ),
        (Language::Cy, None) => format!(
            "Rhaid i chi ymrwymo i gytundeb ynghylch eich cyswllt â'r Cyngor yn y dyfodol, ar y \
             telerau hyn: {terms} Nid ydych wedi llofnodi'r cytundeb eto."
        ),
    }
}

fn termination_words(termination: &Termination, language: Language) -> String {
    let mut text = match language {
        Language::En => "All contact between you and the service has ended; the service will not \
                         respond to any further contact from you."
            .to_owned(),
        Language::Cy => "Mae pob cyswllt rhyngoch chi a'r gwasanaeth wedi dod i ben; ni fydd y \
                         gwasanaeth yn ymateb i unrhyw gyswllt pellach gennych."
            .to_owned(),
    };
    if termination.permanent_exclusion_from_premises {
        text.push_str(match language {
            Language::En => " You are also permanently excluded from council premises.",
            Language::Cy => " Rydych hefyd wedi'ch gwahardd yn barhaol o adeiladau'r Cyngor.",
        });
    }
    text
}

/// `text`, ending with a full stop unless it already ends a sentence.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// Which word joins the last two items of a list.
#[derive(Clone, Copy)]
enum Conjunction {
    /// and / a (ac before a vowel)
    And,
    /// or / neu
    Or,
}

/// `a, b and c` in the language. Welsh `a` becomes `ac` before a vowel.
fn join(items: &[String], language: Language, conjunction: Conjunction) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => {
            let word = match (language, conjunction) {
                (Language::En, Conjunction::And) => "and",
                (Language::En, Conjunction::Or) => "or",
                (Language::Cy, Conjunction::And) => {
                    if starts_with_welsh_vowel(last) {
                        "ac"
                    } else {
                        "a"
                    }
                }
                (Language::Cy, Conjunction::Or) => "neu",
            };
            format!("{} {word} {last}", init.join(", "))
        }
    }
}

fn starts_with_welsh_vowel(word: &str) -> bool {
    word.chars().next().is_some_and(|c| {
        "aeiouwyâêîôûŵŷáéíóúẃýàèìòùẁỳäëïöüẅÿ".contains(c.to_lowercase().next().unwrap_or(c))
    })
}
