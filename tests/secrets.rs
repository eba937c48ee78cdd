//! `hardcoded-secret`: fixtures that fire and their safe twins, redaction in every output,
//! baselines, discovery, and precision/recall on the shared corpora (skipped without them).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tollgate::engine::{self, CheckOptions, Report};
use tollgate::finding::Finding;
use tollgate::output::{self, Format, RenderOptions};

const RULE: &str = "hardcoded-secret";
const FIXTURES: &str = "tests/fixtures/secrets";

fn check(path: &Path) -> Report {
    engine::check(&CheckOptions {
        paths: vec![path.to_path_buf()],
        keep_sources: true,
        ..CheckOptions::default()
    })
}

fn secrets(report: &Report) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.rule == RULE).collect()
}

fn text_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(text_files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Lines reported, by path relative to `dir`.
fn reported_lines(report: &Report, dir: &Path) -> BTreeMap<String, BTreeSet<usize>> {
    let prefix = format!("{}/", dir.display());
    let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for finding in secrets(report) {
        let path = finding
            .region
            .path
            .strip_prefix(&prefix)
            .unwrap_or(&finding.region.path);
        out.entry(path.to_string())
            .or_default()
            .insert(finding.region.line);
    }
    out
}

/// The inline labels: the line after `NOT OK:` must be reported, the line after `OK:` not.
fn labels(text: &str) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let mut fire = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.contains("NOT OK:") {
            fire.insert(index + 2);
        } else if line.contains("# OK:") {
            quiet.insert(index + 2);
        }
    }
    (fire, quiet)
}

#[test]
fn fixtures_fire_exactly_where_labelled() {
    for (dir, must_fire) in [("fire", true), ("safe", false)] {
        let dir = Path::new(FIXTURES).join(dir);
        let report = check(&dir);
        let reported = reported_lines(&report, &dir);
        let mut labelled = 0;
        for path in text_files(&dir) {
            let relative = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            let (fire, quiet) = labels(&text);
            labelled += fire.len() + quiet.len();
            let got = reported.get(&relative).cloned().unwrap_or_default();
            assert!(
                fire.is_subset(&got),
                "{relative}: lines {:?} not reported",
                fire.difference(&got).collect::<Vec<_>>()
            );
            let unexpected: Vec<_> = got.difference(&fire).collect();
            // JSON cannot carry labels; its findings are pinned by the snapshot below.
            if !relative.ends_with(".json") {
                assert!(
                    unexpected.is_empty(),
                    "{relative}: unexpected findings on lines {unexpected:?}"
                );
            }
            assert!(quiet.is_disjoint(&got), "{relative}: an `OK:` line fired");
        }
        assert!(labelled > 20, "{}: too few labels", dir.display());
        if !must_fire {
            assert!(secrets(&report).is_empty(), "{reported:?}");
        }
    }
}

#[test]
fn snapshot_of_the_firing_fixtures() {
    let report = check(&Path::new(FIXTURES).join("fire"));
    let listing: String = secrets(&report)
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}: {}\n",
                f.region.path, f.region.line, f.region.column, f.message
            )
        })
        .collect();
    insta::assert_snapshot!(listing);
    // The broken workflow is still scanned as text, and still reported as broken.
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].path.ends_with("broken.yml"));
}

/// Pieces of each reported secret that no output may contain: every 8-character window of
/// the secret past the public prefix its message shows (`ghp_…`), whitespace removed.
fn secret_probes(report: &Report) -> Vec<String> {
    let mut probes = Vec::new();
    for finding in secrets(report) {
        let file = report.file(&finding.region.path).unwrap();
        let public = finding
            .message
            .split('`')
            .find_map(|part| part.strip_suffix('…'))
            .unwrap_or("");
        // A finding carries all its file's secrets, for code frames: its own is the one at
        // its place.
        let place = finding.region.span;
        let own = finding
            .sensitive
            .iter()
            .filter(|s| s.start < place.end.max(place.start + 1) && place.start < s.end);
        for span in own.take(1) {
            let secret: String = file.text[span.start..span.end]
                .chars()
                .filter(|c| !c.is_whitespace() && !matches!(c, '"' | ',' | '\''))
                .collect();
            let private = secret.strip_prefix(public).unwrap_or(&secret);
            assert!(private.len() >= 8, "{}: {private}", finding.message);
            let chars: Vec<char> = private.chars().collect();
            for window in chars.windows(8) {
                // A run of plain lowercase letters (`services` in a webhook's path) is English,
                // which rule docs in SARIF legitimately contain; it identifies no secret.
                if window.iter().all(|c| c.is_ascii_lowercase()) {
                    continue;
                }
                probes.push(window.iter().collect());
            }
        }
    }
    assert!(probes.len() > 100);
    probes
}

