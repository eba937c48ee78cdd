#![no_main]
//! See tollgate::fuzz::yaml_target.

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate::fuzz::yaml_target(data));
