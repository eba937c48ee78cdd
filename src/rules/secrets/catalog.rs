//! The rule's data (`rules/secrets/*.toml`, embedded at build time), compiled once: token
//! patterns with their regexes, the name lexicon and value filters, and one Aho-Corasick
//! automaton over every literal any detector needs, so each file is prefiltered in one pass.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::Regex;
use serde::Deserialize;

use super::checks::Placeholders;

const PATTERNS_TOML: &str = include_str!("../../../rules/secrets/patterns.toml");
const CONTEXT_TOML: &str = include_str!("../../../rules/secrets/context.toml");
const PUBLIC_TOML: &str = include_str!("../../../rules/secrets/public.toml");

/// Literal that starts a PEM private key block.
pub const PEM_KEYWORD: &str = "-----BEGIN";
/// Literal at the heart of every URI that may carry `user:password@`.
pub const URI_KEYWORD: &str = "://";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    pattern: Vec<PatternSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternSpec {
    id: String,
    kind: String,
    keywords: Vec<String>,
    regex: String,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    validator: Option<String>,
    #[serde(default)]
    prefix: usize,
    #[serde(default)]
    judge: bool,
    /// A made-up example of the format, which the pattern must find (a test checks it).
    #[serde(default)]
    sample: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    names: NamesSpec,
    values: ValuesSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesSpec {
    keywords: Vec<String>,
    secret_words: Vec<String>,
    secret_suffixes: Vec<String>,
    key_qualifiers: Vec<String>,
    key_disqualifiers: Vec<String>,
    not_after: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValuesSpec {
    min_length: usize,
    entropy: f64,
    placeholder_substrings: Vec<String>,
    placeholder_values: Vec<String>,
    uuid_key_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicFile {
    value: Vec<PublicEntry>,
    prefix: Vec<PublicEntry>,
    name: Vec<PublicEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicEntry {
    #[serde(alias = "prefix")]
    value: String,
    /// Why the value is public; required, read only by people.
    #[allow(dead_code)]
    why: String,
}

/// Values public by design (`public.toml`).
pub struct Public {
    values: Vec<String>,
    prefixes: Vec<String>,
    /// Lower-case name prefixes.
    names: Vec<String>,
}

impl Public {
    pub fn value(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
            || self.prefixes.iter().any(|p| value.starts_with(p.as_str()))
    }

    pub fn name(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        let lower = lower.trim_start_matches(['-', '$', '"', '\'']);
        self.names.iter().any(|p| lower.starts_with(p.as_str()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validator {
    GithubCrc32,
    Jwt,
    /// Base64 of a PEM private key block (`LS0tLS1CRUdJTi…`): it must decode to one.
    Base64Pem,
    /// Base64 of a JWT (`ZXlK…`): it must decode to one whose header names its `alg`.
    Base64Jwt,
}

/// One token format.
pub struct Pattern {
    pub id: String,
    pub kind: String,
    pub regex: Regex,
    /// Index of the `secret` capture group, if the regex has one.
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    pub validator: Option<Validator>,
    /// Leading characters of the secret that are a public format marker.
    pub prefix: usize,
    /// Whether the secret must also pass the checks for values found by name.
    pub judge: bool,
    #[cfg_attr(not(test), allow(dead_code))]
    pub sample: Option<String>,
}

/// Which names make their value a candidate; see `context.toml`.
pub struct Names {
    pub secret_words: Vec<String>,
    pub secret_suffixes: Vec<String>,
    pub key_qualifiers: Vec<String>,
    pub key_disqualifiers: Vec<String>,
    pub not_after: Vec<String>,
}

pub struct Values {
    pub min_length: usize,
    pub entropy: f64,
    pub placeholders: Placeholders,
    /// Name words of providers whose API keys are UUIDs, lower-case.
    pub uuid_key_names: Vec<String>,
}

/// What a keyword found by the automaton sets off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Pattern(usize),
    Name,
    PrivateKey,
    Uri,
}

pub struct Catalog {
    pub patterns: Vec<Pattern>,
    pub names: Names,
    pub values: Values,
    pub public: Public,
    pub automaton: AhoCorasick,
    /// By automaton pattern index.
    pub triggers: Vec<Trigger>,
}

static CATALOG: LazyLock<Result<Catalog, String>> =
    LazyLock::new(|| Catalog::parse(PATTERNS_TOML, CONTEXT_TOML, PUBLIC_TOML));

/// The embedded catalog; an error only if the embedded data is broken (a test guards that).
pub fn catalog() -> Result<&'static Catalog, &'static str> {
    CATALOG.as_ref().map_err(String::as_str)
}

fn lower(words: Vec<String>) -> Vec<String> {
    words.into_iter().map(|w| w.to_ascii_lowercase()).collect()
}

impl Catalog {
    pub fn parse(
        patterns_toml: &str,
        context_toml: &str,
        public_toml: &str,
    ) -> Result<Self, String> {
        let public: PublicFile =
            toml::from_str(public_toml).map_err(|e| format!("public.toml: {e}"))?;
        let file: PatternFile =
            toml::from_str(patterns_toml).map_err(|e| format!("patterns.toml: {e}"))?;
        let context: ContextFile =
            toml::from_str(context_toml).map_err(|e| format!("context.toml: {e}"))?;
        let mut keywords: Vec<String> = Vec::new();
        let mut triggers = Vec::new();
        let mut patterns = Vec::new();
        for (index, spec) in file.pattern.into_iter().enumerate() {
            let regex = Regex::new(&spec.regex)
                .map_err(|e| format!("patterns.toml: pattern `{}`: {e}", spec.id))?;
            let secret_group = regex
                .capture_names()
                .position(|name| name == Some("secret"));
            let validator = match spec.validator.as_deref() {
                None => None,
                Some("github-crc32") => Some(Validator::GithubCrc32),
                Some("jwt") => Some(Validator::Jwt),
                Some("base64-pem") => Some(Validator::Base64Pem),
                Some("base64-jwt") => Some(Validator::Base64Jwt),
                Some(other) => {
                    return Err(format!(
                        "patterns.toml: pattern `{}`: unknown validator `{other}`",
                        spec.id
                    ));
                }
            };
            if spec.keywords.is_empty() {
                return Err(format!(
                    "patterns.toml: pattern `{}` has no keywords",
                    spec.id
                ));
            }
            for keyword in spec.keywords {
                keywords.push(keyword);
                triggers.push(Trigger::Pattern(index));
            }
            patterns.push(Pattern {
                sample: spec.sample,
                id: spec.id,
                kind: spec.kind,
                regex,
                secret_group,
                entropy: spec.entropy,
                validator,
                prefix: spec.prefix,
                judge: spec.judge,
            });
        }
        for keyword in &context.names.keywords {
            keywords.push(keyword.clone());
            triggers.push(Trigger::Name);
        }
        keywords.push(PEM_KEYWORD.into());
        triggers.push(Trigger::PrivateKey);
        keywords.push(URI_KEYWORD.into());
        triggers.push(Trigger::Uri);
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .map_err(|e| format!("keyword automaton: {e}"))?;
        let names = context.names;
        let values = context.values;
        Ok(Self {
            patterns,
            names: Names {
                secret_words: lower(names.secret_words),
                secret_suffixes: lower(names.secret_suffixes),
                key_qualifiers: lower(names.key_qualifiers),
                key_disqualifiers: lower(names.key_disqualifiers),
                not_after: lower(names.not_after),
            },
            values: Values {
                min_length: values.min_length,
                entropy: values.entropy,
                placeholders: Placeholders {
                    substrings: lower(values.placeholder_substrings),
                    values: lower(values.placeholder_values),
                },
                uuid_key_names: lower(values.uuid_key_names),
            },
            public: Public {
                values: public.value.into_iter().map(|e| e.value).collect(),
                prefixes: public.prefix.into_iter().map(|e| e.value).collect(),
                names: public
                    .name
                    .into_iter()
                    .map(|e| e.value.to_ascii_lowercase())
                    .collect(),
            },
            automaton,
            triggers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_compiles() {
        let catalog = catalog().unwrap();
        assert!(catalog.patterns.len() > 20);
        let mut ids: Vec<&str> = catalog.patterns.iter().map(|p| p.id.as_str()).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "pattern ids are unique");
        for pattern in &catalog.patterns {
            assert!(
                pattern
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                pattern.id
            );
        }
    }

    #[test]
    fn every_sample_is_found_by_its_own_pattern() {
        let catalog = catalog().unwrap();
        let mut checked = 0;
        for pattern in &catalog.patterns {
            let Some(sample) = &pattern.sample else {
                continue;
            };
            let text = format!("value: {sample}\n");
            let hits = super::super::scanner::scan(
                catalog,
                &text,
                super::super::assign::Syntax::Text,
                false,
            );
            assert!(
                hits.iter().any(|h| h.detector == pattern.id),
                "{}: {hits:?}",
                pattern.id
            );
            // Word boundaries: glued to a longer word, it is not the token.
            let glued = format!("value: x{sample}x\n");
            let hits = super::super::scanner::scan(
                catalog,
                &glued,
                super::super::assign::Syntax::Text,
                false,
            );
            assert!(
                !hits.iter().any(|h| h.detector == pattern.id),
                "{} matches inside a word",
                pattern.id
            );
            checked += 1;
        }
        assert!(checked >= 25, "{checked} samples");
    }

    #[test]
    fn bad_data_is_an_error_not_a_panic() {
        assert!(Catalog::parse("[[pattern]]\nid = 1", CONTEXT_TOML, PUBLIC_TOML).is_err());
        let bad_regex =
            "[[pattern]]\nid = \"x\"\nkind = \"x\"\nkeywords = [\"x\"]\nregex = \"(\"\n";
        assert!(Catalog::parse(bad_regex, CONTEXT_TOML, PUBLIC_TOML).is_err());
    }
}
