//! tollgate: a policy-as-code linter and drift scanner for the path to production.
//!
//! The spine is small: [`source`] finds, classifies and parses files into spanned documents;
//! [`rules`] holds the registry and one file per rule; [`engine`] runs them and resolves
//! findings; [`output`] renders one [`engine::Report`] in each format.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod cli;
pub mod config;
#[cfg(feature = "drift")]
pub mod drift;
pub mod engine;
pub mod escape;
pub mod finding;
#[doc(hidden)]
pub mod fuzz;
pub mod model;
pub mod output;
pub mod paths;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod util;