fn assert_no_leak(what: &str, text: &str, probes: &[String]) {
    for probe in probes {
        assert!(
            !text.contains(probe.as_str()),
            "{what} shows secret text `{probe}`"
        );
    }
}

#[test]
fn no_output_format_shows_a_secret() {
    let report = check(&Path::new(FIXTURES).join("fire"));
    let probes = secret_probes(&report);
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        for color in [false, true] {
            let text = output::render(
                &report,
                format,
                &RenderOptions {
                    color,
                    link_base: None,
                },
            );
            assert!(text.contains("hardcoded"), "{format:?}");
            assert_no_leak(&format!("{format:?}"), &text, &probes);
        }
    }
    assert_no_leak(
        "the baseline",
        &tollgate::baseline::render(&report.findings),
        &probes,
    );
}

#[test]
fn human_code_frames_mask_the_secret() {
    let report = check(&Path::new(FIXTURES).join("fire/scripts"));
    let text = output::render(
        &report,
        Format::Human,
        &RenderOptions {
            color: false,
            link_base: None,
        },
    );
    assert!(
        text.contains("export DB_PASSWORD='****************'"),
        "{text}"
    );
    assert!(
        text.contains("-u ********************************:"),
        "{text}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for path in text_files(from) {
        let target = to.join(path.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&path, &target).unwrap();
    }
}

#[test]
fn baseline_hides_known_findings_even_after_lines_move() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("repo");
    copy_tree(&Path::new(FIXTURES).join("fire"), &root);
    let before = check(&root);
    assert!(secrets(&before).len() > 20);
    let baseline_path = temp.path().join("baseline.json");
    std::fs::write(&baseline_path, tollgate::baseline::render(&before.findings)).unwrap();
    let with_baseline = |root: &Path| {
        engine::check(&CheckOptions {
            paths: vec![root.to_path_buf()],
            baseline: Some(baseline_path.clone()),
            ..CheckOptions::default()
        })
    };
    let after = with_baseline(&root);
    assert!(after.findings.is_empty(), "{:?}", after.findings);
    assert_eq!(after.baselined, before.findings.len());

    // Unrelated lines above every finding: nothing new.
    for path in text_files(&root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let moved = if path.extension().is_some_and(|e| e == "json") {
            format!("\n\n\n{text}")
        } else if text.starts_with("#!") || text.starts_with("FROM") {
            let (first, rest) = text.split_once('\n').unwrap();
            format!("{first}\n# one\n# two\n{rest}")
        } else {
            format!("# one\n# two\n{text}")
        };
        std::fs::write(&path, moved).unwrap();
    }
    let moved = with_baseline(&root);
    let left: Vec<_> = moved
        .findings
        .iter()
        .map(|f| format!("{}:{} {}", f.region.path, f.region.line, f.message))
        .collect();
    assert!(left.is_empty(), "{left:#?}");

    // A new secret is reported.
    let script = root.join("scripts/deploy.sh");
    let mut text = std::fs::read_to_string(&script).unwrap();
    text.push_str("export API_TOKEN=Qm7vTz2LkR9xWp4NcY8s\n");
    std::fs::write(&script, text).unwrap();
    let new = with_baseline(&root);
    assert_eq!(secrets(&new).len(), 1, "{:?}", new.findings);
}

fn tollgate() -> Command {
    let mut command = Command::cargo_bin("tollgate").unwrap();
    command.env_remove("GITHUB_ACTIONS").env_remove("CI");
    command
}

