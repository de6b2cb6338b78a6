//! Tests for the letters: default templates, rendering, HTML, validation and descriptions.

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::enums::{ContactChannel, Language, LetterKind, ReviewRecommendation};
use entities::restriction_parameters::{
    ClockTime, ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact,
    RestrictionParameters, TelephoneTimes, Termination, TimeLimits, Weekday,
};

use super::*;

const LANGUAGES: [Language; 2] = [Language::En, Language::Cy];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn time(text: &str) -> ClockTime {
    text.parse().expect("valid time")
}

fn names() -> Names {
    Names {
        establishments: HashMap::from([
            (3, "Llys Cadwyn".to_owned()),
            (4, "Tŷ Trevithick".to_owned()),
            (5, "Ysgol Gyfun".to_owned()),
        ]),
        staff: HashMap::from([(7, "Siân Morgan".to_owned())]),
        teams: HashMap::from([(2, "Housing Options".to_owned())]),
    }
}

fn letter_only() -> RestrictionLine {
    RestrictionLine {
        parameters: RestrictionParameters::ContactForm(ContactForm {
            permitted_channels: vec![ContactChannel::Letter],
        }),
        starts_on: date(2026, 12, 14),
        ends_on: Some(date(2027, 6, 14)),
        permanent: false,
        review_due_on: date(2027, 12, 10),
    }
}

fn telephone() -> RestrictionLine {
    RestrictionLine {
        parameters: RestrictionParameters::TelephoneTimes(TelephoneTimes {
            days: vec![Weekday::Thursday, Weekday::Tuesday],
            from: time("10:00"),
            to: time("12:00"),
        }),
        starts_on: date(2026, 12, 14),
        ends_on: None,
        permanent: false,
        review_due_on: date(2027, 12, 10),
    }
}

fn exclusion() -> RestrictionLine {
    RestrictionLine {
        parameters: RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
            establishment_ids: vec![3, 4],
        }),
        starts_on: date(2026, 1, 5),
        ends_on: None,
        permanent: false,
        review_due_on: date(2026, 12, 11),
    }
}

/// A realistic letter of each kind.
fn context(kind: LetterKind, language: Language) -> LetterContext {
    let base = LetterContext {
        kind,
        language,
        letter_date: date(2026, 12, 11),
        customer_name: "Mr Dafydd Evans".to_owned(),
        customer_address: Some("12 Heol y Castell\nPontypridd\nCF37 1AA".to_owned()),
        case_reference: "UPC-2026-0042".to_owned(),
        service_name: "Council Tax".to_owned(),
        reasons: "You telephoned the office 43 times in November about the same bill.".to_owned(),
        exceptional_reasons: None,
        consulted: None,
        restrictions: Vec::new(),
        lifted: Vec::new(),
        review_due_on: None,
        appeal_deadline: None,
        warning_period_ends_on: None,
        closure: None,
        legal_services_address:
            "Service Director - Legal Services\nLegal Services\nThe Pavilions\nClydach Vale\n\
             Tonypandy\nCF40 1NY"
                .to_owned(),
        appeal_upheld: None,
        recommendation: None,
        endorsed: None,
        variation: None,
        unreasonable: None,
        addressee: None,
    };
    match kind {
        LetterKind::Stage1Warning => LetterContext {
            appeal_deadline: Some(date(2027, 1, 5)),
            warning_period_ends_on: Some(date(2027, 12, 11)),
            ..base
        },
        LetterKind::CaseClosed => LetterContext {
            closure: Some(Closure::WarningPeriodEnded),
            warning_period_ends_on: Some(date(2027, 12, 11)),
            reasons:
                "The warning period ended on 11 December 2027 with no further behaviour reported."
                    .to_owned(),
            ..base
        },
        LetterKind::AppealOutcome => LetterContext {
            appeal_upheld: Some(false),
            ..base
        },
        LetterKind::Stage2Decision => LetterContext {
            restrictions: vec![letter_only(), telephone()],
            review_due_on: Some(date(2027, 12, 10)),
            ..base
        },
        LetterKind::RestrictionVariation => LetterContext {
            variation: Some(Variation::Varied),
            restrictions: vec![letter_only()],
            lifted: vec![exclusion()],
            review_due_on: Some(date(2027, 12, 10)),
            ..base
        },
        LetterKind::ReviewOutcome => LetterContext {
            recommendation: Some(ReviewRecommendation::PartiallyRemove),
            endorsed: Some(true),
            restrictions: vec![letter_only()],
            lifted: vec![exclusion()],
            review_due_on: Some(date(2027, 12, 10)),
            ..base
        },
        LetterKind::DeterminationOutcome => LetterContext {
            unreasonable: Some(true),
            ..base
        },
    }
}

fn render_default(ctx: &LetterContext) -> RenderedLetter {
    render(&default_template(ctx.kind, ctx.language), ctx, &names()).expect("renders")
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected {needle:?} in:\n{haystack}"
    );
}

// ---- default templates ----

