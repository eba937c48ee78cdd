//! Cheap tests on a candidate value: checksums, entropy, placeholders and references.

/// Shannon entropy in bits per character (bytes, which is what the token alphabets are).
pub fn entropy(value: &str) -> f64 {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3), the checksum GitHub and npm tokens carry.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc = CRC32_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// GitHub's token format (ghp_, gho_, ghu_, ghs_, ghr_; npm_ uses the same scheme): a prefix,
/// a 30-character body, and the body's CRC32 in 6 base62 digits. A random look-alike fails
/// this one time in 57 billion.
/// <https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/>
pub fn github_checksum_ok(token: &str) -> bool {
    let Some((_, rest)) = token.split_once('_') else {
        return false;
    };
    let bytes = rest.as_bytes();
    if bytes.len() != 36 {
        return false;
    }
    let (body, check) = bytes.split_at(30);
    base62_6(crc32(body)) == *check
}

/// Decodes unpadded base64url (or standard base64) leniently; `None` on a foreign byte.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in text.trim_end_matches('=').as_bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A JWT's header is base64url JSON naming its algorithm.
pub fn jwt_ok(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Some(decoded) = base64_decode(header) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    text.trim_start().starts_with('{') && text.contains("\"alg\"")
}

/// `ZXlK…`: base64 that decodes to a JWT (`eyJ…`) whose header names its `alg`.
pub fn base64_jwt_ok(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Some(decoded) = base64_decode(compact.trim_end_matches('=')) else {
        return false;
    };
    std::str::from_utf8(&decoded).is_ok_and(|jwt| jwt.matches('.').count() == 2 && jwt_ok(jwt))
}

/// `LS0tLS1CRUdJTi…`: base64 that decodes to a PEM private key block (not an encrypted one).
pub fn base64_pem_ok(text: &str) -> bool {
    let Some(decoded) = base64_decode(text) else {
        return false;
    };
    let decoded = String::from_utf8_lossy(&decoded);
    decoded.starts_with("-----BEGIN")
        && decoded.contains("PRIVATE KEY-----")
        && !decoded.contains("ENCRYPTED")
}

/// A value a person made up rather than a generator: dictionary-like words with at most a
/// few digits and symbols (`secret123`, `MyPickles1`, `Testing!123`, `Very(!)Secure`),
/// words joined by separators (`ghp_test_123`, `X-Auth-Token`, `accounts-pwd`), the same
/// in leetspeak (`Pass@word1`, `P@55w3rd`, `Sup3rS3cur3_P4ssw0rd`), keyboard runs
/// (`qwerty`, `1qaz2wsx`), runs of one character (`AAAAbbbb-cccc-…`), values of four or
/// fewer distinct characters, and values that say they are not a key (`…-notAKey-…`).
pub fn made_up(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const KEYBOARD: [&str; 8] = [
        "qwert", "asdf", "zxcv", "1qaz", "qazwsx", "poiuy", "lkjh", "yxcv",
    ];
    const NOT_A_KEY: [&str; 6] = [
        "notakey",
        "not-a-key",
        "not_a_key",
        "notreal",
        "notasecret",
        "nottherealone",
    ];
    if KEYBOARD.iter().chain(&NOT_A_KEY).any(|k| lower.contains(k)) {
        return true;
    }
    let bytes = value.as_bytes();
    // Four of a kind in a row is a filler in a short value; a long random body has one by
    // chance (a 64-character hex key about one time in 70), so there it takes five, or two
    // runs of four (`AAAAbbbb-cccc-…`).
    let same = |w: &[u8]| w.iter().all(|b| *b == w[0]);
    let fours = bytes
        .windows(4)
        .enumerate()
        .filter(|(i, w)| same(w) && (*i == 0 || bytes[i - 1] != w[0]))
        .count();
    if fours > usize::from(bytes.len() > 24) || bytes.windows(5).any(same) {
        return true;
    }
    let mut distinct: Vec<u8> = bytes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 4 {
        return true;
    }
    let leet: String = value
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect();
    // A long phrase of words is a passphrase someone chose as a key (`SecretKeyOfDoom…`).
    value.len() < PASSPHRASE && (words_and_numbers(value) || words_and_numbers(&leet))
}

