//! An arbitrary `Session` and encoder options → encode → open → the same session, every read
//! agreeing with the owned model (see `../checks/roundtrip.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks/roundtrip.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check(data));