#[test]
fn every_default_template_validates() {
    for kind in LetterKind::ALL {
        for language in LANGUAGES {
            assert_eq!(
                validate(*kind, language, &default_template(*kind, language)),
                Ok(()),
                "{kind} in {language}"
            );
        }
    }
}

#[test]
fn every_letter_gives_reasons_ombudsman_and_a_one_line_subject() {
    for kind in LetterKind::ALL {
        for language in LANGUAGES {
            let ctx = context(*kind, language);
            let letter = render_default(&ctx);
            assert_contains(&letter.body_text, &ctx.reasons);
            assert_contains(&letter.body_text, "www.ombudsman.wales");
            assert_contains(&letter.body_text, "0300 790 0203");
            assert_contains(&letter.body_text, "1 Ffordd yr Hen Gae, Pencoed, CF35 5LJ");
            assert_contains(&letter.body_text, "Mr Dafydd Evans");
            assert_contains(&letter.subject, "UPC-2026-0042");
            assert!(!letter.subject.contains('\n'), "{}", letter.subject);
            assert!(letter.body_text.ends_with('\n'));
            assert!(!letter.body_text.ends_with("\n\n"));
            assert!(!letter.body_text.contains("\n\n\n"), "{}", letter.body_text);
            assert!(
                letter.body_text.lines().all(|line| line == line.trim_end()),
                "trailing spaces in {kind}/{language}"
            );
        }
    }
}

#[test]
fn stage_1_warning_gives_the_appeal_deadline_and_address() {
    let en = render_default(&context(LetterKind::Stage1Warning, Language::En));
    assert_contains(
        &en.body_text,
        "Your appeal must reach us by 5 January 2027.",
    );
    assert_contains(&en.body_text, "within 15 working days");
    assert_contains(
        &en.body_text,
        "The Pavilions\nClydach Vale\nTonypandy\nCF40 1NY",
    );
    assert_contains(&en.body_text, "Copy: Service Feedback Officer");
    assert_contains(&en.body_html, "The Pavilions<br>\nClydach Vale");

    let cy = render_default(&context(LetterKind::Stage1Warning, Language::Cy));
    assert_contains(&cy.body_text, "erbyn 5 Ionawr 2027");
    assert_contains(&cy.body_text, "15 diwrnod gwaith");
    assert_contains(&cy.body_text, "The Pavilions\nClydach Vale");
    assert_contains(&cy.subject, "Rhybudd ffurfiol");
}

#[test]
fn stage_1_warning_says_when_the_warning_period_ends() {
    let en = render_default(&context(LetterKind::Stage1Warning, Language::En));
    assert_contains(&en.body_text, "This warning lasts until 11 December 2027.");
    let cy = render_default(&context(LetterKind::Stage1Warning, Language::Cy));
    assert_contains(&cy.body_text, "tan 11 Rhagfyr 2027");
}

#[test]
fn case_closed_says_why_for_each_ending() {
    let en = render_default(&context(LetterKind::CaseClosed, Language::En));
    assert_contains(&en.subject, "is closed");
    assert_contains(&en.body_text, "The warning lasted until 11 December 2027.");
    assert_contains(&en.body_text, "Dear Mr Dafydd Evans,");
    let ended = LetterContext {
        closure: Some(Closure::RestrictionsEnded),
        warning_period_ends_on: None,
        lifted: vec![letter_only()],
        ..context(LetterKind::CaseClosed, Language::En)
    };
    let en = render_default(&ended);
    assert_contains(&en.body_text, "have all now ended");
    assert_contains(&en.body_text, "Restrictions that no longer apply");
    let cy = render_default(&LetterContext {
        language: Language::Cy,
        ..ended
    });
    assert_contains(&cy.body_text, "wedi dod i ben");
}

#[test]
fn a_warning_template_without_the_period_end_is_refused() {
    let template = with_body(LetterKind::Stage1Warning, Language::En, |body| {
        body.replace("{{ warning_period_ends_on }}", "soon")
    });
    let err = validate(LetterKind::Stage1Warning, Language::En, &template).unwrap_err();
    assert!(err.message.contains("warning period"), "{err}");
}

#[test]
fn appeal_outcome_says_upheld_or_not() {
    for language in LANGUAGES {
        let mut ctx = context(LetterKind::AppealOutcome, language);
        ctx.appeal_upheld = Some(true);
        let upheld = render_default(&ctx).body_text;
        ctx.appeal_upheld = Some(false);
        let not_upheld = render_default(&ctx).body_text;
        match language {
            Language::En => {
                assert_contains(&upheld, "Your appeal has been upheld.");
                assert_contains(&upheld, "The warning has been withdrawn");
                assert_contains(&not_upheld, "Your appeal has not been upheld");
            }
            Language::Cy => {
                assert_contains(&upheld, "Mae eich apêl wedi'i chadarnhau.");
                assert_contains(&not_upheld, "Nid yw eich apêl wedi'i chadarnhau");
            }
        }
        assert_ne!(upheld, not_upheld);
    }
}

