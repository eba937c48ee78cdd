//! Secrets written into files. One rule, `hardcoded-secret`; its helpers live beside it.
//!
//! The detector is also the engine's shield: [`find`] gives every secret in a file whatever
//! rule reports on it, and [`redact`] masks secrets in any text an output may print (other
//! rules' messages that quote a line, parse errors that quote a value), so no output shows a
//! secret whether `hardcoded-secret` is on, suppressed or baselined.

mod assign;
mod catalog;
mod checks;
pub mod hardcoded_secret;
mod scanner;

pub use scanner::Hit;

use crate::source::Span;

/// Every secret the detector sees in a file's text, before any judgement of the place
/// (test code, allow-markers): what code frames and messages must never show.
pub fn find(path: &str, text: &str) -> Vec<Hit> {
    match catalog::catalog() {
        Ok(catalog) => scanner::scan(
            catalog,
            text,
            assign::syntax_of(path, text),
            !is_bundle(path),
        ),
        Err(_) => Vec::new(),
    }
}

/// Minified or built JavaScript and CSS, and translation catalogs: read for token formats
/// only, never by name.
fn is_bundle(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    name.contains(".min.")
        || name.ends_with(".map")
        || name.ends_with(".bundle.js")
        || name.ends_with(".chunk.js")
        || lower
            .split('/')
            .rev()
            .skip(1)
            .any(|folder| matches!(folder, "dist" | "build" | "out" | ".next" | "public"))
            && (name.ends_with(".js")
                || name.ends_with(".mjs")
                || name.ends_with(".cjs")
                || name.ends_with(".css"))
        || lower.starts_with("dist/")
        || lower.contains("/dist/")
        // Translation catalogs: `"form.password": "Contraseña"` is a label, not a secret.
        || lower.split('/').rev().skip(1).any(|folder| {
            matches!(folder, "locale" | "locales" | "translations" | "i18n" | "lang" | "l10n")
        })
}

/// What replaces a secret in printed text: its public format prefix, if any, and stars.
const MASK: &str = "****";

/// `text` with every secret the detector finds in it, and every occurrence of one of
/// `known` (secrets found in the file the text quotes), masked.
pub fn redact(text: &str, known: &[&str]) -> String {
    let mut spans: Vec<(Span, usize)> = find("message.txt", text)
        .into_iter()
        .map(|hit| (hit.secret, hit.prefix))
        .collect();
    for secret in known {
        // Short values would mask ordinary words; every secret the detector reports is longer.
        if secret.len() < 6 {
            continue;
        }
        spans.extend(
            text.match_indices(secret)
                .map(|(at, s)| (Span::new(at, at + s.len()), 0)),
        );
    }
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_by_key(|(span, _)| (span.start, std::cmp::Reverse(span.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (span, prefix) in spans {
        if span.start < at {
            // Overlaps one already masked: mask only what is left of it.
            if span.end > at {
                out.push_str(MASK);
                at = span.end;
            }
            continue;
        }
        let keep = (span.start + prefix).min(span.end);
        out.push_str(text.get(at..keep).unwrap_or(""));
        out.push_str(MASK);
        at = span.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_found_and_known_secrets() {
        let message = "step runs `gcloud --access-token=hvs.CAESIJqYw1pN7mXr8kLz2QaTbVcDeFgHiJkLmNoPqRsTuVwX` unprotected";
        let out = redact(message, &[]);
        assert!(!out.contains("CAESIJ"), "{out}");
        assert!(out.contains("****"), "{out}");
        let out = redact(
            "invalid policy \"hvs.CAESIJqYw1pN7mXr8kLz2QaTbVcDeFgHiJkLmNoPqRsTuVwXyZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7\"",
            &[],
        );
        assert!(out.contains("hvs.****"), "{out}");
        let out = redact("quotes q7Rt9xKz2Lm4Pw8 here", &["q7Rt9xKz2Lm4Pw8"]);
        assert_eq!(out, "quotes **** here");
        assert_eq!(redact("nothing to hide", &["abc"]), "nothing to hide");
    }
}
