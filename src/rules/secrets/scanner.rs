//! The detector: one prefilter pass over a file's bytes, then only the checks it set off.
//!
//! Detectors run from the most specific to the least: private key blocks, token formats (in
//! `patterns.toml` order), passwords in URIs, and last the values of secret-like names. A
//! span claimed by an earlier detector, whether it was reported or vetoed (a GitHub token
//! with a bad checksum, an `…EXAMPLE` key), is not looked at again by a later one, so a fake
//! token assigned to `FIXTURE_TOKEN` is not reported as a generic token either.

use std::collections::{BTreeMap, BTreeSet};

use crate::source::Span;

use super::assign::{self, Syntax};
use super::catalog::{Catalog, Names, PEM_KEYWORD, Pattern, Trigger, Validator};
use super::checks;

/// One secret found.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Stable id of what found it: a pattern id, `private-key`, `uri-password` or
    /// `assigned-secret`.
    pub detector: String,
    /// What messages call it.
    pub kind: String,
    /// Where the finding points (the secret, or a whole key block).
    pub span: Span,
    /// The secret material, which no output may show.
    pub secret: Span,
    /// Leading bytes of the secret that are a public format marker (`ghp_`).
    pub prefix: usize,
    /// The name the value is assigned to, when that is how it was found.
    pub name: Option<String>,
    /// What to hash instead of the secret's text (a key block's body without layout).
    pub material: Option<String>,
    /// A token of a checksummed format whose checksum does not match: right-shaped, but a
    /// fake, a typo or an altered copy as often as a live token.
    pub checksum_failed: bool,
}

/// Spans already decided, reported or vetoed. A span overlaps the claimed ones exactly when it
/// overlaps their union, so non-empty claims are kept merged (strictly overlapping ones joined,
/// touching ones apart) and sorted, and a lookup is a binary search, not a scan of every claim.
/// Empty claims are points, kept apart.
#[derive(Default)]
struct Claimed {
    /// Start -> end of disjoint, non-touching-merged, non-empty spans.
    spans: BTreeMap<usize, usize>,
    points: BTreeSet<usize>,
}

impl Claimed {
    fn overlaps(&self, span: Span) -> bool {
        // Sorted and disjoint, so the last one starting before `span.end` ends latest of those.
        let in_spans = self
            .spans
            .range(..span.end)
            .next_back()
            .is_some_and(|(_, &end)| span.start < end);
        in_spans
            || (span.start < span.end.saturating_sub(1)
                && self.points.range(span.start + 1..span.end).next().is_some())
    }

    fn claim(&mut self, span: Span) {
        if span.end <= span.start {
            self.points.insert(span.start);
            return;
        }
        let (mut start, mut end) = (span.start, span.end);
        let joined: Vec<usize> = self
            .spans
            .range(..span.end)
            .rev()
            .take_while(|(_, e)| span.start < **e)
            .map(|(&s, _)| s)
            .collect();
        for s in joined {
            if let Some(e) = self.spans.remove(&s) {
                start = start.min(s);
                end = end.max(e);
            }
        }
        self.spans.insert(start, end);
    }
}

/// Every secret in `text`, in order.
///
/// `by_name` off (minified bundles, build output) reads token formats, keys and URIs only.
pub fn scan(catalog: &Catalog, text: &str, syntax: Syntax, by_name: bool) -> Vec<Hit> {
    let bytes = text.as_bytes();
    let mut triggered = vec![false; catalog.patterns.len()];
    let mut names = Vec::new();
    let mut pems = Vec::new();
    let mut uris = Vec::new();
    for m in catalog.automaton.find_overlapping_iter(text) {
        match catalog.triggers.get(m.pattern().as_usize()) {
            Some(Trigger::Pattern(index)) => {
                if let Some(slot) = triggered.get_mut(*index) {
                    *slot = true;
                }
            }
            Some(Trigger::Name) => names.push((m.start(), m.end())),
            Some(Trigger::PrivateKey) => pems.push(m.start()),
            Some(Trigger::Uri) => uris.push(m.start()),
            None => {}
        }
    }
    let mut claimed = Claimed::default();
    let mut hits = Vec::new();

    for at in pems {
        if claimed.overlaps(Span::new(at, at + 1)) {
            continue;
        }
        if let Some(hit) = private_key(text, at) {
            claimed.claim(hit.span);
            hits.push(hit);
        }
    }
    for (index, pattern) in catalog.patterns.iter().enumerate() {
        if triggered.get(index) == Some(&true) {
            match_pattern(catalog, pattern, text, &mut claimed, &mut hits);
        }
    }
    for at in uris {
        uri_password(catalog, text, at, &mut claimed, &mut hits);
    }
    // Sealed Secrets hold ciphertext under secret-like names, meant to be committed.
    if text.contains("kind: SealedSecret") || !by_name {
        names.clear();
    }
    let mut name_end = 0;
    for (at, end) in names {
        if at < name_end {
            continue;
        }
        let name = assign::name_around(bytes, at, end);
        name_end = name.end;
        if !readable_line(bytes, name.start) {
            continue;
        }
        assigned(catalog, text, name, syntax, &mut claimed, &mut hits);
    }
    hits.sort_by_key(|hit| (hit.span.start, hit.span.end));
    hits
}