#[test]
fn stage_2_decision_lists_restrictions_review_and_no_appeal() {
    let ctx = context(LetterKind::Stage2Decision, Language::En);
    let letter = render_default(&ctx);
    let text = &letter.body_text;
    assert_contains(text, "1. You may contact us by letter only.");
    assert_contains(text, "In force from 14 December 2026 until 14 June 2027.");
    assert_contains(
        text,
        "2. You may telephone on Tuesdays and Thursdays between 10:00 and 12:00 only.",
    );
    assert_contains(text, "In force from 14 December 2026 until it is reviewed.");
    assert_contains(text, "reviewed no later than 10 December 2027");
    assert_contains(text, "There is no right of appeal");
    assert_contains(text, "You were previously sent a formal warning");
    assert!(!text.contains("immediately"));

    let cy = render_default(&context(LetterKind::Stage2Decision, Language::Cy)).body_text;
    assert_contains(&cy, "1. Cewch gysylltu â ni drwy lythyr yn unig.");
    assert_contains(&cy, "Mewn grym o 14 Rhagfyr 2026 tan 14 Mehefin 2027.");
    assert_contains(
        &cy,
        "2. Cewch ffonio ar ddydd Mawrth a dydd Iau yn unig, o 10:00 tan 12:00.",
    );
    assert_contains(&cy, "erbyn 10 Rhagfyr 2027 fan bellaf");
    assert_contains(&cy, "Nid oes hawl i apelio");
}

#[test]
fn immediate_stage_2_gives_the_reasons_for_immediate_action() {
    for language in LANGUAGES {
        let mut ctx = context(LetterKind::Stage2Decision, language);
        ctx.exceptional_reasons = Some("A member of staff was threatened with violence.".into());
        let text = render_default(&ctx).body_text;
        assert_contains(&text, "A member of staff was threatened with violence.");
        match language {
            Language::En => {
                assert_contains(&text, "Why immediate action was considered appropriate");
                assert!(!text.contains("You were previously sent a formal warning"));
            }
            Language::Cy => {
                assert_contains(&text, "Pam yr ystyriwyd bod angen gweithredu ar unwaith");
            }
        }
    }
}

#[test]
fn restriction_variation_covers_each_variation() {
    for language in LANGUAGES {
        for variation in Variation::ALL {
            let mut ctx = context(LetterKind::RestrictionVariation, language);
            ctx.variation = Some(*variation);
            if *variation == Variation::Lifted {
                ctx.restrictions.clear();
                ctx.review_due_on = None;
            }
            if *variation == Variation::MadePermanent {
                ctx.restrictions[0].permanent = true;
                ctx.restrictions[0].ends_on = None;
            }
            let letter = render_default(&ctx);
            let text = &letter.body_text;
            let (lifted_words, none_left, permanent) = match language {
                Language::En => (
                    "You are excluded from the following council premises: Llys Cadwyn and Tŷ \
                     Trevithick.",
                    "No restrictions now apply",
                    "This restriction is permanent.",
                ),
                Language::Cy => (
                    "Rydych wedi'ch gwahardd o adeiladau canlynol y Cyngor: Llys Cadwyn a Tŷ \
                     Trevithick.",
                    "Nid oes unrhyw gyfyngiadau bellach",
                    "Mae'r cyfyngiad hwn yn barhaol.",
                ),
            };
            assert_contains(text, lifted_words);
            if *variation == Variation::Lifted {
                assert_contains(text, none_left);
                assert!(!text.contains("10 December 2027") && !text.contains("10 Rhagfyr 2027"));
            } else {
                assert!(!text.contains(none_left));
                let review = format_date(date(2027, 12, 10), language);
                assert_contains(text, &review);
            }
            if *variation == Variation::MadePermanent {
                assert_contains(text, permanent);
            }
        }
    }
    let en = render_default(&context(LetterKind::RestrictionVariation, Language::En));
    assert_contains(
        &en.body_text,
        "It has been decided to change the restrictions",
    );
}

#[test]
fn review_outcome_reports_recommendation_endorsement_and_what_remains() {
    let ctx = context(LetterKind::ReviewOutcome, Language::En);
    let text = render_default(&ctx).body_text;
    assert_contains(
        &text,
        "recommended that some of the restrictions should be removed",
    );
    assert_contains(
        &text,
        "The Group Director has endorsed this recommendation.",
    );
    assert_contains(&text, "You may contact us by letter only.");
    assert_contains(&text, "no later than 10 December 2027");
    assert_contains(&text, "Llys Cadwyn and Tŷ Trevithick");

    let mut full = context(LetterKind::ReviewOutcome, Language::Cy);
    full.recommendation = Some(ReviewRecommendation::FullyRemove);
    full.restrictions.clear();
    full.review_due_on = None;
    let cy = render_default(&full).body_text;
    assert_contains(&cy, "y dylid dileu'r cyfyngiadau i gyd");
    assert_contains(&cy, "Mae'r Cyfarwyddwr Grŵp wedi cymeradwyo");
    assert_contains(&cy, "Nid oes unrhyw gyfyngiadau bellach");

    let mut not_endorsed = context(LetterKind::ReviewOutcome, Language::En);
    not_endorsed.endorsed = Some(false);
    not_endorsed.lifted.clear();
    let text = render_default(&not_endorsed).body_text;
    assert_contains(
        &text,
        "The Group Director has not endorsed this recommendation.",
    );
}

