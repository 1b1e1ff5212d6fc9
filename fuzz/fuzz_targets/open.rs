//! Arbitrary bytes to `Decoder::open` — as a whole blob, or wrapped as a raw or compressed
//! archive with correct digests so that the archive and id-set validators are reached; whenever it
//! accepts, every accessor and membership answer is cross-checked (see `../checks/open.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks/open.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check(data));
