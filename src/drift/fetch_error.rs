//! Why a GitHub request gave no answer, by kind (issue 14 item 3): a refused token, a
//! permission the token lacks, a rate limit, a timeout, a broken connection and an answer that
//! is not what GitHub documents each call for a different fix, so each is its own variant.
//! The text of each is the reason a control carries; quoted API text is cut short.

/// The longest piece of GitHub's own `message` quoted in a reason.
pub const MAX_MESSAGE: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// 401: the token itself was refused.
    #[error("{what} answered 401: the token was refused{message}")]
    Unauthorized { what: String, message: String },
    /// 403 that is not a rate limit: the token lacks a permission or scope.
    #[error(
        "{what} answered 403: the token may not read this (it needs admin or the matching scope){message}"
    )]
    Forbidden { what: String, message: String },
    /// A rate limit whose wait is longer than this run waits.
    #[error(
        "rate limited on {what} (HTTP {status}): GitHub asks to wait {wait}s, longer than the {max_wait}s this run waits{message}"
    )]
    RateLimitWaitTooLong {
        what: String,
        status: u16,
        wait: u64,
        max_wait: u64,
        message: String,
    },
    /// Rate limited on every attempt, each wait honoured.
    #[error(
        "rate limited on {what} (HTTP {status}) {attempts} times, waiting as GitHub asked{message}"
    )]
    RateLimited {
        what: String,
        status: u16,
        attempts: u32,
        message: String,
    },
    /// The request (connect, answer and body) outlasted `--request-timeout`.
    #[error("{what} did not finish within {seconds}s (--request-timeout)")]
    Timeout { what: String, seconds: u64 },
    /// The connection failed or broke off.
    #[error("{what} {detail}")]
    Network { what: String, detail: String },
    /// The answer is over the body cap.
    #[error("{what}: the answer is larger than the {mib} MiB tollgate reads")]
    TooLarge { what: String, mib: usize },
    /// Another HTTP status (5xx after retries, 4xx other than 401/403/404).
    #[error("{what} answered HTTP {status}{message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    /// The answer is not what GitHub documents: not JSON, not the documented shape, a list
    /// shorter than its count.
    #[error("{what}: {detail}")]
    Payload { what: String, detail: String },
    /// A list still going at the page cap.
    #[error("{what}: truncated after {pages} pages ({items} items read, more remain)")]
    Truncated {
        what: String,
        pages: u32,
        items: usize,
    },
    /// The answer does not show what the token may not see.
    #[error("{detail}")]
    Hidden { detail: String },
}

impl FetchError {
    /// The request named as `what` (`GET /repos/…?page=3`) named instead as `to` (the list,
    /// not one of its pages).
    pub fn renamed(self, from: &str, to: &str) -> Self {
        let fix = |what: String| what.replace(from, to);
        match self {
            Self::Unauthorized { what, message } => Self::Unauthorized {
                what: fix(what),
                message,
            },
            Self::Forbidden { what, message } => Self::Forbidden {
                what: fix(what),
                message,
            },
            Self::RateLimitWaitTooLong {
                what,
                status,
                wait,
                max_wait,
                message,
            } => Self::RateLimitWaitTooLong {
                what: fix(what),
                status,
                wait,
                max_wait,
                message,
            },
            Self::RateLimited {
                what,
                status,
                attempts,
                message,
            } => Self::RateLimited {
                what: fix(what),
                status,
                attempts,
                message,
            },
            Self::Timeout { what, seconds } => Self::Timeout {
                what: fix(what),
                seconds,
            },
            Self::Network { what, detail } => Self::Network {
                what: fix(what),
                detail,
            },
            Self::TooLarge { what, mib } => Self::TooLarge {
                what: fix(what),
                mib,
            },
            Self::Status {
                what,
                status,
                message,
            } => Self::Status {
                what: fix(what),
                status,
                message,
            },
            Self::Payload { what, detail } => Self::Payload {
                what: fix(what),
                detail,
            },
            Self::Truncated { what, pages, items } => Self::Truncated {
                what: fix(what),
                pages,
                items,
            },
            Self::Hidden { detail } => Self::Hidden { detail },
        }
    }

    /// Whether waiting and trying again may help (a rate limit or a network fault), as
    /// opposed to a token or permission that must change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimitWaitTooLong { .. }
                | Self::RateLimited { .. }
                | Self::Timeout { .. }
                | Self::Network { .. }
                | Self::Status { status: 500.., .. }
        )
    }
}

/// GitHub's `message` field, cut to [`MAX_MESSAGE`], as `: message` for a reason.
pub fn github_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .map(|m| {
            let cut: String = m.chars().take(MAX_MESSAGE).collect();
            let more = if cut.len() < m.len() { "…" } else { "" };
            format!(": {cut}{more}")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_before_and_name_the_list_not_the_page() {
        let e = FetchError::Forbidden {
            what: "GET /repos/a/b/actions/secrets?per_page=100&page=2".into(),
            message: ": Must have admin rights".into(),
        };
        assert!(!e.is_transient());
        let e = e.renamed("?per_page=100&page=2", "");
        assert_eq!(
            e.to_string(),
            "GET /repos/a/b/actions/secrets answered 403: the token may not read this (it needs admin or the matching scope): Must have admin rights"
        );
        let limited = FetchError::RateLimited {
            what: "GET /x".into(),
            status: 429,
            attempts: 3,
            message: String::new(),
        };
        assert!(limited.is_transient());
        assert_ne!(
            limited,
            FetchError::Unauthorized {
                what: "GET /x".into(),
                message: String::new()
            }
        );
    }

    #[test]
    fn a_huge_message_is_cut() {
        let body = serde_json::json!({ "message": "x".repeat(100_000) }).to_string();
        assert!(github_message(&body).len() < MAX_MESSAGE + 10);
    }
}
