#![no_main]
//! See tollgate::fuzz::json_target.

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate::fuzz::json_target(data));
