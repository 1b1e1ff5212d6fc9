//! The golden vectors of format version 1 (tests/vectors/v1/): the manifest, each case's signing
//! key, a decoder able to open each blob, and the blob and session of each case.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sessionpack::{Decoder, Expiry, MacKey};

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Case {
    pub name: String,
    /// What the vector is for.
    pub about: String,
    pub level: i32,
    /// "auto:N" (store raw unless compression saves N %), "always" or "never".
    pub compression: String,
    /// Signing key: id and hex bytes.
    pub key: Option<(u32, String)>,
}

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1")
}

pub fn manifest() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn key(case: &Case) -> Option<MacKey> {
    case.key.as_ref().map(|(id, hex)| {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        MacKey::new(*id, &bytes).unwrap()
    })
}

/// A decoder able to open `case`'s blob: holding its key (so requiring a MAC) when it is signed.
/// The golden vectors pin bytes, not time: their sessions are from 2025, so the decoder ignores
/// expiry (the refusal vectors test expiry, each with its own `now`).
pub fn decoder(case: &Case) -> Decoder {
    let decoder = Decoder::new().with_expiry(Expiry::Ignore);
    match key(case) {
        Some(key) => decoder.with_key(key),
        None => decoder,
    }
}

/// The blob of `case`.
pub fn blob(case: &Case) -> Vec<u8> {
    std::fs::read(dir().join(format!("{}.bin", case.name))).unwrap()
}

/// The blob of `case` and the session of its JSON.
#[cfg(feature = "json")]
pub fn read(case: &Case) -> (Vec<u8>, sessionpack::Session) {
    let json = std::fs::read(dir().join(format!("{}.json", case.name))).unwrap();
    (blob(case), sessionpack::Session::from_json(&json).unwrap())
}
