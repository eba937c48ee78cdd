//! Rules over Vault policies and Vault roles.
