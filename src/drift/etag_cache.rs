//! Conditional requests for repeated runs (`--cache DIR`): each GitHub answer that carries an
//! `ETag` is kept, and the next run sends `If-None-Match`. GitHub answers an unchanged
//! resource with `304 Not Modified`, which does not count against the token's rate limit, so a
//! quarterly run over an organisation that changed little costs little.
//!
//! One file per URL, named by a hash of it, holding the URL (checked on read, so a hash
//! collision is a miss), the ETag and the body. A file that cannot be read or parsed is a
//! miss, never an answer; a file larger than the body cap is not read. Bodies hold what the
//! API returned (secret *names*, never values: GitHub never returns secret values).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A directory of cached answers.
#[derive(Debug)]
pub struct EtagCache {
    dir: PathBuf,
    /// The largest cached body read back (the request body cap).
    max_body: usize,
}

/// One cached answer.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    url: String,
    etag: String,
    body: String,
}

/// A cached answer found for a URL.
#[derive(Debug)]
pub struct Cached {
    pub etag: String,
    pub body: Vec<u8>,
}

impl EtagCache {
    /// Opens (creating it when needed) the cache directory.
    pub fn open(dir: &Path, max_body: usize) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--cache {}: cannot create it: {e}", dir.display()))?;
        if !dir.is_dir() {
            return Err(format!("--cache {}: not a directory", dir.display()));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            max_body,
        })
    }

    fn file_of(&self, url: &str) -> PathBuf {
        let digest = Sha256::digest(url.as_bytes());
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The cached answer for `url`, when one is kept and readable.
    pub fn lookup(&self, url: &str) -> Option<Cached> {
        let path = self.file_of(url);
        let size = std::fs::symlink_metadata(&path).ok()?;
        // A link or special file planted in the cache is not followed.
        if !size.is_file() || size.len() > (self.max_body as u64) * 2 + 4096 {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        (entry.url == url && !entry.etag.is_empty()).then(|| Cached {
            etag: entry.etag,
            body: entry.body.into_bytes(),
        })
    }

    /// Keeps `body` as the answer for `url` under `etag`. A failure to write only loses the
    /// saving on the next run, so it is not an error of this one.
    pub fn store(&self, url: &str, etag: &str, body: &[u8]) {
        let Ok(body) = std::str::from_utf8(body) else {
            return;
        };
        let entry = Entry {
            url: url.to_string(),
            etag: etag.to_string(),
            body: body.to_string(),
        };
        let Ok(text) = serde_json::to_string(&entry) else {
            return;
        };
        let path = self.file_of(url);
        // Written beside and renamed, so a concurrent or interrupted run never reads half.
        let partial = path.with_extension(format!("{}.partial", std::process::id()));
        if std::fs::write(&partial, text).is_ok() && std::fs::rename(&partial, &path).is_err() {
            let _ = std::fs::remove_file(&partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_by_url_and_a_damaged_file_is_a_miss() {
        let dir = std::env::temp_dir().join(format!("tollgate-etag-{}", std::process::id()));
        let cache = EtagCache::open(&dir, 1024).unwrap();
        assert!(cache.lookup("/repos/a/b").is_none());
        cache.store("/repos/a/b", "\"abc\"", b"{\"x\":1}");
        let hit = cache.lookup("/repos/a/b").unwrap();
        assert_eq!(hit.etag, "\"abc\"");
        assert_eq!(hit.body, b"{\"x\":1}");
        assert!(cache.lookup("/repos/a/c").is_none());
        std::fs::write(cache.file_of("/repos/a/b"), "not json").unwrap();
        assert!(cache.lookup("/repos/a/b").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
