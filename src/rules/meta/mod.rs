//! Rules about tollgate's own markers rather than about a document.

pub mod policy_weakened;
pub mod suppression_without_reason;
