//! Rules over the whole deploy path: workflow job → environment → role → trust policy.

pub mod deploy_path_bypass;
pub mod deploy_path_undeclared;