fn match_pattern(
    catalog: &Catalog,
    pattern: &Pattern,
    text: &str,
    claimed: &mut Claimed,
    hits: &mut Vec<Hit>,
) {
    for captures in pattern.regex.captures_iter(text) {
        let group = pattern
            .secret_group
            .and_then(|g| captures.get(g))
            .or_else(|| captures.get(0));
        let Some(group) = group else {
            continue;
        };
        let span = Span::new(group.start(), group.end());
        if claimed.overlaps(span) {
            continue;
        }
        let secret = group.as_str();
        let valid = match pattern.validator {
            Some(Validator::GithubCrc32) => checks::github_checksum_ok(secret),
            Some(Validator::Jwt) => checks::jwt_ok(secret),
            Some(Validator::Base64Pem) => checks::base64_pem_ok(secret),
            Some(Validator::Base64Jwt) => checks::base64_jwt_ok(secret),
            None => true,
        };
        // A right-shaped GitHub or npm token whose checksum fails is still worth a look (a
        // copy with one character changed is still a live token's neighbour, and many
        // documentation samples are real-looking); it is reported, weakly, unless it is a
        // filler or a placeholder.
        let checksum_failed = !valid && pattern.validator == Some(Validator::GithubCrc32);
        // …but not where its own line calls it a fake (`FIXTURE_TOKEN=…`, `# invalid`): the
        // checksum and the line agree.
        if checksum_failed && line_calls_it_fake(text, span) {
            claimed.claim(span);
            continue;
        }
        // A malformed JWT-looking string may still be a token; a failed checksum is a fake.
        if !valid && pattern.validator == Some(Validator::Jwt) {
            continue;
        }
        let judged = || {
            let words = ["password".to_string()];
            judge_value(catalog, secret, &words, "password").is_some()
        };
        let plausible = (valid || checksum_failed)
            && pattern
                .entropy
                .is_none_or(|floor| checks::entropy(secret) >= floor)
            && (!pattern.judge || judged())
            // A right checksum is stronger evidence than any filler word in a random body.
            && ((pattern.validator == Some(Validator::GithubCrc32) && !checksum_failed)
                || !catalog.values.placeholders.matches(secret))
            // A checksum that fails leaves the body as the only evidence: it must look random.
            && !(checksum_failed && checks::made_up(secret.split_once('_').map_or(secret, |(_, body)| body)))
            && !catalog.public.value(secret);
        claimed.claim(span);
        if plausible {
            hits.push(Hit {
                detector: pattern.id.clone(),
                kind: pattern.kind.clone(),
                span,
                secret: span,
                prefix: pattern.prefix.min(secret.len()),
                name: None,
                material: None,
                checksum_failed,
            });
        }
    }
}

/// Whether the line holding `span` says its value is a fixture or a fake.
fn line_calls_it_fake(text: &str, span: Span) -> bool {
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i);
    let line = text[start..end].to_ascii_lowercase();
    [
        "fixture", "fake", "dummy", "example", "invalid", "mock", "sample",
    ]
    .iter()
    .any(|word| line.contains(word))
}

