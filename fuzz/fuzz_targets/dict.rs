//! Arbitrary bytes to `DictionaryDecoder::open` (as they are, and with the digest recomputed);
//! when it accepts them, every key is cross-checked against a map rebuilt from `key_of` (see
//! `../checks/dict.rs`, which `tests/fuzz_replay.rs` also runs on the committed corpus).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks/dict.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check(data));
