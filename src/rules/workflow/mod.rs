//! Rules over GitHub Actions workflows and composite actions.

pub mod cache_poisoning;
pub mod checkout_credentials_persisted;
pub mod dangerous_trigger;
pub mod excessive_permissions;
pub mod github_env_injection;
pub mod insecure_commands;
pub mod long_ttl;
pub mod secrets_exposed;
pub mod secrets_outside_environment;
pub mod self_hosted_runner;
pub mod spoofable_bot_condition;
pub mod standing_credentials;
pub mod template_injection;
pub mod unpinned_action;
pub mod unpinned_image;
pub mod unprotected_deploy;
