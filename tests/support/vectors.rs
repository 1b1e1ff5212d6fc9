//! The golden vectors of format versions 1 and 3 (tests/vectors/v1/, tests/vectors/v3/): the
//! manifests, each case's signing key, a decoder able to open each blob, and the blob and
//! session of each case.

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
    /// The format version whose directory holds the vector (not in the manifest).
    #[serde(skip)]
    pub version: u8,
}

/// The format versions that have golden vectors.
pub const VERSIONS: [u8; 2] = [1, 3];

/// The directory of version `version`'s golden vectors.
pub fn dir_of(version: u8) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/v{version}"))
}

/// The cases of version `version`'s manifest (empty when it has none yet).
pub fn manifest_of(version: u8) -> Vec<Case> {
    let Ok(text) = std::fs::read_to_string(dir_of(version).join("manifest.json")) else {
        return Vec::new();
    };
    let mut cases: Vec<Case> = serde_json::from_str(&text).unwrap();
    for case in &mut cases {
        case.version = version;
    }
    cases
}

/// Every golden vector, of every version.
pub fn manifest() -> Vec<Case> {
    VERSIONS.into_iter().flat_map(manifest_of).collect()
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
    std::fs::read(dir_of(case.version).join(format!("{}.bin", case.name))).unwrap()
}

/// The blob of `case` and the session of its JSON.
#[cfg(feature = "json")]
pub fn read(case: &Case) -> (Vec<u8>, sessionpack::Session) {
    let json = std::fs::read(dir_of(case.version).join(format!("{}.json", case.name))).unwrap();
    (blob(case), sessionpack::Session::from_json(&json).unwrap())
}
