//! No output shows a secret, whichever rule found its line (issue 13, "Nothing leaks"): each
//! case runs the real binary in all five formats, with `hardcoded-secret` on, off,
//! suppressed and baselined, and also checks `tollgate paths` and the baseline file.

#![cfg(test)]

#[path = "fixtures/e2e/support.rs"]
mod support;

use support::{Repo, json, run, stderr, stdout, tollgate};

const FORMATS: [&str; 5] = ["human", "json", "sarif", "github", "markdown"];

/// CRC-32 (IEEE), to build a GitHub token whose checksum is right, as a real one's is.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn github_token(body: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = crc32(body.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!("ghp_{body}{}", String::from_utf8_lossy(&check))
}

/// The part of a token after its public prefix, which no output may contain.
fn private_part(token: &str) -> &str {
    &token[4..]
}

fn assert_hidden(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        // Any 8 characters of it in a row would identify it.
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(8) {
            let probe: String = window.iter().collect();
            assert!(
                !text.contains(&probe),
                "{what} shows `{probe}` of a secret:\n{text}"
            );
        }
    }
}

/// Every format of `check`, plus the baseline file, must hide the secrets.
fn check_everywhere(repo: &Repo, args: &[&str], secrets: &[&str], expect_rule: &str) {
    for format in FORMATS {
        let mut all = vec!["--format", format];
        all.extend_from_slice(args);
        let output = repo.check(&all);
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            text.contains(expect_rule),
            "{format} {args:?}: expected {expect_rule}:\n{text}"
        );
        assert_hidden(&format!("{format} {args:?}"), &text, secrets);
    }
    let mut cmd = tollgate();
    cmd.current_dir(repo.path()).arg("baseline").args(
        args.iter()
            .filter(|a| !a.starts_with("--baseline") && !a.ends_with(".json")),
    );
    let output = run(&mut cmd);
    assert_hidden("the baseline", &stdout(&output), secrets);
}

const DEPLOY_WITH_TOKEN: &str = "name: deploy
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: gcloud --access-token=TOKEN run deploy api
";

#[test]
fn another_rule_quoting_the_line_never_shows_the_secret() {
    let token = github_token("q7Rt9xKz2Lm4Pw8aB3dE5gH7jK9mN1");
    let repo = Repo::new();
    repo.write(
        ".github/workflows/deploy.yml",
        DEPLOY_WITH_TOKEN.replace("TOKEN", &token),
    );
    let secrets = [private_part(&token)];
    // On: both rules speak, neither shows it.
    check_everywhere(&repo, &[], &secrets, "unprotected-deploy");

    // Off.
    repo.write("tollgate.yml", "rules:\n  hardcoded-secret: false\n");
    check_everywhere(&repo, &[], &secrets, "unprotected-deploy");
    std::fs::remove_file(repo.join("tollgate.yml")).unwrap();

    // Suppressed, by tollgate's comment and by another scanner's allow-marker.
    for comment in [
        "# tollgate: ignore[hardcoded-secret] rotated, reviewed in #7",
        "# gitleaks:allow",
    ] {
        let text = DEPLOY_WITH_TOKEN
            .replace("TOKEN", &token)
            .replace(" api\n", &format!(" api {comment}\n"));
        repo.write(".github/workflows/deploy.yml", text);
        let (_, report) = repo.check_json(&[]);
        let rules = support::rules_of(&report);
        assert!(!rules.contains(&"hardcoded-secret"), "{comment}: {rules:?}");
        check_everywhere(&repo, &[], &secrets, "unprotected-deploy");
    }

    // Baselined: only the secret's finding is in the baseline.
    repo.write(
        ".github/workflows/deploy.yml",
        DEPLOY_WITH_TOKEN.replace("TOKEN", &token),
    );
    let (_, report) = repo.check_json(&[]);
    let accepted: Vec<String> = support::findings(&report)
        .iter()
        .filter(|f| f["rule"] == "hardcoded-secret")
        .map(|f| format!("{{\"fingerprint\":{}}}", f["fingerprint"]))
        .collect();
    assert_eq!(accepted.len(), 1, "{report:#}");
    repo.write(
        "baseline.json",
        format!("{{\"version\":1,\"findings\":[{}]}}", accepted.join(",")),
    );
    let (_, report) = repo.check_json(&["--baseline", "baseline.json"]);
    assert!(!support::rules_of(&report).contains(&"hardcoded-secret"));
    check_everywhere(
        &repo,
        &["--baseline", "baseline.json"],
        &secrets,
        "unprotected-deploy",
    );

    // `tollgate paths` quotes the deploy step.
    for format in ["text", "mermaid", "dot"] {
        let mut cmd = tollgate();
        cmd.current_dir(repo.path())
            .args(["paths", "--format", format]);
        let output = run(&mut cmd);
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert_hidden(&format!("paths {format}"), &text, &secrets);
    }
}

