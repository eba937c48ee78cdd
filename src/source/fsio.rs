//! Reading and writing files a hostile tree may have booby-trapped: a FIFO that never
//! answers, a device that never ends, a committed symlink that points out of the repository.
//!
//! Reads open without blocking and refuse anything but a regular file, checked on the open
//! handle, and read at most a cap. Writes never go through a symlink: a report, baseline or
//! starter config whose path is a link is refused (the link is left as it is), unless the link
//! leads to a pipe, a terminal or another device, which cannot be overwritten
//! (`--output /dev/stdout`, process substitution).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a path is when it is not a regular file, for error messages; `None` for a file.
pub fn special_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a folder")
    } else if file_type.is_symlink() {
        Some("a symbolic link")
    } else if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() || file_type.is_block_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    }
}

/// Why a read failed, in words.
pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => error.to_string(),
    }
}

/// Why a file could not be read; `Display` is the wording users see.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed; the reason in words ([`io_reason`]).
    #[error("cannot read: {0}")]
    Io(String),
    /// A folder, FIFO, socket or device: refused without being read.
    #[error("is {0}, not a regular file; not read")]
    NotRegular(&'static str),
    /// Bigger than the cap for this kind of file.
    #[error("{}", too_big(*.len, *.max))]
    TooBig { len: u64, max: u64 },
    /// Not UTF-8, first bad byte at `offset`.
    #[error("not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { offset: usize },
}

impl From<std::io::Error> for ReadError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(io_reason(&error))
    }
}

/// The bytes of a regular file of at most `max` bytes. A FIFO, socket or device is refused
/// without being read (nor waited on); a bigger file is refused by its size.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let metadata = file.metadata()?;
    if let Some(kind) = special_kind(metadata.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    if metadata.len() > max {
        return Err(ReadError::TooBig {
            len: metadata.len(),
            max,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // The file may grow between the size check and the read: never read past the cap.
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooBig {
            len: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

fn too_big(len: u64, max: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if max >= MB {
        format!(
            "file is {} MB, more than the {} MB tollgate reads",
            len.div_ceil(MB),
            max / MB
        )
    } else {
        format!("file is {len} bytes, more than the {max} bytes tollgate reads")
    }
}

/// [`read_regular`] as UTF-8 text.
pub fn read_text(path: &Path, max: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, max)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Creates (or truncates) a file to write a report to, never through a symlink: a path that
/// is a link, dangling or not, is refused, so a link committed in the repository
/// (`tollgate.sarif -> /elsewhere`) cannot make tollgate overwrite what it points to. A link to
/// a pipe or device (`/dev/stdout`) is written, since nothing can be overwritten there.
pub fn create_output(path: &Path) -> std::io::Result<File> {
    let open = |follow: bool| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        if !follow {
            options.custom_flags(libc::O_NOFOLLOW);
        }
        options.open(path)
    };
    match open(false) {
        Ok(file) => Ok(file),
        Err(e) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            let harmless = std::fs::metadata(path).is_ok_and(|m| {
                let t = m.file_type();
                t.is_fifo() || t.is_char_device() || t.is_socket()
            });
            if harmless {
                return open(true);
            }
            drop(e);
            Err(std::io::Error::other(
                "it is a symbolic link; refusing to write through it (remove the link first)",
            ))
        }
        Err(e) => Err(e),
    }
}