/// From this length on, a value of words is a passphrase, not a filler.
const PASSPHRASE: usize = 32;

/// Whether a value is only words (camelCase or not) and short numbers, with a few symbols.
fn words_and_numbers(value: &str) -> bool {
    let symbols = value.bytes().filter(|b| !b.is_ascii_alphanumeric()).count();
    let parts: Vec<&str> = value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    let separated = parts.len() > 1
        && value
            .bytes()
            .any(|b| matches!(b, b'-' | b'_' | b'.' | b':' | b'/'));
    if parts.is_empty() || (symbols > 3 && !separated) {
        return false;
    }
    // Among separated parts, a short one (`ghp`, `v2`, `pwd`) is a prefix or a tag.
    parts
        .iter()
        .all(|part| (separated && part.len() <= 3) || wordlike(part))
}

/// A word, or camelCase words, with at most four digits after them; or a short number.
pub fn wordlike(part: &str) -> bool {
    let letters_end = part
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(part.len());
    let (letters, tail) = part.split_at(letters_end);
    if tail.len() > 4 || tail.bytes().any(|b| !b.is_ascii_digit()) {
        return false;
    }
    if letters.is_empty() {
        return !tail.is_empty();
    }
    let humps = humps(letters);
    // Words have at most one hump of one or two letters (`MyPickles`, `pAssword`).
    if humps.iter().filter(|h| h.len() <= 2).count() > 1 {
        return false;
    }
    humps.iter().all(|hump| {
        hump.len() <= 2
            || hump.bytes().any(|b| {
                matches!(
                    b.to_ascii_lowercase(),
                    b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
                )
            }) && !consonant_cluster(hump)
    })
}

/// A run of five consonants: rare in words, common in random letters.
fn consonant_cluster(word: &str) -> bool {
    let mut run = 0;
    for b in word.bytes() {
        if matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        ) {
            run = 0;
        } else {
            run += 1;
            if run >= 5 {
                return true;
            }
        }
    }
    false
}

/// camelCase humps of a run of letters: `MyPickles` is `My`, `Pickles`; `ABCToken` is `ABC`,
/// `Token`; all lower or all upper is one hump. A random mix of cases gives many short humps.
fn humps(letters: &str) -> Vec<&str> {
    let b = letters.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..b.len() {
        let boundary = b[i].is_ascii_uppercase()
            && (b[i - 1].is_ascii_lowercase()
                || (b[i - 1].is_ascii_uppercase()
                    && b.get(i + 1).is_some_and(u8::is_ascii_lowercase)));
        if boundary {
            out.push(&letters[start..i]);
            start = i;
        }
    }
    out.push(&letters[start..]);
    // A random mix of cases has humps of one letter: not words.
    if out.len() > 3 && out.iter().filter(|h| h.len() <= 2).count() * 2 >= out.len() {
        return vec![letters, "zzzz"];
    }
    out
}

/// Placeholder lists, lower-case.
pub struct Placeholders {
    pub substrings: Vec<String>,
    pub values: Vec<String>,
}

impl Placeholders {
    /// Documentation values, templates' blanks and obviously fake fillers.
    pub fn matches(&self, value: &str) -> bool {
        let lower = value.to_ascii_lowercase();
        if self.values.contains(&lower) {
            return true;
        }
        let found = self.substrings.iter().any(|s| {
            lower.match_indices(s.as_str()).any(|(at, _)| {
                value
                    .get(at..at + s.len())
                    .is_some_and(|found| natural_case(found, s))
            })
        });
        found || one_repeated_char(value) || counts_along(value)
    }
}

