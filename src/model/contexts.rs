//! Who can choose the text of a GitHub Actions context: the catalogue in
//! `rules/workflow/untrusted-contexts.txt` (anyone: issue and pull request text, branch names,
//! commit messages, …), `rules/workflow/fixed-contexts.txt` (fixed shape) and
//! `rules/workflow/low-contexts.txt` (fixed shape or maintainers' text, reported low). Shared by every rule that asks whether attacker text reaches
//! a sink (template injection, `GITHUB_ENV` writes, …).

use std::sync::LazyLock;

/// Who can choose a context's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Control {
    /// Text with a fixed shape or chosen by the repository's maintainers (login names, the
    /// workflow's name, merge-queue refs) that other tools count as attacker text.
    Maintainers,
    /// Whoever triggers the workflow (a `workflow_dispatch` user, a caller's `inputs`), or a
    /// value tollgate cannot place; not necessarily an outsider.
    Triggerer,
    /// Anyone who can open an issue or a pull request, comment, or push a branch to a fork.
    Anyone,
}

fn table(text: &'static str) -> Vec<Vec<&'static str>> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split('.').collect())
        .collect()
}

static UNTRUSTED: LazyLock<Vec<Vec<&'static str>>> =
    LazyLock::new(|| table(include_str!("../../rules/workflow/untrusted-contexts.txt")));

static LOW: LazyLock<Vec<Vec<&'static str>>> =
    LazyLock::new(|| table(include_str!("../../rules/workflow/low-contexts.txt")));

static FIXED: LazyLock<Vec<Vec<&'static str>>> =
    LazyLock::new(|| table(include_str!("../../rules/workflow/fixed-contexts.txt")));

/// Matches a path against a pattern: `*` is one segment, `**` any run of one or more.
fn matches_pattern(pattern: &[&str], parts: &[&str]) -> bool {
    match (pattern.split_first(), parts.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), Some(_)) => {
            (1..=parts.len()).any(|n| matches_pattern(rest, &parts[n..]))
        }
        (Some((segment, rest)), Some((part, tail))) => {
            (*segment == "*" || *part == "*" || segment.eq_ignore_ascii_case(part))
                && matches_pattern(rest, tail)
        }
        _ => false,
    }
}

/// Whether `parts` is a strict prefix of what `pattern` matches: the object that holds an
/// untrusted field (`github.event`, `github.event.pull_request`), serialised whole by
/// `toJSON(…)` or `format('{0}', …)`.
fn holds(pattern: &[&str], parts: &[&str]) -> bool {
    parts.len() < pattern.len()
        && pattern.iter().zip(parts).all(|(segment, part)| {
            *segment == "*"
                || *segment == "**"
                || *part == "*"
                || segment.eq_ignore_ascii_case(part)
        })
}

/// Whether a context path is one of the catalogue's untrusted fields itself (not an object
/// holding one, as [`control`] also counts).
pub fn names_untrusted_field(context: &str) -> bool {
    let parts: Vec<&str> = context.split('.').collect();
    UNTRUSTED
        .iter()
        .any(|pattern| matches_pattern(pattern, &parts))
}

/// Whether a normalised context path (`github.event.commits.*.message`) is anyone's text.
pub fn is_untrusted(context: &str) -> bool {
    control(context) == Some(Control::Anyone)
}

/// Who can choose `context`'s text, or `None` when its shape is fixed (or it is not a
/// `github.*`/`inputs.*` context). An object holding untrusted fields counts as untrusted.
pub fn control(context: &str) -> Option<Control> {
    let parts: Vec<&str> = context.split('.').collect();
    if UNTRUSTED
        .iter()
        .any(|pattern| matches_pattern(pattern, &parts) || holds(pattern, &parts))
    {
        return Some(Control::Anyone);
    }
    if FIXED.iter().any(|pattern| matches_pattern(pattern, &parts)) {
        return None;
    }
    if LOW.iter().any(|pattern| matches_pattern(pattern, &parts)) {
        return Some(Control::Maintainers);
    }
    let free_text = matches!(parts.first(), Some(&"github") | Some(&"inputs")) && parts.len() > 1;
    free_text.then_some(Control::Triggerer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue() {
        assert!(is_untrusted("github.event.issue.title"));
        assert!(is_untrusted("github.event.commits.*.message"));
        assert!(is_untrusted("github.event"));
        assert!(is_untrusted("github.event.pull_request"));
        assert!(is_untrusted("github"));
        assert_eq!(
            control("github.event.inputs.name"),
            Some(Control::Triggerer)
        );
        assert!(!is_untrusted("github.event.issue.number"));
        assert!(!is_untrusted("github.event.pull_request.head.sha"));
        assert!(!is_untrusted("github.event.inputs"));
        assert_eq!(control("github.event.pull_request.number"), None);
        assert_eq!(control("github.actor"), Some(Control::Maintainers));
        assert_eq!(control("github.workflow"), Some(Control::Maintainers));
        assert_eq!(
            control("github.event.merge_group.head_ref"),
            Some(Control::Maintainers)
        );
        assert_eq!(control("github.event.sender.login"), None);
        assert_eq!(control("github.ref_name"), Some(Control::Triggerer));
        assert_eq!(control("steps.x.outputs.y"), None);
        assert_eq!(control("github.event.comment.body"), Some(Control::Anyone));
    }
}
