//! The printable HTML edition of a letter.

use std::fmt::Write as _;

use entities::enums::Language;

use super::{LetterContext, words};

/// A simple, print-friendly style: A4 margins, a readable serif-free face, no colours.
const STYLE: &str = "\
@page { size: A4; margin: 2cm 2.2cm; }
html { background: #fff; color: #000; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 12pt; line-height: 1.45; \
max-width: 42em; margin: 2em auto; padding: 0 1em; }
.address { margin: 0 0 2em 0; }
.meta { margin: 0 0 2em 0; }
.letter p { margin: 0 0 1em 0; }
@media print { body { margin: 0; padding: 0; max-width: none; } }
";

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text as HTML: blank-line-separated paragraphs become `<p>`, single newlines `<br>`,
/// everything escaped.
pub fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, out: &mut String| {
        if !current.is_empty() {
            let lines: Vec<String> = current.iter().map(|line| escape(line)).collect();
            let _ = writeln!(out, "<p>{}</p>", lines.join("<br>\n"));
            current.clear();
        }
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut current, &mut out);
        } else {
            current.push(line.trim_end());
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The complete HTML document: head with title and style, the address block, then the body.
pub fn document(ctx: &LetterContext, subject: &str, body_text: &str) -> String {
    let lang = match ctx.language {
        Language::En => "en",
        Language::Cy => "cy",
    };
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(escape)
            .collect()
    };
    let mut address_lines = Vec::new();
    match &ctx.addressee {
        // A representative the customer asked letters to go to: to them, for the customer.
        Some(to) => {
            address_lines.push(escape(to.name.trim()));
            address_lines.push(escape(&words::on_behalf_of(
                ctx.customer_name.trim(),
                ctx.language,
            )));
            if let Some(organisation) = &to.organisation {
                address_lines.extend(lines(organisation));
            }
            if let Some(address) = &to.address {
                address_lines.extend(lines(address));
            }
        }
        None => {
            address_lines.push(escape(ctx.customer_name.trim()));
            if let Some(address) = &ctx.customer_address {
                address_lines.extend(lines(address));
            }
        }
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n\
         <html lang=\"{lang}\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         <style>\n{STYLE}</style>\n\
         </head>\n\
         <body>\n\
         <div class=\"address\">\n<p>{address}</p>\n</div>\n\
         <p class=\"meta\">{date}<br>\n{reference_label}: {reference}</p>\n\
         <div class=\"letter\">\n{body}</div>\n\
         </body>\n\
         </html>\n",
        title = escape(subject),
        address = address_lines.join("<br>\n"),
        date = escape(&words::format_date(ctx.letter_date, ctx.language)),
        reference_label = escape(words::our_reference(ctx.language)),
        reference = escape(&ctx.case_reference),
        body = paragraphs(body_text),
    );
    out
}