#[test]
fn determination_outcome_says_whether_behaviour_was_unreasonable() {
    for language in LANGUAGES {
        let mut ctx = context(LetterKind::DeterminationOutcome, language);
        let yes = render_default(&ctx).body_text;
        ctx.unreasonable = Some(false);
        let no = render_default(&ctx).body_text;
        match language {
            Language::En => {
                assert_contains(&yes, "your behaviour has been unreasonable");
                assert_contains(&yes, "formal warning");
                assert_contains(&no, "has not been unreasonable");
                assert_contains(&no, "the matter is now closed");
            }
            Language::Cy => {
                assert_contains(&yes, "bod eich ymddygiad wedi bod yn afresymol");
                assert_contains(&no, "nad yw eich ymddygiad wedi bod yn afresymol");
            }
        }
    }
}

#[test]
fn welsh_letter_is_in_welsh_with_welsh_dates_and_lang_cy() {
    let ctx = context(LetterKind::Stage2Decision, Language::Cy);
    let letter = render_default(&ctx);
    assert_contains(&letter.body_text, "Annwyl Mr Dafydd Evans,");
    assert_contains(&letter.body_text, "Rhagfyr");
    assert_contains(&letter.body_text, "Mehefin");
    assert_contains(&letter.body_text, "Ombwdsmon Gwasanaethau Cyhoeddus Cymru");
    assert!(!letter.body_text.contains("December"));
    assert!(!letter.body_text.contains("Dear "));
    assert_contains(&letter.body_html, "<html lang=\"cy\">");
    assert_contains(&letter.body_html, "11 Rhagfyr 2026");
    assert_contains(&letter.body_html, "Ein cyfeirnod: UPC-2026-0042");

    let en = render_default(&context(LetterKind::Stage2Decision, Language::En));
    assert_contains(&en.body_html, "<html lang=\"en\">");
    assert_contains(&en.body_html, "Our reference: UPC-2026-0042");
}

// ---- HTML ----

#[test]
fn html_is_a_complete_printable_document() {
    let ctx = context(LetterKind::Stage1Warning, Language::En);
    let letter = render_default(&ctx);
    let html = &letter.body_html;
    assert!(html.starts_with("<!doctype html>\n"));
    assert_contains(html, "<meta charset=\"utf-8\">");
    assert_contains(
        html,
        &format!("<title>{}</title>", html::escape(&letter.subject)),
    );
    assert_contains(html, "@media print");
    assert_contains(
        html,
        "<p>Mr Dafydd Evans<br>\n12 Heol y Castell<br>\nPontypridd<br>\nCF37 1AA</p>",
    );
    assert_contains(html, "11 December 2026");
    assert_contains(html, "<p>Dear Mr Dafydd Evans,</p>");
    assert_contains(html, "<p>Yours sincerely,</p>");
    assert_contains(
        html,
        "<p>Why we have made this decision<br>\nYou telephoned the office 43 times",
    );
    assert!(html.trim_end().ends_with("</html>"));
    // The address block comes before the body.
    let address = html.find("12 Heol y Castell").expect("address");
    let body = html.find("Dear Mr").expect("body");
    assert!(address < body);
}

#[test]
fn user_values_are_escaped_in_html() {
    let mut ctx = context(LetterKind::Stage2Decision, Language::En);
    ctx.customer_name = "<script>alert('name')</script>".into();
    ctx.customer_address = Some("1 <b>Bold</b> St & Co\n\"Quoted\" Town".into());
    ctx.reasons = "He wrote <script>alert(1)</script> & more".into();
    ctx.exceptional_reasons = Some("<img src=x onerror=alert(2)>".into());
    ctx.case_reference = "<ref>".into();
    ctx.service_name = "Housing & <Homes>".into();
    let mut names = names();
    names.establishments.insert(9, "<i>Hall</i>".into());
    ctx.restrictions.push(RestrictionLine {
        parameters: RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
            establishment_ids: vec![9],
        }),
        ..letter_only()
    });
    let letter = render(&default_template(ctx.kind, ctx.language), &ctx, &names).expect("renders");
    let html = &letter.body_html;
    for raw in ["<script>", "<b>", "<img", "<ref>", "<Homes>", "<i>"] {
        assert!(!html.contains(raw), "{raw} not escaped in:\n{html}");
    }
    assert_contains(html, "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;");
    assert_contains(
        html,
        "He wrote &lt;script&gt;alert(1)&lt;/script&gt; &amp; more",
    );
    assert_contains(
        html,
        "1 &lt;b&gt;Bold&lt;/b&gt; St &amp; Co<br>\n&quot;Quoted&quot; Town",
    );
    assert_contains(html, "&lt;img src=x onerror=alert(2)&gt;");
    assert_contains(
        html,
        "<title>Decision to restrict your contact with Housing &amp; &lt;Homes&gt;",
    );
    assert_contains(html, "&lt;i&gt;Hall&lt;/i&gt;");
    // The plain text keeps the values as entered.
    assert_contains(
        &letter.body_text,
        "He wrote <script>alert(1)</script> & more",
    );
}