#[test]
fn baseline_command_and_check_flag() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("repo");
    copy_tree(&Path::new(FIXTURES).join("fire/scripts"), &root);
    let baseline = temp.path().join("known.json");
    tollgate()
        .arg("baseline")
        .arg(&root)
        .arg("--output")
        .arg(&baseline)
        .assert()
        .success();
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(text.contains("\"fingerprint\""), "{text}");
    assert!(!text.contains("sk_live_1MzOAMisLwACzx4lgQHPePSN"));
    tollgate()
        .arg("check")
        .arg(&root)
        .arg("--format")
        .arg("json")
        .assert()
        .code(1);
    let out = tollgate()
        .arg("check")
        .arg(&root)
        .args(["--format", "json", "--baseline"])
        .arg(&baseline)
        .assert()
        .code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(0));
    tollgate()
        .arg("check")
        .arg(&root)
        .args(["--baseline", "/nonexistent/baseline.json"])
        .assert()
        .code(2);
}

#[test]
fn discovery_reads_every_text_file_but_not_ignored_vendored_or_binary_ones() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let token = "export API_TOKEN=Qm7vTz2LkR9xWp4NcY8s\n";
    let files: [(&str, &[u8]); 10] = [
        (".gitignore", b"ignored.env\n"),
        ("ignored.env", token.as_bytes()),
        ("node_modules/pkg/install.sh", token.as_bytes()),
        ("vendor/tool/run.sh", token.as_bytes()),
        ("yarn.lock", token.as_bytes()),
        (
            "logo.png",
            b"\x89PNG\r\n\x1a\n\0\0export API_TOKEN=Qm7vTz2LkR9xWp4NcY8s\n",
        ),
        (
            ".github/workflows/ci.yml",
            b"on: push\njobs: {}\nenv:\n  API_TOKEN: Qm7vTz2LkR9xWp4NcY8s\n",
        ),
        ("scripts/run.sh", token.as_bytes()),
        (
            "notes.txt",
            b"caf\xe9\nexport API_TOKEN=Qm7vTz2LkR9xWp4NcY8s\n",
        ),
        (
            "Dockerfile",
            b"FROM scratch\nENV API_TOKEN=Qm7vTz2LkR9xWp4NcY8s\n",
        ),
    ];
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let report = check(root);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let paths: BTreeSet<&str> = secrets(&report)
        .iter()
        .map(|f| f.region.path.as_str())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            ".github/workflows/ci.yml",
            "Dockerfile",
            "notes.txt",
            "scripts/run.sh"
        ])
    );

    // With the rule off, only the documents the other rules read are opened.
    std::fs::write(
        root.join("tollgate.yml"),
        "rules:\n  hardcoded-secret:\n    enabled: false\n",
    )
    .unwrap();
    let report = check(root);
    assert!(secrets(&report).is_empty());
    assert_eq!(report.files_scanned, 2, "the workflow and tollgate.yml");
}

#[test]
fn suppression_with_a_reason_silences_a_secret() {
    let temp = tempfile::tempdir().unwrap();
    let script = temp.path().join("run.sh");
    std::fs::write(
        &script,
        "# tollgate: ignore[hardcoded-secret] revoked in 2024, kept as a test vector\n\
         export API_TOKEN=Qm7vTz2LkR9xWp4NcY8s\n\
         export OTHER_TOKEN=Zr3vTq2LkR9xWp4NcY8s\n",
    )
    .unwrap();
    let report = check(temp.path());
    let lines: Vec<usize> = secrets(&report).iter().map(|f| f.region.line).collect();
    assert_eq!(lines, [3]);
}

