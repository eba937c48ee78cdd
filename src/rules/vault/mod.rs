//! Rules over Vault policies and the Vault provider's roles.

pub mod vault_jwt_unbounded;
pub mod vault_overbroad_policy;
