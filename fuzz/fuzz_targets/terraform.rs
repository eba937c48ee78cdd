#![no_main]
//! See tollgate::fuzz::terraform_target.

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate::fuzz::terraform_target(data));
