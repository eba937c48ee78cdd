use std::process::ExitCode;

use clap::Parser;

// The scan allocates millions of small nodes across threads; mimalloc handles that pattern far
// better than glibc's allocator (measured in benches/realworld.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (the -sys crate names no constant
/// for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Memory a file's document freed goes back to the system after 10 ms, not mimalloc's
    // default 1 s: a scan frees documents continuously, and a second's worth of them made
    // peak memory a third higher on the 200 MB tree of benches/secrets.sh. Transparent huge
    // pages are off (the `no_thp` feature) for the same reason: 2 MiB pages, each touched
    // only in part, inflated the resident set.
    // SAFETY: `mi_option_set` only stores an integer in mimalloc's option table, which
    // mimalloc reads on each purge; it is called before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10)
    };
    tollgate::cli::run(tollgate::cli::Cli::parse())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option index is mimalloc's `mi_option_purge_delay`: its v3 default is 1000 ms, and
    /// no other option of the table defaults to that (`main` does not run in tests).
    #[test]
    fn purge_delay_option_index() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            eprintln!("skipped: MIMALLOC_PURGE_DELAY is set, so the default is not visible");
            return;
        }
        // SAFETY: reads mimalloc's option table.
        #[allow(unsafe_code)]
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
