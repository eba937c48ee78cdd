//! `tollgate paths`: the deploy paths of the bundled example, as text, Mermaid and DOT.
#![cfg(test)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn paths(format: &str) -> String {
    let output = Command::cargo_bin("tollgate")
        .unwrap()
        .current_dir(root())
        .env_clear()
        .args(["paths", "fixtures/", "--format", format])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn text_marks_broken_links() {
    let text = paths("text");
    assert!(text.contains("job release"), "{text}");
    assert!(
        text.contains("→ environment production: 1 reviewer, self-review prevented"),
        "{text}"
    );
    assert!(text.contains("→ role payments-release"), "{text}");
    assert!(
        text.contains("✗ trust sub repo:acme/payments-api:ref:refs/heads/main"),
        "{text}"
    );
    assert!(text.contains("✗ no environment"), "{text}");
    assert!(text.ends_with("2 deploy path(s), 2 broken\n"), "{text}");
}

#[test]
fn readme_shows_the_current_mermaid_picture() {
    let mermaid = paths("mermaid");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = format!("```mermaid\n{mermaid}```");
    assert!(
        readme.contains(&block),
        "README.md's Mermaid picture is stale; replace it with the output of\n  cargo run -q -- paths fixtures/ --format mermaid\n\n{mermaid}"
    );
}

#[test]
fn dot_renders_with_graphviz() {
    let dot = paths("dot");
    let Ok(mut child) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var_os("TOLLGATE_REQUIRE_DOT").is_none(),
            "TOLLGATE_REQUIRE_DOT is set but Graphviz `dot` is not installed"
        );
        eprintln!("skipped: Graphviz `dot` not installed");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dot failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = String::from_utf8_lossy(&output.stdout);
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.contains("payments&#45;release") || svg.contains("payments-release"));
}