/// Longest line read by name: past it, a line is minified code or data, whose `key:"…"`
/// pairs are mostly not credentials (token formats are still read there).
const MAX_NAMED_LINE: usize = 5_000;

/// Whether the line holding `at` is one to read by name: not over [`MAX_NAMED_LINE`], and
/// not test-runner output (`--- PASS: TestX (0.89s)`, `=== RUN`).
fn readable_line(bytes: &[u8], at: usize) -> bool {
    // Looked for no further back than a readable line reaches: a minified line holds many
    // names, and finding its start from each of them made the scan quadratic.
    let from = at.saturating_sub(MAX_NAMED_LINE + 1);
    let start = match bytes[from..at].iter().rposition(|&b| b == b'\n') {
        Some(i) => from + i + 1,
        None if from == 0 => 0,
        None => return false,
    };
    let end = bytes[at..]
        .iter()
        .take(MAX_NAMED_LINE + 1)
        .position(|&b| b == b'\n')
        .map_or(bytes.len().min(at + MAX_NAMED_LINE + 1), |i| at + i);
    if end - start > MAX_NAMED_LINE {
        return false;
    }
    let line = String::from_utf8_lossy(&bytes[start..end]);
    let line = line.trim_start();
    const RUNNER: [&str; 8] = [
        "--- PASS",
        "--- FAIL",
        "--- SKIP",
        "=== RUN",
        "=== PAUSE",
        "=== CONT",
        "PASS:",
        "FAIL:",
    ];
    !RUNNER.iter().any(|r| line.starts_with(r))
}

/// Longest private key block looked for (an RSA 8192 key is about 6.5 KB of base64).
const MAX_KEY_BLOCK: usize = 64 * 1024;

/// `-----BEGIN … PRIVATE KEY-----`, a base64 body, `-----END …-----`. The body may be
/// indented (YAML), quoted line by line (JSON arrays) or joined with `\n` escapes.
fn private_key(text: &str, at: usize) -> Option<Hit> {
    let bytes = text.as_bytes();
    if !bytes[at..].starts_with(PEM_KEYWORD.as_bytes()) {
        return None;
    }
    let label_start = at + PEM_KEYWORD.len();
    let label_end = label_start + find(&bytes[label_start..], b"-----", 100)?;
    let label = text.get(label_start..label_end)?.trim();
    if !(label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
        || label.contains("ENCRYPTED")
        || !label.bytes().all(|b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'_' || b == b'-'
        })
    {
        return None;
    }
    let body_start = label_end + 5;
    let body_end = body_start + find(&bytes[body_start..], b"-----END", MAX_KEY_BLOCK)?;
    let footer_start = body_end + "-----END".len();
    let end = footer_start + find(&bytes[footer_start..], b"-----", 100)? + 5;
    let body = text.get(body_start..body_end)?;
    // Passphrase-protected (legacy PEM encryption headers): not usable as found.
    if body.contains("ENCRYPTED") {
        return None;
    }
    let mut material = String::with_capacity(body.len());
    let mut junk = 0;
    let mut escape = false;
    for b in body.bytes() {
        if escape {
            escape = false;
            if matches!(b, b'n' | b'r' | b't') {
                continue;
            }
        }
        match b {
            b'\\' => escape = true,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {
                material.push(char::from(b));
            }
            b'"' | b'\'' | b',' | b' ' | b'\t' | b'\r' | b'\n' | b'|' => {}
            _ => junk += 1,
        }
    }
    if material.len() < 64 || junk * 10 > material.len() || checks::entropy(&material) < 4.5 {
        return None;
    }
    Some(Hit {
        detector: "private-key".into(),
        kind: label.to_string(),
        span: Span::new(at, end),
        secret: Span::new(body_start, body_end),
        prefix: 0,
        name: None,
        material: Some(material),
        checksum_failed: false,
    })
}

fn find(haystack: &[u8], needle: &[u8], limit: usize) -> Option<usize> {
    let window = &haystack[..haystack.len().min(limit + needle.len())];
    window.windows(needle.len()).position(|w| w == needle)
}

/// Bytes that end a URI's authority (`scheme://user:password@host`).
const AUTHORITY_STOPS: &[u8] = b" \t\r\n/?\"'`<>\\";

