#![no_main]
//! See tollgate::fuzz::check_target.

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate::fuzz::check_target(data));