/// `example`, `EXAMPLE`, `Example`, but not `eXaMPle`: a placeholder is written by a person,
/// and random token bodies mix cases (`…XXxx…` and `…Xxxx…` are noise, not fillers).
fn natural_case(text: &str, placeholder: &str) -> bool {
    let letters: Vec<u8> = text.bytes().filter(u8::is_ascii_alphabetic).collect();
    let Some((&first, rest)) = letters.split_first() else {
        return true;
    };
    let lower = letters.iter().all(u8::is_ascii_lowercase);
    let upper = letters.iter().all(u8::is_ascii_uppercase);
    let one_letter = placeholder
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .all(|b| Some(&b) == placeholder.as_bytes().first());
    let capitalised =
        !one_letter && first.is_ascii_uppercase() && rest.iter().all(u8::is_ascii_lowercase);
    lower || upper || capitalised || (!one_letter && camel_words(&letters))
}

/// `GoesHere`, `enterYour`: words of three letters or more, each capitalised after the
/// first. A random body's case mix breaks into humps of one or two letters.
fn camel_words(letters: &[u8]) -> bool {
    let mut hump = 0;
    for (i, b) in letters.iter().enumerate() {
        if b.is_ascii_uppercase() {
            if i > 0 && hump < 3 {
                return false;
            }
            hump = 1;
        } else {
            hump += 1;
        }
    }
    hump >= 3 && letters.iter().skip(1).any(u8::is_ascii_uppercase)
}

/// Characters that run up or down the alphabet as fillers do: `123456`, `abcdef`, `987654`.
/// Six in a row happens in a random base62 token less than once in ten million.
const FILLER_RUN: usize = 6;

fn counts_along(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut up = 1;
    let mut down = 1;
    for pair in bytes.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same_class = a.is_ascii_alphanumeric()
            && b.is_ascii_alphanumeric()
            && a.is_ascii_digit() == b.is_ascii_digit();
        up = if same_class && b == a.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if same_class && b.wrapping_add(1) == a {
            down + 1
        } else {
            1
        };
        if up >= FILLER_RUN || down >= FILLER_RUN {
            return true;
        }
    }
    false
}

/// `xxxxxxxx`, `00000000`, and a token prefix followed by one repeated character
/// (`ghp_xxxx…`, `hvs.XXXX…`).
fn one_repeated_char(value: &str) -> bool {
    let bytes = value.as_bytes();
    let tail = match bytes.iter().rposition(|b| matches!(b, b'_' | b'-' | b'.')) {
        Some(at) if bytes.len() - at > 8 => &bytes[at + 1..],
        _ => bytes,
    };
    tail.len() >= 4 && tail.iter().all(|b| b.eq_ignore_ascii_case(&tail[0]))
}

