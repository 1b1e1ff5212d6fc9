//! Arbitrary bytes to `IdSetView::new`; when it accepts them, every read is cross-checked
//! against roaring-rs (see `../checks/idset.rs`, which `tests/fuzz_replay.rs` also runs on the
//! committed corpus and artifacts).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks/idset.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check(data));
