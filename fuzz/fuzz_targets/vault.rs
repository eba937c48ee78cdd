#![no_main]
//! See tollgate::fuzz::vault_target.

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate::fuzz::vault_target(data));