/// A value that names where the secret comes from instead of being it: an expression,
/// a variable, a template, a function call.
pub fn is_reference(value: &str) -> bool {
    let v = value.trim();
    let unquoted = v.trim_start_matches(['\'', '"']);
    if unquoted.starts_with('$') || v.starts_with('%') && v.ends_with('%') && v.len() > 2 {
        return true;
    }
    const MARKERS: [&str; 10] = ["${", "{{", "}}", "$(", "%(", "#{", "<%", "%{", "[[", "]]"];
    // SOPS-encrypted values are ciphertext, safe to commit.
    if v.starts_with("ENC[") {
        return true;
    }
    if MARKERS.iter().any(|m| v.contains(m)) {
        return true;
    }
    // `@VAR@` (autoconf, Maven filtering), `{VAR}` (Python format strings).
    if v.len() > 2
        && ((v.starts_with('@') && v.ends_with('@')) || (v.starts_with('{') && v.ends_with('}')))
    {
        return true;
    }
    // A function call: `vault(…)`, `env("X")`, `os.getenv(…)`, `random_password.db.result`
    // is caught by the caller's syntax rules (bare HCL values are never literals).
    if let Some(open) = v.find('(').filter(|_| v.ends_with(')')) {
        let head = &v[..open];
        if !head.is_empty()
            && head
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':'))
        {
            return true;
        }
    }
    // `secret/data/ci:token`, `kv/prod#password`: a path and a key in a secret store.
    let store_path = v.contains('/')
        && v.contains([':', '#'])
        && !v.contains("://")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:#-".contains(&b));
    if store_path {
        return true;
    }
    // YAML tags (`!Ref x`, `!store.get x`, `!vault |`), CloudFormation intrinsics, Ansible.
    v.starts_with('!') && v.len() > 1 && v.as_bytes()[1].is_ascii_alphabetic()
        || v.starts_with("!Ref")
        || v.starts_with("!Sub")
        || v.starts_with("!GetAtt")
        || v.starts_with("!ImportValue")
        || v.starts_with("!vault")
        || v.starts_with("!secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn github_checksum() {
        // The token from GitHub's format announcement is not checksum-valid; build one.
        let body = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123";
        let check = base62_6(crc32(body.as_bytes()));
        let token = format!("ghp_{body}{}", String::from_utf8_lossy(&check));
        assert!(github_checksum_ok(&token));
        let mut bad = token.clone();
        bad.replace_range(10..11, "Q");
        assert!(!github_checksum_ok(&bad));
        assert!(!github_checksum_ok(
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        ));
    }

    #[test]
    fn placeholders_are_written_by_people() {
        let placeholders = Placeholders {
            substrings: vec!["example".into(), "xxxx".into()],
            values: vec!["changeme".into()],
        };
        for value in [
            "AKIAIOSFODNN7EXAMPLE",
            "my-Example-key",
            "ghp_xxxxxxxxxx",
            "CHANGEME",
        ] {
            assert!(placeholders.matches(value), "{value}");
        }
        for value in ["yzoWB2kfXXxxxtQfj", "OhXxxxtQfj", "q7Rt9!xKz2Lm4Pw8"] {
            assert!(!placeholders.matches(value), "{value}");
        }
    }

    #[test]
    fn made_up_values() {
        for value in [
            "secret123",
            "MyPickles1",
            "test1234",
            "admin123",
            "supersecrettoken",
            "ghp_test_123",
            "X-Auth-Token",
            "Qwerty!23",
            "abababab",
            "Summer2024!",
            "my-dev-token-2",
            "AAAAbbbb-cccc-dddd-eeee-ffffgggghhhh",
            "aaaa1111",
        ] {
            assert!(made_up(value), "{value}");
        }
        for value in [
            "hR4#kq9Lw2xZ-t7Vb",
            "q7Rt9xKz2Lm4Pw8",
            "Xk9#mP2qLw7!",
            "wJalrXUtnFEMIK7MDENGbPxRfiCY",
            "aB3dE5gH7jK9",
            "zT8vW2nQ",
            // One run of four in a long random key happens by chance.
            "e1099397b169110155cf902ea8eaed75d8888ce47f55dfc0e4c16a172d523e31",
        ] {
            assert!(!made_up(value), "{value}");
        }
    }

    #[test]
    fn entropy_orders_values() {
        assert!(entropy("aaaaaaaa") < 0.01);
        assert!(entropy("changeme") < 3.0);
        assert!(entropy("q7Rt9!xKz2Lm4Pw8") > 3.5);
    }

    #[test]
    fn jwt_header() {
        assert!(jwt_ok(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig"
        ));
        assert!(!jwt_ok("eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.sig"));
    }

    #[test]
    fn references() {
        for value in [
            "${{ secrets.X }}",
            "${var.x}",
            "$DB_PASSWORD",
            "$(vault kv get x)",
            "vault(\"secret/x\")",
            "{{ .Values.password }}",
            "%DB_PASSWORD%",
            "@DB_PASSWORD@",
            "!Ref DbPassword",
        ] {
            assert!(is_reference(value), "{value}");
        }
        for value in ["q7Rt9!xKz2Lm4Pw8", "abc(def"] {
            assert!(!is_reference(value), "{value}");
        }
    }
}
