//! Arbitrary bytes to the JSON reader; whatever it accepts encodes and decodes unchanged (see
//! `../checks/json.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks/json.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check(data));
