//! A `# tollgate: ignore[…]` comment with no reason. Reported by the engine itself
//! (see `crate::suppress`), since it is about the comment, not about the document.

use crate::finding::Severity;

pub struct SuppressionWithoutReason;

crate::rule_meta!(
    SuppressionWithoutReason,
    "suppression-without-reason",
    Severity::Low,
    "an inline suppression that does not say why",
    r#"## What it does
Reports `# tollgate: ignore[rule-id]` comments that give no reason after the closing bracket.
Such a comment suppresses nothing: the finding it meant to hide is still reported.

## Why is this bad
A suppression is a decision that a finding is acceptable. Without a reason, a reviewer cannot
tell an accepted risk from a silenced alarm, and the next person to touch the file cannot tell
whether the reason still holds.

## Example
```yaml
      - uses: actions/checkout@v4  # tollgate: ignore[unpinned-action]
```

## Use instead
```yaml
      - uses: actions/checkout@v4  # tollgate: ignore[unpinned-action] internal mirror pins tags
```

## References
- zizmor's inline ignores: https://docs.zizmor.sh/usage/#ignoring-results
"#
);
