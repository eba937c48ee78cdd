//! English for messages: one place for plurals, so every renderer says `1 file` and `2 files`
//! the same way.

/// `word` with an `s` unless there is exactly one: `plural(1, "action")` is `action`,
/// `plural(2, "action")` is `actions`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// The count and the word in agreement: `1 finding`, `0 findings`, `3 findings`.
pub fn counted(n: usize, word: &str) -> String {
    format!("{n} {}", plural(n, word))
}

#[cfg(test)]
mod tests {
    use super::{counted, plural};

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(plural(1, "action"), "action");
        assert_eq!(plural(0, "action"), "actions");
        assert_eq!(plural(2, "action"), "actions");
        assert_eq!(counted(1, "file"), "1 file");
        assert_eq!(counted(0, "file error"), "0 file errors");
        assert_eq!(counted(12, "finding"), "12 findings");
    }
}
