//! Made-up names and stock phrases for the synthetic data set.

use entities::enums::LetterKind;

/// One council's services: code and name.
pub const SERVICES: [(&str, &str); 25] = [
    ("HOU", "Housing"),
    ("CTX", "Council Tax"),
    ("BEN", "Housing Benefit"),
    ("ENV", "Environmental Health"),
    ("PLA", "Planning"),
    ("WST", "Waste and Recycling"),
    ("ASC", "Adult Social Care"),
    ("CHS", "Children's Services"),
    ("HWY", "Highways"),
    ("PRK", "Parking"),
    ("LIB", "Libraries"),
    ("LEI", "Leisure"),
    ("LIC", "Licensing"),
    ("TSD", "Trading Standards"),
    ("EDU", "Education"),
    ("BLD", "Building Control"),
    ("CS", "Customer Services"),
    ("REV", "Revenues"),
    ("EST", "Estates"),
    ("BER", "Bereavement Services"),
    ("PST", "Pest Control"),
    ("NOI", "Noise Nuisance"),
    ("STC", "Street Cleansing"),
    ("TRN", "Transport"),
    ("REG", "Regeneration"),
];

/// Given names.
pub const FIRST: [&str; 24] = [
    "Alex", "Bethan", "Carys", "Dafydd", "Emma", "Gareth", "Hannah", "Ieuan", "Jamie", "Katie",
    "Lewis", "Megan", "Nia", "Owen", "Priya", "Rhys", "Sian", "Tom", "Usha", "Wyn", "Yusuf",
    "Zara", "Mohammed", "Olivia",
];

/// Family names.
pub const LAST: [&str; 24] = [
    "Jones",
    "Williams",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Lewis",
    "Morgan",
    "Griffiths",
    "Price",
    "Edwards",
    "Khan",
    "Patel",
    "Taylor",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Wood",
    "Jenkins",
    "Powell",
    "Rees",
    "Owen",
];

/// Towns.
pub const TOWNS: [&str; 8] = [
    "Newport",
    "Cwmbran",
    "Pontypool",
    "Abergavenny",
    "Caerphilly",
    "Blackwood",
    "Chepstow",
    "Monmouth",
];

/// Behaviour descriptions.
pub const DESCRIPTIONS: [&str; 6] = [
    "Telephoned the contact centre eleven times in one day about the same repair.",
    "Shouted at the receptionist and refused to leave the counter at closing time.",
    "Sent forty emails in a week repeating the complaint already answered.",
    "Insisted on speaking to the Director and would not accept the manager's answer.",
    "Made offensive remarks about a named officer in a social media post and in emails.",
    "Recorded a meeting covertly and posted it online.",
];

/// Contact summaries.
pub const SUMMARIES: [&str; 6] = [
    "Asked again about the outcome of the complaint.",
    "Reported a repair already logged.",
    "Requested the manager's direct line.",
    "Disputed the council tax band again.",
    "Asked for a copy of the file.",
    "Complained about the officer's tone.",
];

/// A letter's subject and body for the synthetic data set.
pub fn letter_text(kind: LetterKind) -> (&'static str, &'static str) {
    match kind {
        LetterKind::Stage1Warning => (
            "Your contact with the council: a warning",
            "We have decided that your contact with us has become unreasonably persistent. If it continues we may restrict how you contact us. You may appeal within ten working days.",
        ),
        LetterKind::AppealOutcome => (
            "The outcome of your appeal",
            "We have considered your appeal against the warning and written to tell you our decision and why.",
        ),
        LetterKind::Stage2Decision => (
            "Restrictions on your contact with the council",
            "We have decided to restrict how you contact us. This letter sets out the restrictions, why, and when they will be reviewed. You may complain to the Ombudsman.",
        ),
        LetterKind::ReviewOutcome => (
            "The review of your contact arrangements",
            "We have reviewed the restrictions on your contact with us and written to tell you the outcome.",
        ),
        _ => (
            "Your contact with the council",
            "We are writing about your contact with the council.",
        ),
    }
}