/// `scheme://user:password@host`: the password, unless it is a reference or a placeholder.
fn uri_password(
    catalog: &Catalog,
    text: &str,
    at: usize,
    claimed: &mut Claimed,
    hits: &mut Vec<Hit>,
) {
    let bytes = text.as_bytes();
    let mut scheme_start = at;
    while scheme_start > 0
        && at - scheme_start < 32
        && (bytes[scheme_start - 1].is_ascii_alphanumeric()
            || matches!(bytes[scheme_start - 1], b'+' | b'.' | b'-'))
    {
        scheme_start -= 1;
    }
    while scheme_start < at && !bytes[scheme_start].is_ascii_alphabetic() {
        scheme_start += 1;
    }
    if at - scheme_start < 2 {
        return;
    }
    let authority_start = at + 3;
    let mut end = authority_start;
    while end < bytes.len() && end - authority_start < 512 && !AUTHORITY_STOPS.contains(&bytes[end])
    {
        end += 1;
    }
    let authority = &bytes[authority_start..end];
    let Some(at_sign) = authority.iter().rposition(|&b| b == b'@') else {
        return;
    };
    let Some(colon) = authority[..at_sign].iter().position(|&b| b == b':') else {
        return;
    };
    let host = &authority[at_sign + 1..];
    if !host
        .first()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'[')
    {
        return;
    }
    let span = Span::new(authority_start + colon + 1, authority_start + at_sign);
    if span.end <= span.start || claimed.overlaps(span) {
        return;
    }
    let (Some(user), Some(password), Some(scheme)) = (
        text.get(authority_start..span.start - 1),
        text.get(span.start..span.end),
        text.get(scheme_start..at),
    ) else {
        return;
    };
    claimed.claim(span);
    let rejected = password.len() < 4
        || password == user
        || checks::is_reference(password)
        || catalog.values.placeholders.matches(password)
        || checks::made_up(password)
        || password.contains('%') && password.len() < 16;
    if rejected {
        return;
    }
    hits.push(Hit {
        detector: "uri-password".into(),
        kind: format!("password in a {scheme}:// URI"),
        span,
        secret: span,
        prefix: 0,
        name: None,
        material: None,
        checksum_failed: false,
    });
}

/// The value of a secret-like name, when it is a literal that could be a secret.
fn assigned(
    catalog: &Catalog,
    text: &str,
    name: Span,
    syntax: Syntax,
    claimed: &mut Claimed,
    hits: &mut Vec<Hit>,
) {
    let bytes = text.as_bytes();
    let Some(assignment) = assign::read(bytes, name, syntax) else {
        return;
    };
    let (Some(name_text), Some(value)) = (
        text.get(name.start..name.end),
        text.get(assignment.value.start..assignment.value.end),
    ) else {
        return;
    };
    let words = assign::words(name_text);
    let Some(kind) = name_kind(&catalog.names, &words) else {
        return;
    };
    if catalog.public.name(name_text) || catalog.public.value(value) {
        claimed.claim(assignment.value);
        return;
    }
    if claimed.overlaps(assignment.value) {
        return;
    }
    // A bare value with brackets is an expression (`os.getenv(`, `cfg[key]`), not a literal.
    if !assignment.quoted && value.contains(['(', ')', '[', ']', '{', '}', '<', '>']) {
        return;
    }
    let Some(kind) = judge_value(catalog, value, &words, kind) else {
        return;
    };
    claimed.claim(assignment.value);
    hits.push(Hit {
        detector: "assigned-secret".into(),
        kind: kind.into(),
        span: assignment.value,
        secret: assignment.value,
        prefix: 0,
        name: Some(name_text.trim_start_matches('-').to_string()),
        material: None,
        checksum_failed: false,
    });
}

