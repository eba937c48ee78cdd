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
