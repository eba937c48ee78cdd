//! Durations, the one parser for all of them: `tollgate.yml`'s `max_credential_ttl`, Vault
//! policies and roles, and Terraform TTLs. Whole seconds (`3600`, `"3600"`), or Go's
//! `time.ParseDuration` form (`1.5h`, `90m`, `1h30m`, `500ms`) that Vault reads, plus Vault's
//! `d` for days.

/// Seconds in a duration, rounded down; `None` when the text is not a duration (an
/// expression, a typo). Negative and overflowing durations are `None` too.
pub fn seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(seconds);
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * unit;
    }
    (total.is_finite() && total < u64::MAX as f64).then_some(total as u64)
}

/// Seconds in the largest whole unit, as messages print them: `1h`, `15m` or `90s`.
pub fn human(seconds: u64) -> String {
    if seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::{human, seconds};

    #[test]
    fn in_words() {
        assert_eq!(human(3600), "1h");
        assert_eq!(human(5400), "90m");
        assert_eq!(human(90), "90s");
        assert_eq!(human(0), "0h");
    }

    #[test]
    fn go_durations() {
        for (text, expected) in [
            ("3600", Some(3600)),
            ("1.5h", Some(5400)),
            ("90m", Some(5400)),
            ("1h30m", Some(5400)),
            ("1h30m15s", Some(5415)),
            ("500ms", Some(0)),
            ("2d", Some(172_800)),
            (".5h", Some(1800)),
            ("768h", Some(2_764_800)),
            ("", None),
            ("1x", None),
            ("h", None),
            ("1.2.3h", None),
            ("-1h", None),
            ("${var.ttl}", None),
        ] {
            assert_eq!(seconds(text), expected, "{text}");
        }
    }
}
