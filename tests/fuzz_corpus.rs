//! Replays the kept fuzz corpora (`fuzz/corpus/<target>/`, minimized with `cargo fuzz cmin`,
//! including every input that once crashed a target) through the same entry points the fuzz
//! targets call (`tollgate::fuzz`), so a regression fails `cargo test` without cargo-fuzz or a
//! nightly toolchain (issue 7).

#![cfg(test)]

use std::path::Path;

/// Rayon's worker threads, which parse files in the real binary, have 2 MiB stacks; the fuzzer
/// ran on the main thread's 8 MiB. Replaying on the smaller stack catches recursion that only
/// fits the larger one.
const WORKER_STACK: usize = 2 * 1024 * 1024;

#[test]
fn every_corpus_input_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, run) in tollgate::fuzz::TARGETS {
        let folder = root.join(target);
        let mut inputs: Vec<_> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{} holds no inputs", folder.display());
        let count = inputs.len();
        let replay = std::thread::Builder::new()
            .name(format!("replay {target}"))
            .stack_size(WORKER_STACK)
            .spawn(move || {
                for input in inputs {
                    let data = std::fs::read(&input).expect("read corpus input");
                    let outcome = std::panic::catch_unwind(|| run(&data));
                    assert!(
                        outcome.is_ok(),
                        "fuzz target `{target}` panics on {}",
                        input.display()
                    );
                }
            })
            .expect("spawn replay thread");
        assert!(replay.join().is_ok(), "replaying `{target}` failed");
        println!("{target}: {count} inputs replayed");
    }
}