/// Whether a name's words make it secret-like, and what to call its value.
fn name_kind(names: &Names, words: &[String]) -> Option<&'static str> {
    let (last, earlier) = words.split_last()?;
    if earlier
        .last()
        .is_some_and(|prev| names.not_after.contains(prev))
    {
        return None;
    }
    let secret_word = names.secret_words.contains(last)
        || names
            .secret_suffixes
            .iter()
            .any(|suffix| last.ends_with(suffix.as_str()));
    if secret_word {
        return Some(if last.contains("pass") || last == "pwd" {
            "password"
        } else if last.ends_with("key") {
            "secret key"
        } else if last.ends_with("secret") {
            "secret"
        } else if last.starts_with("cred") {
            "credential"
        } else {
            "token"
        });
    }
    let qualified = |list: &[String]| earlier.iter().any(|w| list.contains(w));
    if last == "key" && qualified(&names.key_qualifiers) && !qualified(&names.key_disqualifiers) {
        return Some(if earlier.iter().any(|w| w == "api") {
            "API key"
        } else {
            "secret key"
        });
    }
    None
}

/// The kind to report a name's value as, or `None` when the value is not a plausible secret.
fn judge_value(
    catalog: &Catalog,
    value: &str,
    words: &[String],
    kind: &'static str,
) -> Option<&'static str> {
    let rules = &catalog.values;
    let length = value.chars().count();
    // Credentials are ASCII; a value with other letters is prose (a translated label).
    if length < rules.min_length
        || value.len() > 1024
        || value.contains(char::is_whitespace)
        || !value.is_ascii()
        || (is_uuid(value) && !words.iter().any(|w| rules.uuid_key_names.contains(w)))
    {
        return None;
    }
    if checks::is_reference(value) || rules.placeholders.matches(value) {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if words
        .last()
        .is_some_and(|w| w.len() >= 4 && lower.contains(w.as_str()))
    {
        return None;
    }
    // AWS secret access keys: 40 base64 characters, found by name (they have no prefix).
    let aws_shape = value.len() == 40
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        && value.bytes().any(|b| b.is_ascii_uppercase())
        && value
            .bytes()
            .any(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let aws_name = kind == "secret key"
        && words
            .iter()
            .any(|w| w == "aws" || w == "secret" || w == "access");
    if aws_shape && aws_name {
        return (checks::entropy(value) >= rules.entropy).then_some("AWS secret access key");
    }
    let path = ["/", "./", "../", "~/", "\\\\"]
        .iter()
        .any(|p| value.starts_with(p));
    let structured = ["arn:", "sha256:", "sha1:", "sha512:", "md5:", "file:"]
        .iter()
        .any(|p| lower.starts_with(p))
        || value.contains("://");
    if path
        || structured
        || identifier_like(value)
        || char_classes(value) < 2
        || checks::made_up(value)
    {
        return None;
    }
    (checks::entropy(value) >= rules.entropy).then_some(kind)
}

/// `8-4-4-4-12` hex: an identifier (a request, key or tenant id), not a credential.
fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How many of lower case, upper case, digits and other characters a value mixes.
fn char_classes(value: &str) -> usize {
    let b = value.as_bytes();
    [
        b.iter().any(u8::is_ascii_lowercase),
        b.iter().any(u8::is_ascii_uppercase),
        b.iter().any(u8::is_ascii_digit),
        b.iter().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&x| x)
    .count()
}

/// A name rather than a secret: `my-k8s-secret-name`, `prod.db.password`, `DB_PASSWORD_PROD`.
fn identifier_like(value: &str) -> bool {
    let b = value.as_bytes();
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let wordy = letters * 10 >= b.len() * 7;
    let separated = b.iter().any(|c| matches!(c, b'-' | b'_' | b'.'));
    let lower_name = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.'));
    let upper_name = b
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
    // Each longer part reads as a word (`secret`, `app01`): random bodies joined by `-`/`_`
    // (`9ibicekni2ra-rksj2qn`) are not names.
    let long: Vec<&str> = value
        .split(['-', '_', '.'])
        .filter(|part| part.len() > 3)
        .collect();
    let words = long.iter().filter(|part| checks::wordlike(part)).count();
    let parts_wordlike = words * 2 >= long.len();
    wordy && separated && (lower_name || upper_name) && parts_wordlike
}

#[cfg(test)]
mod tests {
    use super::super::catalog::catalog;
    use super::*;

    /// The merged, sorted claims answer as the plain list of every claim did, empty spans and
    /// touching ones included.
    #[test]
    fn claimed_overlaps_as_the_list_of_every_claim() {
        let mut claimed = Claimed::default();
        let mut list: Vec<Span> = Vec::new();
        let mut seed = 7u64;
        let mut next = |bound: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % bound) as usize
        };
        for _ in 0..400 {
            let start = next(300);
            let span = Span::new(start, start + next(6));
            let expected = list
                .iter()
                .any(|c| c.start < span.end && span.start < c.end);
            assert_eq!(
                claimed.overlaps(span),
                expected,
                "{span:?} against {list:?}"
            );
            if next(2) == 0 {
                claimed.claim(span);
                list.push(span);
            }
        }
    }

    fn found(text: &str, syntax: Syntax) -> Vec<(String, String)> {
        let catalog = catalog().unwrap();
        scan(catalog, text, syntax, true)
            .into_iter()
            .map(|h| (h.detector, text[h.secret.start..h.secret.end].to_string()))
            .collect()
    }

    #[test]
    fn identifiers_are_not_secrets() {
        for v in [
            "my-k8s-secret-name",
            "prod.db.password",
            "DB_PASSWORD_PROD",
            "gcntfy-key-name-uuid-uuid",
        ] {
            assert!(identifier_like(v), "{v}");
        }
        for v in [
            "x7k2-m9p4-q8r1",
            "Q7rt9!xKz2Lm4Pw8",
            "9ibicekni2ra6r8mmbijdtrn-rksj2qn",
        ] {
            assert!(!identifier_like(v), "{v}");
        }
    }

    #[test]
    fn names() {
        let c = catalog().unwrap();
        let kind = |n: &str| name_kind(&c.names, &assign::words(n));
        assert_eq!(kind("DB_PASSWORD"), Some("password"));
        assert_eq!(kind("SecretAccessKey"), Some("secret key"));
        assert_eq!(kind("x-api-key"), Some("API key"));
        assert_eq!(kind("GH_TOKEN"), Some("token"));
        assert_eq!(kind("csrf_token"), None);
        assert_eq!(kind("kms_key_id"), None);
        assert_eq!(kind("public_key"), None);
        assert_eq!(kind("key"), None);
        assert_eq!(kind("password_file"), None);
        assert_eq!(kind("tls_key_file"), None);
    }

    #[test]
    fn uri_passwords() {
        let hits = found(
            "psql \"postgresql://app:Xk9#mP2qLw7!@db.acme.internal:5432/x\"",
            Syntax::Shell,
        );
        assert_eq!(
            hits,
            [("uri-password".to_string(), "Xk9#mP2qLw7!".to_string())]
        );
        assert!(found("url: https://${USER}:${PASS}@host/x", Syntax::Yaml).is_empty());
        assert!(found("postgres://postgres:postgres@localhost/db", Syntax::Yaml).is_empty());
        assert!(found("https://github.com/acme/x.git?ref=abc", Syntax::Yaml).is_empty());
    }

    /// Formats found only in their context (no self-delimited sample): each fires, and a
    /// twin with the same shape out of context, or a filler, stays quiet.
    #[test]
    fn formats_in_context() {
        let fires = [
            (
                "nuget-config-password",
                "<add key=\"ClearTextPassword\" value=\"q8Rt2vLx9KmZ4wPn\" />",
                Syntax::Text,
            ),
            (
                "api-key-header",
                "curl -H 'X-Api-Key: 8c1f0a7d3e9b42c6a5f1d0e7b3c9a4f2' https://x.io",
                Syntax::Shell,
            ),
            (
                "facebook-app-token",
                "facebook: 3918275640192837|Qx7rT2mVk9LpZ3wNc8bYf4HdJ6sGa",
                Syntax::Yaml,
            ),
            (
                "sidekiq-source-url",
                "source \"https://0f3a9c1e:7b2d4e6f@gems.contribsys.com/\"",
                Syntax::Text,
            ),
            (
                "aspnet-data-protection-key",
                "<masterKey p4:requiresEncryption=\"true\">\n  <!-- Warning: the key below is in an unencrypted form. -->\n  <value>Qx7rT2mVk9LpZ3wNc8bYf4HdJ6sGa1eUo0iKq5zXw9vBn3mLp7tRy2uSd4fGh8jK==</value>\n</masterKey>",
                Syntax::Text,
            ),
            (
                "sidekiq-bundler-setting",
                "BUNDLE_GEMS__CONTRIBSYS__COM=0f3a9c1e:7b2d4e6f",
                Syntax::Shell,
            ),
        ];
        for (detector, text, syntax) in fires {
            let hits = found(text, syntax);
            assert!(
                hits.iter().any(|(d, _)| d == detector),
                "{detector}: {hits:?}"
            );
        }
        let quiet = [
            "<add key=\"ClearTextPassword\" value=\"changeme-please\" />",
            "<add key=\"Username\" value=\"q8Rt2vLx9KmZ4wPn\" />",
            "curl -H 'X-Api-Key: ${API_KEY}' https://x.io",
            "id: 3918275640192837|Qx7rT2mVk9LpZ3wNc8bYf4HdJ6sGa",
            "source \"https://0f3a9c1e:7b2d4e6f@rubygems.org/\"",
            "<masterKey>\n  <keyId>Qx7rT2mVk9LpZ3wNc8bYf4HdJ6sGa1eUo0iKq5zXw9vBn3mLp7tRy2u</keyId>",
        ];
        for text in quiet {
            let hits = found(text, Syntax::Text);
            assert!(
                !hits.iter().any(|(d, _)| d != "uri-password"),
                "{text}: {hits:?}"
            );
        }
    }

    /// A base64-encoded JWT is found when it decodes to one, not for any `ZXlK…` run.
    #[test]
    fn base64_jwts() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI4MjczNjQ1IiwiaWF0IjoxNzAwMDAwMDAwfQ.Qk3l9vXbT2mR8pLz4wNc7yHd0sFa6gJe1uKi5oPq2rM";
        let encoded = "ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5LmV5SnpkV0lpT2lJNE1qY3pOalExSWl3aWFXRjBJam94TnpBd01EQXdNREF3ZlEuUWszbDl2WGJUMm1SOHBMejR3TmM3eUhkMHNGYTZnSmUxdUtpNW9QcTJyTQ==";
        assert!(checks::base64_jwt_ok(encoded), "{jwt}");
        let hits = found(&format!("auth: {encoded}\n"), Syntax::Yaml);
        assert!(hits.iter().any(|(d, _)| d == "base64-jwt"), "{hits:?}");
        let noise = "ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5Qk3l9vXbT2mR8pLz4wNc7yHd0sFa6gJe1uKi5oPq2rM";
        assert!(
            !found(&format!("blob: {noise}\n"), Syntax::Yaml)
                .iter()
                .any(|(d, _)| d == "base64-jwt")
        );
    }

    /// A right-shaped GitHub token whose checksum fails is reported, flagged as such; a
    /// filler in the same shape is not.
    #[test]
    fn github_tokens_with_a_bad_checksum() {
        let catalog = catalog().unwrap();
        let text = "token: ghp_R7mQ2xKp9LwZ4vNc8bYt3HdJ6sGa1fEu0iOk\n";
        let hits = scan(catalog, text, Syntax::Yaml, true);
        assert!(
            hits.iter()
                .any(|h| h.detector == "github-pat" && h.checksum_failed),
            "{hits:?}"
        );
        for filler in [
            "token: ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
            "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
            "FIXTURE_TOKEN=ghp_R7mQ2xKp9LwZ4vNc8bYt3HdJ6sGa1fEu0iOk\n",
        ] {
            assert!(
                scan(catalog, filler, Syntax::Yaml, true).is_empty(),
                "{filler}"
            );
        }
    }

    #[test]
    fn uuids_only_under_providers_whose_keys_they_are() {
        let key = "5aa298e3-8afb-4db1-8b45-bcc6e36c0609";
        assert!(!found(&format!("HEROKU_API_KEY={key}\n"), Syntax::Shell).is_empty());
        assert!(found(&format!("TENANT_API_KEY={key}\n"), Syntax::Shell).is_empty());
    }

    #[test]
    fn placeholders_in_camel_case() {
        for text in [
            "\"password\": \"SecurePwdGoesHere\"",
            "\"password\": \"EnterYourPasswordHere1\"",
        ] {
            assert!(found(text, Syntax::Json).is_empty(), "{text}");
        }
        assert!(!found("\"password\": \"Qx7rT2mVk9LpZ3wN\"", Syntax::Json).is_empty());
    }
}
