//! Small helpers every layer may use, knowing nothing of tollgate's documents: durations,
//! English words for messages. The bottom of the module graph: `util` imports no other module
//! of the crate (see `tests/layers.rs`).

pub mod duration;
pub mod words;