#[test]
fn paragraphs_and_line_breaks() {
    assert_eq!(
        html::paragraphs("one\ntwo\n\n\nthree\n"),
        "<p>one<br>\ntwo</p>\n<p>three</p>\n"
    );
    assert_eq!(html::paragraphs("\n  \n"), "");
}

#[test]
fn rendered_text_is_tidy() {
    let template = Template {
        subject: "  Hello\n {{ customer_name }}  ".into(),
        body: "Dear {{ customer_name }},   \n\n\n\n{% if immediate %}\nImmediate.\n{% endif %}\n\
               {% for r in restrictions %}\n  {% if r.permanent %}\n- {{ r.description }}\n  {% endif %}\n{% endfor %}\n\nEnd\n\n\n"
            .into(),
    };
    let ctx = context(LetterKind::DeterminationOutcome, Language::En);
    let letter = render(&template, &ctx, &names()).expect("renders");
    assert_eq!(letter.subject, "Hello Mr Dafydd Evans");
    assert_eq!(letter.body_text, "Dear Mr Dafydd Evans,\n\nEnd\n");
}

// ---- validation ----

fn with_body(kind: LetterKind, language: Language, edit: impl Fn(&str) -> String) -> Template {
    let template = default_template(kind, language);
    Template {
        body: edit(&template.body),
        ..template
    }
}

#[test]
fn unknown_variable_is_refused_naming_the_field() {
    let body = with_body(LetterKind::Stage1Warning, Language::En, |body| {
        format!("{body}\n{{{{ customer_nmae }}}}\n")
    });
    let err = validate(LetterKind::Stage1Warning, Language::En, &body).expect_err("refused");
    assert_eq!(err.field, "body");
    assert_contains(&err.message, "customer_nmae");

    // Even in a branch the samples never take.
    let hidden = with_body(LetterKind::AppealOutcome, Language::Cy, |body| {
        format!("{body}\n{{% if false %}}{{{{ secret_thing }}}}{{% endif %}}\n")
    });
    let err = validate(LetterKind::AppealOutcome, Language::Cy, &hidden).expect_err("refused");
    assert_eq!(err.field, "body");
    assert_contains(&err.message, "secret_thing");

    let subject = Template {
        subject: "Re {{ case_ref }}".into(),
        ..default_template(LetterKind::Stage1Warning, Language::En)
    };
    let err = validate(LetterKind::Stage1Warning, Language::En, &subject).expect_err("refused");
    assert_eq!(err.field, "subject");
    assert_contains(&err.message, "case_ref");

    // A misspelt attribute of a restriction fails when rendered.
    let attribute = with_body(LetterKind::Stage2Decision, Language::En, |body| {
        body.replace("{{ r.period }}", "{{ r.perod }}")
    });
    let err = validate(LetterKind::Stage2Decision, Language::En, &attribute).expect_err("refused");
    assert_eq!(err.field, "body");

    // render refuses it too.
    let ctx = context(LetterKind::Stage1Warning, Language::En);
    let err = render(&body, &ctx, &names()).expect_err("refused");
    assert_eq!(err.field, "body");
}

#[test]
fn syntax_error_is_refused_naming_the_field() {
    let body = with_body(LetterKind::ReviewOutcome, Language::En, |body| {
        format!("{body}\n{{% if restrictions %}}unclosed\n")
    });
    let err = validate(LetterKind::ReviewOutcome, Language::En, &body).expect_err("refused");
    assert_eq!(err.field, "body");
    assert!(!err.message.is_empty());

    let subject = Template {
        subject: "Decision {{ case_reference".into(),
        ..default_template(LetterKind::ReviewOutcome, Language::En)
    };
    let err = validate(LetterKind::ReviewOutcome, Language::En, &subject).expect_err("refused");
    assert_eq!(err.field, "subject");
    assert_eq!(
        err.to_string(),
        format!("letter template subject: {}", err.message)
    );
}

#[test]
fn missing_ombudsman_paragraph_is_refused() {
    for kind in LetterKind::ALL {
        for language in LANGUAGES {
            let template = with_body(*kind, language, |body| body.replace("{{ ombudsman }}", ""));
            let err = validate(*kind, language, &template).expect_err("refused");
            assert_eq!(err.field, "body", "{kind}/{language}");
            assert_contains(&err.message, "Ombudsman");
        }
    }
}

#[test]
fn missing_reasons_are_refused() {
    for kind in LetterKind::ALL {
        let template = with_body(*kind, Language::En, |body| {
            body.replace("{{ reasons }}", "")
        });
        let err = validate(*kind, Language::En, &template).expect_err("refused");
        assert_eq!(err.field, "body");
        assert_contains(&err.message, "reasons");
    }
}

