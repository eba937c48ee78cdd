//! `docs/rules.md` is generated from the rules' own docs; this test fails when it is stale.

use std::path::Path;

const REGENERATE: &str = "cargo run -q -- generate-docs > docs/rules.md";

#[test]
fn rules_md_is_up_to_date() {
    let output = assert_cmd::cargo::cargo_bin_cmd!("tollgate")
        .arg("generate-docs")
        .env("NO_COLOR", "1")
        .output()
        .expect("run tollgate generate-docs");
    assert!(
        output.status.success(),
        "tollgate generate-docs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).expect("generate-docs prints UTF-8");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");

    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(old, new)| old != new)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "docs/rules.md is stale (first difference at line {first_difference}); \
             regenerate it from the repository root with:\n\n    {REGENERATE}\n"
        );
    }
}

/// The README's rule table lists every rule the registry has.
#[test]
fn readme_lists_every_rule() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let missing: Vec<&str> = tollgate::rules::all_meta()
        .iter()
        .map(|meta| meta.id)
        .filter(|id| !readme.contains(&format!("| `{id}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's rule table lacks {missing:?}"
    );
}

/// Every `<!-- sample: ARGS -->` in the README is followed by a fenced block holding exactly
/// what `tollgate ARGS` prints from the repository root (without colour, outside GitHub
/// Actions). With `TOLLGATE_BLESS=1` the test rewrites the stale blocks instead of failing.
#[test]
fn readme_samples_are_real_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("README.md");
    let readme = std::fs::read_to_string(&path)
        .expect("README.md")
        .replace("\r\n", "\n");
    let marker = "<!-- sample: ";
    let mut out = String::new();
    let mut rest = readme.as_str();
    let mut stale = Vec::new();
    let mut samples = 0;
    while let Some(at) = rest.find(marker) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let line_end = from.find('\n').expect("a line after the sample marker");
        let args = from[marker.len()..line_end]
            .trim_end()
            .trim_end_matches("-->")
            .trim();
        let after_marker = &from[line_end + 1..];
        let fence_end = after_marker.find('\n').expect("a fence after the marker");
        let fence = &after_marker[..fence_end];
        assert!(
            fence.starts_with("```"),
            "`{args}`: no fenced block after the marker"
        );
        let body_and_rest = &after_marker[fence_end + 1..];
        let body_end = body_and_rest
            .find("```\n")
            .expect("the sample's closing fence");
        let committed = &body_and_rest[..body_end];
        let output = assert_cmd::cargo::cargo_bin_cmd!("tollgate")
            .args(args.split_whitespace())
            .current_dir(root)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .expect("run tollgate");
        let generated = String::from_utf8(output.stdout).expect("UTF-8 output");
        assert!(!generated.is_empty(), "`tollgate {args}` printed nothing");
        if committed != generated {
            stale.push(args.to_string());
        }
        out.push_str(&from[..line_end + 1]);
        out.push_str(fence);
        out.push('\n');
        out.push_str(&generated);
        rest = &body_and_rest[body_end..];
        samples += 1;
    }
    out.push_str(rest);
    assert!(
        samples >= 2,
        "the README has no `<!-- sample: … -->` blocks"
    );
    if !stale.is_empty() && std::env::var_os("TOLLGATE_BLESS").is_some() {
        std::fs::write(&path, out).expect("rewrite README.md");
        return;
    }
    assert!(
        stale.is_empty(),
        "README.md's samples of {stale:?} do not match a run; regenerate them with\n\n    \
         TOLLGATE_BLESS=1 cargo test --test docs readme_samples\n"
    );
}
