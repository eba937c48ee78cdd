use std::process::ExitCode;

use clap::Parser;

// The scan allocates millions of small nodes across threads; mimalloc handles that pattern far
// better than glibc's allocator (measured in benches/realworld.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tollgate::cli::run(tollgate::cli::Cli::parse())
}