/// Precision and recall on the labelled peer corpora (`../shared/corpus/peers/secrets`),
/// printed per corpus; `cargo test --test secrets peer -- --nocapture` shows them.
///
/// Scoring, per corpus, like the generated corpus' scorer: a positive item is a run of
/// consecutive lines of one file carrying the same secret label (a PEM key labelled on each
/// of its lines is one item), found when any of its lines is reported. Labels `none` are
/// negatives, flagged when reported; `ambiguous` and detect-secrets' `kind:qualifier` special
/// cases are not scored, nor are unlabelled lines. Recall = found / positives; precision =
/// found / (found + flagged).
#[test]
fn peer_corpora_precision_and_recall() {
    let base = Path::new("../shared/corpus/peers/secrets");
    let Ok(entries) = std::fs::read_dir(base) else {
        eprintln!("skipped: {} is absent", base.display());
        return;
    };
    let mut corpora: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    corpora.sort();
    println!("corpus          positives  found  recall   negatives  flagged  precision");
    for dir in corpora {
        let Ok(labels) = std::fs::read_to_string(dir.join("labels.tsv")) else {
            continue;
        };
        let mut positive: BTreeMap<(String, usize), String> = BTreeMap::new();
        let mut negative = BTreeSet::new();
        for row in labels.lines().skip(1) {
            let mut fields = row.split('\t');
            let (Some(file), Some(line), Some(label)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let Ok(line) = line.parse::<usize>() else {
                continue;
            };
            let key = (file.to_string(), line);
            match label {
                "none" => {
                    negative.insert(key);
                }
                "ambiguous" => {}
                label if label.contains(':') && dir.ends_with("detect-secrets") => {}
                label => {
                    positive.entry(key).or_insert_with(|| label.to_string());
                }
            }
        }
        negative.retain(|k| !positive.contains_key(k));
        // Runs of consecutive lines with one label are one item.
        let mut items: Vec<(String, usize, usize)> = Vec::new();
        let mut last_label = String::new();
        for ((file, line), label) in &positive {
            match items.last_mut() {
                Some((f, _, end)) if f == file && *end + 1 == *line && last_label == *label => {
                    *end = *line;
                }
                _ => items.push((file.clone(), *line, *line)),
            }
            last_label.clone_from(label);
        }
        let report = check(&dir);
        let root = report.root.clone();
        let dir_abs = std::fs::canonicalize(&dir).unwrap();
        let reported: BTreeSet<(String, usize)> = secrets(&report)
            .iter()
            .map(|f| {
                let abs = root.join(&f.region.path);
                let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
                let relative = abs
                    .strip_prefix(&dir_abs)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_else(|_| f.region.path.clone());
                (relative, f.region.line)
            })
            .collect();
        let found = items
            .iter()
            .filter(|(file, start, end)| {
                (*start..=*end).any(|l| reported.contains(&(file.clone(), l)))
            })
            .count();
        let flagged = negative.intersection(&reported).count();
        let recall = found as f64 / items.len().max(1) as f64;
        let precision = found as f64 / (found + flagged).max(1) as f64;
        println!(
            "{:<15} {:>9}  {:>5}  {:>6.3}   {:>9}  {:>7}  {:>9.3}",
            dir.file_name().unwrap().to_string_lossy(),
            items.len(),
            found,
            recall,
            negative.len(),
            flagged,
            precision
        );
        // Not a target, a tripwire: these corpora are mostly other tools' own formats.
        assert!(
            precision >= 0.8,
            "{}: precision {precision:.3}",
            dir.display()
        );
    }
}

/// A small generated tree scored with the shared scorer; skipped without `../shared` or
/// `python3`. The acceptance runs use 50 MB trees (`benches/secrets.sh`).
#[test]
fn generated_corpus_precision_and_recall() {
    let bench = Path::new("../shared/bench");
    if !bench.join("gen_secret_corpus.py").is_file() {
        eprintln!("skipped: ../shared/bench is absent");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let tree = temp.path().join("tree");
    let generated = std::process::Command::new("python3")
        .arg(bench.join("gen_secret_corpus.py"))
        .args(["--size-mb", "3", "--seed", "7", "--out"])
        .arg(&tree)
        .output();
    let Ok(generated) = generated else {
        eprintln!("skipped: no python3");
        return;
    };
    assert!(generated.status.success(), "{generated:?}");
    let report = engine::check(&CheckOptions {
        paths: vec![tree.clone()],
        ..CheckOptions::default()
    });
    let findings = temp.path().join("findings.json");
    std::fs::write(
        &findings,
        output::render(
            &report,
            Format::Json,
            &RenderOptions {
                color: false,
                link_base: None,
            },
        ),
    )
    .unwrap();
    let scored = std::process::Command::new("python3")
        .arg(bench.join("score_secret_findings.py"))
        .arg("--manifest")
        .arg(temp.path().join("tree.manifest.tsv"))
        .arg("--root")
        .arg(&tree)
        .args(["--format", "tollgate"])
        .arg(&findings)
        .output()
        .unwrap();
    assert!(scored.status.success(), "{scored:?}");
    let score: serde_json::Value = serde_json::from_slice(&scored.stdout).unwrap();
    println!("{score}");
    let precision = score["precision"].as_f64().unwrap();
    let recall = score["recall"].as_f64().unwrap();
    assert!(precision >= 0.95 && recall >= 0.95, "{score}");
}
