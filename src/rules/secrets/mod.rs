//! Secrets written into files. One rule, `hardcoded-secret`; its helpers live beside it.

mod assign;
mod catalog;
mod checks;
pub mod hardcoded_secret;
mod scanner;
