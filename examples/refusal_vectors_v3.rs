//! Writes the refusal vectors of format version 3 (`SPEC.md` sections 6.5 and 14.2): blobs
//! every reader MUST refuse, each breaking one rule that version 3 adds or changes, listed in
//! `manifest.json` as the version 1 ones are.
//!
//! ```text
//! cargo run --example refusal_vectors_v3 -- tests/vectors/v3/refuse
//! ```
//!
//! Released vectors never change: this program only **adds** the vectors that are missing and
//! never overwrites a file. Each vector starts from a blob the library writes and changes the
//! bytes its rule is about; the digest (XXH64, seed 3 in version 3) and the MAC (HMAC-SHA256)
//! are computed here, as another implementation would, so that a reader reaches that rule.

use std::path::PathBuf;

#[path = "support/refusal_manifest.rs"]
mod refusal_manifest;
use refusal_manifest::Case;

use hmac::{Hmac, KeyInit, Mac};
use sessionpack::{Compression, Encoder, MacKey, Session};
use sha2::Sha256;
use xxhash_rust::xxh64::xxh64;

/// The key of the signed vectors: id 7, bytes `00..1f` (as in version 1's vectors).
const KEY_ID: u32 = 7;
/// 2025-11-26T09:00:00Z: the sessions are issued then and expire an hour later.
const ISSUED: i64 = 1_764_147_600_000;
const EXPIRES: i64 = ISSUED + 3_600_000;
/// The `now` of every vector not about expiry: a minute into the sessions' validity.
const NOW: i64 = ISSUED + 60_000;

fn key_bytes() -> Vec<u8> {
    (0..32).collect()
}

/// A session over both dictionaries.
fn keyed() -> Session {
    Session::new(
        "64b7f0c2e1a9d3f4a5b6c7d8",
        "acme-health",
        "tok",
        ISSUED,
        EXPIRES,
    )
    .with_roles(["clinician"])
    .with_facilities([0, 1, 2, 40])
    .with_groups(7..20)
    .with_facility_lineage(0x9e3f_1c2a_5b7d_4e60)
    .with_group_lineage(0x1b87_3c5d_e2f4_a609)
}

/// The raw blob of `session`, signed when `signed`.
fn raw(session: &Session, signed: bool) -> Vec<u8> {
    let mut encoder = Encoder::new().with_compression(Compression::Never);
    if signed {
        encoder = encoder.with_key(MacKey::new(KEY_ID, &key_bytes()).unwrap());
    }
    encoder.encode(session).unwrap().to_vec()
}

/// A raw blob whose archive is `archive`, with header byte 4 `version`, the digest of `seed`
/// and, when `signed`, a right MAC.
fn reseal(template: &[u8], version: u8, archive: &[u8], seed: u64, signed: bool) -> Vec<u8> {
    let mut out = template[..40].to_vec();
    out[4] = version;
    out[8..16].copy_from_slice(&xxh64(archive, seed).to_le_bytes());
    let len = u32::try_from(archive.len()).unwrap().to_le_bytes();
    out[16..20].copy_from_slice(&len);
    out[20..24].copy_from_slice(&len);
    out.extend_from_slice(archive);
    if signed {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key_bytes()).unwrap();
        mac.update(&out);
        out.extend_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The archive of a raw blob.
fn archive_of(blob: &[u8]) -> Vec<u8> {
    let len = u32::from_le_bytes(blob[16..20].try_into().unwrap()) as usize;
    blob[40..40 + len].to_vec()
}

fn cases() -> Vec<Case> {
    let good = raw(&keyed(), false);
    let good_signed = raw(&keyed(), true);
    let archive = archive_of(&good);
    let root = archive.len() - 96;
    let without_lineages = {
        let mut a = archive.clone();
        a[root + 80..].fill(0);
        a
    };
    let plain = Session::new("u1", "acme", "tok", ISSUED, EXPIRES).with_facilities([1, 2, 3]);
    let case = |name, rule, kind, key, about, bin| Case {
        name,
        rule,
        kind,
        now: NOW,
        key,
        about,
        bin,
    };
    vec![
        case(
            "v3_no_lineage",
            "R-ARC3-LINEAGE §6.5",
            "corrupt",
            false,
            "a version 3 raw blob whose two lineages are 0 (digest right)",
            reseal(&good, 3, &without_lineages, 3, false),
        ),
        case(
            "v3_signed_no_lineage",
            "R-ARC3-LINEAGE §6.5",
            "corrupt",
            true,
            "the same, signed with key id 7 (MAC right): the MAC does not make it valid",
            reseal(&good_signed, 3, &without_lineages, 3, true),
        ),
        case(
            "v3_archive_88_bytes",
            "R-ARC-LEN §6.1",
            "corrupt",
            false,
            "a version 3 archive of 88 zero bytes: a multiple of 8, shorter than the 96-byte root",
            reseal(&good, 3, &[0; 88], 3, false),
        ),
        case(
            "v3_digest_seed_0",
            "R-DIGEST §3",
            "corrupt",
            false,
            "a version 3 raw blob whose digest is XXH64 with seed 0, not 3",
            reseal(&good, 3, &archive, 0, false),
        ),
        case(
            "v1_labelled_3",
            "R-DIGEST §3",
            "corrupt",
            false,
            "a version 1 raw blob with version byte 3 (one bit flipped), its seed-0 digest kept",
            {
                let mut b = raw(&plain, false);
                b[4] = 3;
                b
            },
        ),
        case(
            "v3_labelled_1",
            "R-DIGEST §3",
            "corrupt",
            false,
            "a version 3 raw blob with version byte 1 (one bit flipped), its seed-3 digest kept",
            {
                let mut b = good.clone();
                b[4] = 1;
                b
            },
        ),
        Case {
            name: "v3_expired",
            rule: "R-EXPIRED §9",
            kind: "expired",
            now: EXPIRES,
            key: false,
            about: "a valid version 3 raw blob read at its expires_at",
            bin: good.clone(),
        },
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors/v3/refuse".into()),
    );
    refusal_manifest::write_missing(&dir, cases(), (KEY_ID, hex(&key_bytes())));
}