#[test]
fn stage_1_warning_without_deadline_or_address_is_refused() {
    for language in LANGUAGES {
        let template = with_body(LetterKind::Stage1Warning, language, |body| {
            body.replace("{{ appeal_deadline }}", "soon")
        });
        let err = validate(LetterKind::Stage1Warning, language, &template).expect_err("refused");
        assert_eq!(err.field, "body");
        assert_contains(&err.message, "appeal_deadline");

        let template = with_body(LetterKind::Stage1Warning, language, |body| {
            body.replace("{{ legal_services_address }}", "Legal Services")
        });
        let err = validate(LetterKind::Stage1Warning, language, &template).expect_err("refused");
        assert_contains(&err.message, "legal_services_address");
    }
}

#[test]
fn stage_2_without_restrictions_review_or_immediate_reasons_is_refused() {
    let language = Language::En;
    let kind = LetterKind::Stage2Decision;
    let no_list = with_body(kind, language, |body| {
        body.replace("{{ r.description }}", "")
    });
    assert_contains(
        &validate(kind, language, &no_list)
            .expect_err("refused")
            .message,
        "restriction",
    );
    let no_review = with_body(kind, language, |body| {
        body.replace("{{ review_due_on }}", "in due course")
    });
    assert_contains(
        &validate(kind, language, &no_review)
            .expect_err("refused")
            .message,
        "review",
    );
    let no_exceptional = with_body(kind, language, |body| {
        body.replace("{{ exceptional_reasons }}", "")
    });
    assert_contains(
        &validate(kind, language, &no_exceptional)
            .expect_err("refused")
            .message,
        "immediate action",
    );
}

#[test]
fn variation_and_review_without_restrictions_or_review_date_are_refused() {
    for kind in [LetterKind::RestrictionVariation, LetterKind::ReviewOutcome] {
        for language in LANGUAGES {
            let no_review = with_body(kind, language, |body| {
                body.replace("{{ review_due_on }}", "")
            });
            let err = validate(kind, language, &no_review).expect_err("refused");
            assert_contains(&err.message, "review date");
            let no_list = with_body(kind, language, |body| {
                body.replace("{% if restrictions %}", "{% if false %}")
            });
            let err = validate(kind, language, &no_list).expect_err("refused");
            assert_contains(&err.message, "restriction");
        }
    }
}

#[test]
fn empty_subject_is_refused() {
    let template = Template {
        subject: "{% if false %}x{% endif %}".into(),
        ..default_template(LetterKind::DeterminationOutcome, Language::En)
    };
    let err =
        validate(LetterKind::DeterminationOutcome, Language::En, &template).expect_err("refused");
    assert_eq!(err.field, "subject");
}

#[test]
fn a_minimal_custom_template_can_pass() {
    let template = Template {
        subject: "Warning {{ case_reference }}".into(),
        body:
            "{{ reasons }}\nAppeal by {{ appeal_deadline }} to:\n{{ legal_services_address }}\n\n\
               Until {{ warning_period_ends_on }}.\n{{ ombudsman }}\n"
                .into(),
    };
    assert_eq!(
        validate(LetterKind::Stage1Warning, Language::En, &template),
        Ok(())
    );
    // The same body lacks what a Stage 2 letter must say.
    assert!(validate(LetterKind::Stage2Decision, Language::En, &template).is_err());
}

// ---- words ----

#[test]
fn dates_are_written_in_the_language() {
    assert_eq!(
        format_date(date(2026, 12, 11), Language::En),
        "11 December 2026"
    );
    assert_eq!(
        format_date(date(2026, 12, 11), Language::Cy),
        "11 Rhagfyr 2026"
    );
    assert_eq!(
        format_date(date(2027, 2, 1), Language::Cy),
        "1 Chwefror 2027"
    );
    assert_eq!(
        format_date(date(2027, 7, 9), Language::Cy),
        "9 Gorffennaf 2027"
    );
    assert_eq!(format_date(date(2027, 3, 5), Language::En), "5 March 2027");
}

fn describe(params: RestrictionParameters) -> (String, String) {
    (
        describe_restriction(&params, Language::En, &names()),
        describe_restriction(&params, Language::Cy, &names()),
    )
}

#[test]
fn describes_time_limits() {
    let (en, cy) = describe(RestrictionParameters::TimeLimits(TimeLimits {
        max_contacts: 2,
        per_days: 14,
        max_minutes_per_contact: Some(20),
    }));
    assert_eq!(
        en,
        "You may contact us no more than twice in any period of 14 days. Each telephone call or \
         meeting may last no longer than 20 minutes."
    );
    assert_eq!(
        cy,
        "Ni chewch gysylltu â ni fwy na dwywaith mewn unrhyw gyfnod o 14 diwrnod. Ni chaiff \
         unrhyw alwad ffôn neu gyfarfod bara mwy na 20 munud."
    );
    let (en, cy) = describe(RestrictionParameters::TimeLimits(TimeLimits {
        max_contacts: 3,
        per_days: 1,
        max_minutes_per_contact: None,
    }));
    assert_eq!(
        en,
        "You may contact us no more than 3 times in any one day."
    );
    assert_eq!(
        cy,
        "Ni chewch gysylltu â ni fwy na 3 gwaith mewn unrhyw ddiwrnod."
    );
}

