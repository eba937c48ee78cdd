//! GitHub Actions expressions (`${{ … }}`): finding them in text and naming the contexts
//! they read.

/// One `${{ … }}` in a string: its full text and its inner expression.
pub struct Expression<'a> {
    pub text: &'a str,
    pub inner: &'a str,
}

/// Every `${{ … }}` in `text`, in order. An unterminated one ends the search.
pub fn expressions(text: &str) -> Vec<Expression<'_>> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find("${{") {
        let start = rest + open;
        let Some(close) = text[start + 3..].find("}}") else {
            break;
        };
        let end = start + 3 + close + 2;
        found.push(Expression {
            text: &text[start..end],
            inner: text[start + 3..end - 2].trim(),
        });
        rest = end;
    }
    found
}

/// The context paths an expression reads, e.g. `github.event.issue.title` or
/// `github.event.commits[0].message` (normalised to `github.event.commits.*.message`).
/// Function names and string literals are skipped.
pub fn contexts(inner: &str) -> Vec<String> {
    let bytes = inner.as_bytes();
    let mut out = Vec::new();
    // Where the next `]` is from each byte, found once: searching the rest of the text at
    // every `[` made `a[a[a[…` quadratic.
    let mut next_close = Vec::new();
    if bytes.contains(&b'[') {
        next_close = vec![usize::MAX; bytes.len() + 1];
        for k in (0..bytes.len()).rev() {
            next_close[k] = if bytes[k] == b']' {
                k
            } else {
                next_close[k + 1]
            };
        }
    }
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' {
            // String literal: '' is an escaped quote.
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut path = String::new();
            let mut j = i;
            loop {
                let start = j;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'-')
                {
                    j += 1;
                }
                path.push_str(&inner[start..j]);
                // Indexes: [0], ['key'], [*]
                while j < bytes.len() && bytes[j] == b'[' {
                    let Some(close) = next_close
                        .get(j)
                        .copied()
                        .filter(|&at| at != usize::MAX)
                        .map(|at| at - j)
                    else {
                        break;
                    };
                    let index = inner[j + 1..j + close].trim();
                    let key = index.trim_matches(|c| c == '\'' || c == '"');
                    if key.chars().all(|c| c.is_ascii_digit()) || key == "*" || key.is_empty() {
                        path.push_str(".*");
                    } else {
                        path.push('.');
                        path.push_str(key);
                    }
                    j += close + 1;
                }
                if j < bytes.len() && bytes[j] == b'.' {
                    if bytes.get(j + 1) == Some(&b'*') {
                        path.push_str(".*");
                        j += 2;
                        if j < bytes.len() && bytes[j] == b'.' {
                            path.push('.');
                            j += 1;
                            continue;
                        }
                        break;
                    }
                    path.push('.');
                    j += 1;
                    continue;
                }
                break;
            }
            let is_call = inner[j..].trim_start().starts_with('(');
            let literal = matches!(path.as_str(), "true" | "false" | "null");
            if !is_call && !literal {
                out.push(path.trim_end_matches('.').to_string());
            }
            i = j.max(i + 1);
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Splits `text` at every top-level (outside strings and brackets) occurrence of `operator`.
fn split_top<'t>(text: &'t str, operator: &str) -> Vec<&'t str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            _ if depth == 0 && text[i..].starts_with(operator) => {
                parts.push(&text[start..i]);
                i += operator.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

/// Functions whose result is a boolean or a hash whatever their arguments.
const FIXED_RESULT: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "success",
    "failure",
    "always",
    "cancelled",
    "hashfiles",
];

/// The contexts whose text can become the *value* of an expression, as opposed to those it
/// only tests. `a && 'x' || 'y'` is `'x'` or `'y'` (or a falsy, empty `a`); a comparison,
/// `!a` or `contains(…)` is a boolean; `fromJSON(inputs.flag) && '-v'` is `'-v'` or empty.
/// A literal-only expression has no contexts: its value is a constant.
pub fn value_contexts(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    value_contexts_into(inner.trim(), &mut out, 0);
    out
}

fn value_contexts_into(text: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 32 {
        out.extend(contexts(text));
        return;
    }
    let alternatives = split_top(text, "||");
    if alternatives.len() > 1 {
        for alternative in alternatives {
            value_contexts_into(alternative.trim(), out, depth + 1);
        }
        return;
    }
    let chain = split_top(text, "&&");
    if chain.len() > 1 {
        // The value is the last operand, or an earlier falsy one: `false`, `0`, `''`, `null`.
        if let Some(last) = chain.last() {
            value_contexts_into(last.trim(), out, depth + 1);
        }
        return;
    }
    let compares = ["==", "!=", "<=", ">=", "<", ">"]
        .iter()
        .any(|operator| split_top(text, operator).len() > 1);
    if compares || text.starts_with('!') {
        return;
    }
    if let Some(inside) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        value_contexts_into(inside.trim(), out, depth + 1);
        return;
    }
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let called = text[name.len()..].trim_start().starts_with('(');
    if called && FIXED_RESULT.contains(&name.to_ascii_lowercase().as_str()) {
        return;
    }
    out.extend(contexts(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_expressions_and_contexts() {
        let text = "echo ${{ github.event.issue.title }} and ${{ format('{0}', github.head_ref) }}";
        let found = expressions(text);
        assert_eq!(found.len(), 2);
        assert_eq!(contexts(found[0].inner), vec!["github.event.issue.title"]);
        assert_eq!(contexts(found[1].inner), vec!["github.head_ref"]);
    }

    #[test]
    fn normalises_indexes() {
        assert_eq!(
            contexts("github.event.commits[0].message"),
            vec!["github.event.commits.*.message"]
        );
        assert_eq!(
            contexts("github.event['pull_request']['title']"),
            vec!["github.event.pull_request.title"]
        );
        assert_eq!(
            contexts("github.event.commits.*.author.name"),
            vec!["github.event.commits.*.author.name"]
        );
    }

    #[test]
    fn value_contexts_skip_what_is_only_tested() {
        assert!(value_contexts("'constant'").is_empty());
        assert!(value_contexts("github.event.issue.title == 'x'").is_empty());
        assert!(value_contexts("contains(github.event.issue.title, 'x')").is_empty());
        assert!(value_contexts("!github.event.issue.title").is_empty());
        assert!(
            value_contexts("fromJSON(inputs.free-threading) && '_free_threading' || ''").is_empty()
        );
        assert!(value_contexts("github.event_name == 'push' && 'a' || 'b'").is_empty());
        assert_eq!(
            value_contexts("github.event.issue.title || 'none'"),
            vec!["github.event.issue.title"]
        );
        assert_eq!(
            value_contexts("inputs.x && github.head_ref"),
            vec!["github.head_ref"]
        );
        assert_eq!(
            value_contexts("format('{0}', github.head_ref)"),
            vec!["github.head_ref"]
        );
        assert_eq!(value_contexts("(github.head_ref)"), vec!["github.head_ref"]);
        assert_eq!(value_contexts("toJSON(github.event)"), vec!["github.event"]);
    }

    #[test]
    fn skips_literals_and_functions() {
        assert_eq!(
            contexts("contains(github.event.pull_request.labels.*.name, 'x y') && true"),
            vec!["github.event.pull_request.labels.*.name"]
        );
    }
}