#[test]
fn an_error_quoting_a_value_never_shows_the_secret() {
    let token = "hvs.CAESIJqYw1pN7mXr8kLz2QaTbVcDeFgHiJkLmNoPqRsTuVwXyZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7";
    let repo = Repo::new();
    repo.write(
        "vault/policies/ci.hcl",
        format!("path \"secret/data/ci\" {{\n  policy = \"{token}\"\n}}\n"),
    );
    let secrets = [&token[4..]];
    for args in [&[][..], &["--config", "off.yml"][..]] {
        repo.write("off.yml", "rules:\n  hardcoded-secret: false\n");
        for format in FORMATS {
            let mut all = vec!["--format", format];
            all.extend_from_slice(args);
            let output = repo.check(&all);
            let text = format!("{}{}", stdout(&output), stderr(&output));
            assert!(text.contains("invalid policy"), "{format}:\n{text}");
            assert_hidden(&format!("{format} {args:?}"), &text, &secrets);
        }
    }
}

#[test]
fn fingerprints_and_messages_hold_no_hash_of_the_secret() {
    // A weak password: a hash of it would be reversed by hashing a dictionary.
    let fingerprints = |password: &str| -> (Vec<String>, String) {
        let repo = Repo::new();
        repo.write("deploy/prod.env", format!("DB_PASSWORD={password}\n"));
        let output = repo.check(&["--format", "json"]);
        let report = json(&output);
        let found: Vec<String> = support::findings(&report)
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap_or_default().to_string())
            .collect();
        (found, stdout(&output))
    };
    let (first, text) = fingerprints("H@Sh1CoR3!x");
    let (second, _) = fingerprints("Zq8!vN3#pL2");
    assert_eq!(first.len(), 1, "{text}");
    // The same place gives the same fingerprint whatever the secret: it is not derived
    // from the value, so there is nothing to reverse.
    assert_eq!(first, second);
    assert!(!text.contains("sha256:"), "{text}");

    // Nor does any other format or the baseline file carry anything derived from the value:
    // two passwords of the same length give the same bytes everywhere (the temporary
    // folder's name aside), so no digest, fingerprint or hint of either is printed.
    let outputs = |password: &str| -> Vec<String> {
        let repo = Repo::new();
        repo.write("deploy/prod.env", format!("DB_PASSWORD={password}\n"));
        let root = repo.path().display().to_string();
        let mut texts: Vec<String> = FORMATS
            .iter()
            .map(|format| {
                let output = repo.check(&["--format", format]);
                format!("{}{}", stdout(&output), stderr(&output)).replace(&root, "ROOT")
            })
            .collect();
        let mut cmd = tollgate();
        cmd.current_dir(repo.path()).arg("baseline");
        texts.push(stdout(&run(&mut cmd)).replace(&root, "ROOT"));
        texts
    };
    let (one, two) = (outputs("H@Sh1CoR3!x"), outputs("Zq8!vN3#pL2"));
    for ((format, a), b) in FORMATS.iter().chain(&["baseline"]).zip(&one).zip(&two) {
        assert!(a.contains("hardcoded-secret"), "{format}: {a}");
        assert_eq!(a, b, "{format} differs with the secret's value");
    }
}

#[test]
fn allow_markers_test_paths_and_rule_ignores() {
    let repo = Repo::new();
    let line = "DB_PASSWORD=Zq8!vN3#pL2w";
    repo.write(
        "deploy/prod.env",
        format!("{line} # pragma: allowlist secret\nAPI_TOKEN=Xk9#mP2qLw7!r # trufflehog:ignore\n{line}\n"),
    );
    repo.write("tests/fixtures/app.env", format!("{line}\n"));
    repo.write("vendor-config/app.env", format!("{line}\n"));
    let (_, report) = repo.check_json(&[]);
    let found: Vec<(String, u64, String, String)> = support::findings(&report)
        .iter()
        .filter(|f| f["rule"] == "hardcoded-secret")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // The two marked lines are suppressed; the unmarked third is not.
    let prod: Vec<_> = found.iter().filter(|f| f.0 == "deploy/prod.env").collect();
    assert_eq!(prod.len(), 1, "{found:?}");
    assert_eq!((prod[0].1, prod[0].2.as_str()), (3, "high"));
    // Test code: low, and the message says so.
    let fixture = found
        .iter()
        .find(|f| f.0 == "tests/fixtures/app.env")
        .expect("the fixture's secret is reported");
    assert_eq!(fixture.2, "low");
    assert!(fixture.3.ends_with("in test code"), "{}", fixture.3);

    // `rules.<id>.ignore` drops the rule's findings under those paths, and only there.
    repo.write(
        "tollgate.yml",
        "rules:\n  hardcoded-secret:\n    ignore: [\"vendor-config/**\", \"tests/**\"]\n",
    );
    let (_, report) = repo.check_json(&[]);
    let paths: Vec<&str> = support::findings(&report)
        .iter()
        .filter(|f| f["rule"] == "hardcoded-secret")
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths, ["deploy/prod.env"], "{report:#}");
    repo.write(
        "tollgate.yml",
        "rules:\n  hardcoded-secret:\n    ignore: \"not a list\"\n",
    );
    let output = repo.check(&["--format", "json"]);
    assert_eq!(support::code(&output), 2, "a bad setting is an error");
}