#[test]
fn describes_named_contact() {
    // Staff name first, with the team.
    let (en, cy) = describe(RestrictionParameters::NamedContact(NamedContact {
        staff_member_id: Some(7),
        team_id: Some(2),
        officer_name: Some("the Customer Services Manager".into()),
        time: Some("Tuesdays, 10am to 12 noon".into()),
        place: Some("the One4All Centre, Pontypridd".into()),
    }));
    assert_eq!(
        en,
        "You may contact us only through Siân Morgan (Housing Options). Contact may take place \
         only at this time: Tuesdays, 10am to 12 noon. Contact may take place only at this \
         place: the One4All Centre, Pontypridd."
    );
    assert_eq!(
        cy,
        "Dim ond drwy Siân Morgan (Housing Options) y cewch gysylltu â ni. Dim ond ar yr amser \
         hwn y caiff cyswllt ddigwydd: Tuesdays, 10am to 12 noon. Dim ond yn y lle hwn y caiff \
         cyswllt ddigwydd: the One4All Centre, Pontypridd."
    );
    // Officer name when the staff member has no name.
    let (en, _) = describe(RestrictionParameters::NamedContact(NamedContact {
        staff_member_id: Some(99),
        officer_name: Some("the Customer Services Manager".into()),
        ..NamedContact::default()
    }));
    assert_eq!(
        en,
        "You may contact us only through the Customer Services Manager."
    );
    // Team name alone.
    let (en, cy) = describe(RestrictionParameters::NamedContact(NamedContact {
        team_id: Some(2),
        ..NamedContact::default()
    }));
    assert_eq!(en, "You may contact us only through Housing Options.");
    assert_eq!(cy, "Dim ond drwy Housing Options y cewch gysylltu â ni.");
    // Unknown ids fall back to words.
    let (en, cy) = describe(RestrictionParameters::NamedContact(NamedContact {
        staff_member_id: Some(99),
        ..NamedContact::default()
    }));
    assert_eq!(en, "You may contact us only through officer 99.");
    assert_eq!(cy, "Dim ond drwy swyddog 99 y cewch gysylltu â ni.");
    // A place only.
    let (en, _) = describe(RestrictionParameters::NamedContact(NamedContact {
        place: Some("Llys Cadwyn reception".into()),
        ..NamedContact::default()
    }));
    assert_eq!(
        en,
        "Contact may take place only at this place: Llys Cadwyn reception."
    );
}

#[test]
fn describes_telephone_times() {
    let (en, cy) = describe(telephone().parameters);
    assert_eq!(
        en,
        "You may telephone on Tuesdays and Thursdays between 10:00 and 12:00 only."
    );
    assert_eq!(
        cy,
        "Cewch ffonio ar ddydd Mawrth a dydd Iau yn unig, o 10:00 tan 12:00."
    );
    let (en, cy) = describe(RestrictionParameters::TelephoneTimes(TelephoneTimes {
        days: vec![Weekday::Friday, Weekday::Monday, Weekday::Wednesday],
        from: time("09:30"),
        to: time("11:00"),
    }));
    assert_eq!(
        en,
        "You may telephone on Mondays, Wednesdays and Fridays between 09:30 and 11:00 only."
    );
    assert_eq!(
        cy,
        "Cewch ffonio ar ddydd Llun, dydd Mercher a dydd Gwener yn unig, o 09:30 tan 11:00."
    );
}

#[test]
fn describes_establishment_exclusion_by_name() {
    let (en, cy) = describe(RestrictionParameters::EstablishmentExclusion(
        EstablishmentExclusion {
            establishment_ids: vec![3, 7, 5],
        },
    ));
    assert_eq!(
        en,
        "You are excluded from the following council premises: Llys Cadwyn, establishment 7 and \
         Ysgol Gyfun."
    );
    assert_eq!(
        cy,
        "Rydych wedi'ch gwahardd o adeiladau canlynol y Cyngor: Llys Cadwyn, sefydliad 7 ac Ysgol \
         Gyfun."
    );
}

#[test]
fn describes_contact_form() {
    let (en, cy) = describe(letter_only().parameters);
    assert_eq!(en, "You may contact us by letter only.");
    assert_eq!(cy, "Cewch gysylltu â ni drwy lythyr yn unig.");
    let (en, cy) = describe(RestrictionParameters::ContactForm(ContactForm {
        permitted_channels: vec![ContactChannel::Letter, ContactChannel::Email],
    }));
    assert_eq!(en, "You may contact us by letter or by email only.");
    assert_eq!(
        cy,
        "Cewch gysylltu â ni drwy lythyr neu drwy e-bost yn unig."
    );
}

