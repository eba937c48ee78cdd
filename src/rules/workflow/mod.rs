//! Rules over GitHub Actions workflows and composite actions.

pub mod dangerous_trigger;
pub mod excessive_permissions;
pub mod long_ttl;
pub mod standing_credentials;
pub mod template_injection;
pub mod unpinned_action;
pub mod unprotected_deploy;