#[test]
fn describes_contact_agreement_with_terms_and_signature() {
    let (en, cy) = describe(RestrictionParameters::ContactAgreement(ContactAgreement {
        terms: "One email a week to the named officer".into(),
        signed_on: Some(date(2026, 2, 3)),
    }));
    assert_eq!(
        en,
        "You must enter into an agreement about your further contact with the council, on these \
         terms: One email a week to the named officer. You signed the agreement on 3 February \
         2026."
    );
    assert_eq!(
        cy,
        "Rhaid i chi ymrwymo i gytundeb ynghylch eich cyswllt â'r Cyngor yn y dyfodol, ar y \
         telerau hyn: One email a week to the named officer. Fe wnaethoch lofnodi'r cytundeb ar 3 \
         Chwefror 2026."
    );
    let (en, cy) = describe(RestrictionParameters::ContactAgreement(ContactAgreement {
        terms: "No visits without an appointment.".into(),
        signed_on: None,
    }));
    assert!(
        en.ends_with("No visits without an appointment. You have not yet signed the agreement.")
    );
    assert!(cy.ends_with("Nid ydych wedi llofnodi'r cytundeb eto."));
}

#[test]
fn describes_termination() {
    let (en, cy) = describe(RestrictionParameters::Termination(Termination {
        permanent_exclusion_from_premises: false,
    }));
    assert_eq!(
        en,
        "All contact between you and the service has ended; the service will not respond to any \
         further contact from you."
    );
    assert!(cy.starts_with("Mae pob cyswllt rhyngoch chi a'r gwasanaeth wedi dod i ben"));
    assert!(!cy.contains("yn barhaol"));
    let (en, cy) = describe(RestrictionParameters::Termination(Termination {
        permanent_exclusion_from_premises: true,
    }));
    assert!(en.ends_with("You are also permanently excluded from council premises."));
    assert!(cy.ends_with("Rydych hefyd wedi'ch gwahardd yn barhaol o adeiladau'r Cyngor."));
}

#[test]
fn restriction_fields_until_and_period() {
    let template = Template {
        subject: "x".into(),
        body: "{% for r in restrictions %}{{ r.kind }}|{{ r.starts_on }}|{{ r.ends_on }}|{{ r.until }}|{{ r.permanent }}|{{ r.review_due_on }}\n{% endfor %}".into(),
    };
    let mut permanent = exclusion();
    permanent.permanent = true;
    let mut ctx = context(LetterKind::Stage2Decision, Language::En);
    ctx.restrictions = vec![letter_only(), telephone(), permanent];
    let text = render(&template, &ctx, &names())
        .expect("renders")
        .body_text;
    assert_eq!(
        text,
        "contact_form|14 December 2026|14 June 2027|14 June 2027|False|10 December 2027\n\
         telephone_times|14 December 2026||until reviewed|False|10 December 2027\n\
         establishment_exclusion|5 January 2026||permanent|True|11 December 2026\n"
    );
    ctx.language = Language::Cy;
    let text = render(&template, &ctx, &names())
        .expect("renders")
        .body_text;
    assert_contains(&text, "|tan yr adolygiad|");
    assert_contains(&text, "|parhaol|");
}

#[test]
fn every_variable_is_defined_even_when_not_applicable() {
    let body: String = VARIABLES
        .iter()
        .map(|name| format!("{name}={{{{ {name} }}}}\n"))
        .collect();
    let template = Template {
        subject: "s".into(),
        body,
    };
    for kind in LetterKind::ALL {
        for language in LANGUAGES {
            let ctx = context(*kind, language);
            let letter = render(&template, &ctx, &names()).expect("every variable defined");
            assert_contains(&letter.body_text, &format!("kind={}", kind.as_str()));
        }
    }
    let ctx = context(LetterKind::Stage1Warning, Language::En);
    let text = render(&template, &ctx, &names())
        .expect("renders")
        .body_text;
    assert_contains(&text, "exceptional_reasons=\n");
    assert_contains(&text, "immediate=False\n");
    assert_contains(&text, "recommendation=\n");
    assert_contains(&text, "variation=\n");
    assert_contains(&text, "review_due_on=\n");
    assert_contains(&text, "appeal_deadline=5 January 2027\n");
}

#[test]
fn a_letter_to_a_representative_is_addressed_to_them_for_the_customer() {
    for (language, behalf) in [(Language::En, "on behalf of"), (Language::Cy, "ar ran")] {
        let mut ctx = context(LetterKind::Stage1Warning, language);
        ctx.addressee = Some(Addressee {
            name: "Rhian Advocate".into(),
            organisation: Some("Example Advocacy <Service>".into()),
            address: Some("2 Advocacy Street\nPontypridd".into()),
        });
        let letter = render_default(&ctx);
        let address = letter
            .body_html
            .split("<div class=\"address\">")
            .nth(1)
            .and_then(|s| s.split("</div>").next())
            .expect("an address block");
        assert_contains(address, "Rhian Advocate");
        assert_contains(address, &format!("{behalf} Mr Dafydd Evans"));
        assert_contains(address, "Example Advocacy &lt;Service&gt;");
        assert_contains(address, "2 Advocacy Street<br>\nPontypridd");
        assert!(!address.contains("Heol y Castell"), "{address}");
    }
}
