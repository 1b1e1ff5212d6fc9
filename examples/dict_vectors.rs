//! Writes the id dictionary vectors of `SPEC.md` section 16: the golden dictionaries
//! (`tests/vectors/dict/v1/`, section 16.5) and the refusal vectors
//! (`tests/vectors/dict/v1/refuse/`, section 16.6), each listed in its directory's
//! `manifest.json`.
//!
//! ```text
//! cargo run --example dict_vectors -- tests/vectors/dict/v1
//! ```
//!
//! Released vectors never change: this program only **adds** the vectors that are missing and
//! never overwrites a file. To add one, append a case and run it.
//!
//! The golden dictionaries are written by the library (`IdDictionary`). The refusal vectors are
//! built here from `SPEC.md` section 16.2 alone — a second writer, checked against the library
//! byte for byte before anything is written — so that they can hold what the library never
//! writes (duplicate keys, bad UTF-8, a wrong index), with their digest and MAC recomputed so that
//! a reader reaches the one rule each breaks.

use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sessionpack::{DictKind, IdDictionary, KeyType, MacKey};
use sha2::Sha256;
use xxhash_rust::xxh64::xxh64;

/// The key of the signed vectors: id 7, bytes `00..1f` (as the session vectors').
const KEY_ID: u32 = 7;
fn key_bytes() -> Vec<u8> {
    (0..32).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// xorshift64*: deterministic keys.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// A second writer, from SPEC.md section 16.2.

fn slots(n: usize) -> usize {
    (5 * n).div_ceil(4)
}

fn mask(n: usize) -> u32 {
    let bits = usize::BITS - n.leading_zeros();
    ((1_u64 << bits) - 1) as u32
}

fn home(h: u64, s: usize) -> usize {
    ((u128::from(h) * s as u128) >> 64) as usize
}

/// The canonical unsigned bytes of a dictionary with these fields and raw key bytes (which may
/// break any rule: repeats, bad UTF-8, long strings).
fn encode_raw(tenant: &[u8], kind: u8, key_type: u8, lineage: u64, keys: &[Vec<u8>]) -> Vec<u8> {
    let n = keys.len();
    let s = slots(n);
    let m = mask(n);
    let mut body = tenant.to_vec();
    if key_type == 3 {
        let mut end = 0_u32;
        for k in keys {
            end += k.len() as u32;
            body.extend_from_slice(&end.to_le_bytes());
        }
    }
    for k in keys {
        body.extend_from_slice(k);
    }
    let mut index = vec![u32::MAX; s];
    for (id, k) in keys.iter().enumerate() {
        let h = xxh64(k, 0);
        let mut p = home(h, s);
        while index[p] != u32::MAX {
            p = (p + 1) % s;
        }
        index[p] = (h as u32 & !m) | id as u32;
    }
    for v in index {
        body.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = vec![0x93, b'S', b'P', b'D', 1, 0, 0, 0];
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&0_u32.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&[key_type, kind, tenant.len() as u8, 0]);
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(&lineage.to_le_bytes());
    out.extend_from_slice(&body);
    redigest(&mut out);
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The end of the body, by the header's `body_len` (clamped to the bytes present).
fn body_end(b: &[u8]) -> usize {
    (40 + u32_at(b, 20) as usize).min(b.len())
}

/// Recomputes the digest over `[24, 40 + body_len)`.
fn redigest(b: &mut [u8]) {
    let end = body_end(b);
    let d = xxh64(&b[24..end], 0);
    b[8..16].copy_from_slice(&d.to_le_bytes());
}

/// Signs unsigned bytes: flag, key id, trailer.
fn sign(mut b: Vec<u8>, key_id: u32, key: &[u8]) -> Vec<u8> {
    b[5] |= 1;
    put_u32(&mut b, 16, key_id);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(&b);
    b.extend_from_slice(&mac.finalize().into_bytes());
    b
}

/// The index slot offsets of a dictionary with `n` keys, body ending at `end`.
fn index_at(b: &[u8]) -> (usize, usize) {
    let n = u32_at(b, 28) as usize;
    let s = slots(n);
    (body_end(b) - 4 * s, s)
}

// ---------------------------------------------------------------------------------------------
// Golden dictionaries, by the library.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    name: String,
    about: String,
    tenant: String,
    kind: String,
    key_type: String,
    lineage: String,
    keys: Vec<String>,
    key: Option<(u32, String)>,
}

fn object_ids(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    // ObjectIds as a tenant makes them: a timestamp, a per-process random part, a counter.
    let process = rng.bytes(5);
    (0..n)
        .map(|i| {
            let mut b = (1_764_147_600_u32 + i as u32 * 37).to_be_bytes().to_vec();
            b.extend_from_slice(&process);
            b.extend_from_slice(&(rng.next() as u32 & 0xFF_FFFF).to_be_bytes()[1..]);
            hex(&b)
        })
        .collect()
}

fn uuids(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let mut b = rng.bytes(16);
            b[6] = (b[6] & 0x0F) | 0x40; // version 4
            b[8] = (b[8] & 0x3F) | 0x80;
            let h = hex(&b);
            format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )
        })
        .collect()
}

fn golden_cases() -> Vec<Golden> {
    let g = |name: &str,
             about: &str,
             tenant: &str,
             kind: &str,
             key_type: &str,
             lineage: u64,
             keys: Vec<String>,
             signed: bool| Golden {
        name: name.into(),
        about: about.into(),
        tenant: tenant.into(),
        kind: kind.into(),
        key_type: key_type.into(),
        lineage: format!("{lineage:016x}"),
        keys,
        key: signed.then(|| (KEY_ID, hex(&key_bytes()))),
    };
    let strings = [
        "north-wing",
        "",
        "ICU",
        "icu",
        "Zürich Süd",
        "病棟 7",
        "🏥",
        &"x".repeat(64),
        "a",
        "ab",
    ]
    .map(String::from)
    .to_vec();
    vec![
        g(
            "objectid",
            "200 ObjectId facilities of one tenant, in first-seen order",
            "acme",
            "facility",
            "objectid",
            0x9e37_79b9_7f4a_7c15,
            object_ids(200, 1),
            false,
        ),
        g(
            "uuid",
            "40 UUID groups",
            "acme",
            "group",
            "uuid",
            0x2545_f491_4f6c_dd1d,
            uuids(40, 2),
            false,
        ),
        g(
            "string",
            "string keys: the empty string, case, non-ASCII, 64 bytes, a prefix of another",
            "hôpital-est",
            "group",
            "string",
            0x0123_4567_89ab_cdef,
            strings,
            false,
        ),
        g(
            "empty",
            "no keys yet: header and tenant only, no index",
            "acme",
            "facility",
            "objectid",
            0x1111_2222_3333_4444,
            vec![],
            false,
        ),
        g(
            "signed",
            "30 ObjectId facilities, signed with key 7",
            "acme",
            "facility",
            "objectid",
            0x5555_6666_7777_8888,
            object_ids(30, 3),
            true,
        ),
        g(
            "spec_example",
            "the worked example of SPEC.md section 16.7",
            "t",
            "group",
            "string",
            0x0102_0304_0506_0708,
            vec!["a".into(), "bc".into()],
            false,
        ),
        // The dictionaries of the version 3 golden sessions (tests/vectors/v3/: their tenant
        // and lineages), so that checks by key can be tested from the vectors alone; the
        // answers are in tests/vectors/v3/keyed/probes.json (examples/keyed_probes.rs).
        g(
            "acme_health_facilities",
            "the facility dictionary of the v3 keyed_* sessions: 1,000 ObjectIds (an older copy for keyed_auto, whose ids reach 19,992), signed",
            "acme-health",
            "facility",
            "objectid",
            0x9e3f_1c2a_5b7d_4e60,
            object_ids(1000, 22),
            true,
        ),
        g(
            "acme_health_groups",
            "the group dictionary of the v3 keyed_* sessions: 300 UUIDs (an older copy for keyed_auto), signed",
            "acme-health",
            "group",
            "uuid",
            0x1b87_3c5d_e2f4_a609,
            uuids(300, 23),
            true,
        ),
        g(
            "acme_health_wards",
            "the facility dictionary of the v3 facilities_only session (lineage 1): 16 string keys, signed",
            "acme-health",
            "facility",
            "string",
            1,
            (0..16).map(|i| format!("ward-{i:02}")).collect(),
            true,
        ),
        g(
            "acme_health_teams",
            "the group dictionary of the v3 groups_only session (lineage 2^64 - 1), a copy of one key only, signed",
            "acme-health",
            "group",
            "string",
            u64::MAX,
            vec!["team-0".into()],
            true,
        ),
        g(
            "umbrella_facilities",
            "another tenant's facility dictionary with the lineage of the keyed_* sessions' (C-KEY-CHECK refuses it), signed",
            "umbrella",
            "facility",
            "objectid",
            0x9e3f_1c2a_5b7d_4e60,
            object_ids(3, 24),
            true,
        ),
    ]
}

fn kind_of(s: &str) -> DictKind {
    match s {
        "facility" => DictKind::Facility,
        "group" => DictKind::Group,
        _ => panic!("kind {s}"),
    }
}

fn key_type_of(s: &str) -> KeyType {
    match s {
        "objectid" => KeyType::ObjectId,
        "uuid" => KeyType::Uuid,
        "string" => KeyType::String,
        _ => panic!("key type {s}"),
    }
}

fn write_golden(g: &Golden) -> Vec<u8> {
    let lineage = u64::from_str_radix(&g.lineage, 16).unwrap();
    let dict = IdDictionary::new(
        &g.tenant,
        kind_of(&g.kind),
        key_type_of(&g.key_type),
        lineage,
    )
    .unwrap();
    let (dict, ids) = dict.append_text(&g.keys).unwrap();
    assert_eq!(
        ids,
        (0..g.keys.len() as u32).collect::<Vec<_>>(),
        "{}",
        g.name
    );
    let key = g
        .key
        .as_ref()
        .map(|_| MacKey::new(KEY_ID, &key_bytes()).unwrap());
    let bytes = dict.to_bytes(key.as_ref());
    // The second writer agrees with the library.
    let raw_keys: Vec<Vec<u8>> = dict.view().keys().map(|k| k.as_bytes().to_vec()).collect();
    let kt = match g.key_type.as_str() {
        "objectid" => 1,
        "uuid" => 2,
        _ => 3,
    };
    let kd = if g.kind == "facility" { 1 } else { 2 };
    let mut raw = encode_raw(g.tenant.as_bytes(), kd, kt, lineage, &raw_keys);
    if g.key.is_some() {
        raw = sign(raw, KEY_ID, &key_bytes());
    }
    assert!(raw == bytes, "{}: the second writer disagrees", g.name);
    bytes
}

// ---------------------------------------------------------------------------------------------
// Refusal vectors.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Refusal {
    name: String,
    rule: String,
    kind: String,
    key: Option<(u32, String)>,
    about: String,
}

struct Case {
    name: &'static str,
    rule: &'static str,
    kind: &'static str,
    /// Whether the reader holds key 7 (and so requires a MAC).
    key: bool,
    about: &'static str,
    bin: Vec<u8>,
}

fn oid_keys(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(99);
    (0..n).map(|_| rng.bytes(12)).collect()
}

/// A small valid ObjectId dictionary (8 keys), unsigned.
fn base() -> Vec<u8> {
    encode_raw(b"acme", 1, 1, 0xABCD, &oid_keys(8))
}

fn strings(keys: &[&[u8]]) -> Vec<u8> {
    let keys: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
    encode_raw(b"acme", 2, 3, 0xABCD, &keys)
}

/// Applies `f` to `bytes`, then recomputes the digest.
fn edit(mut bytes: Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    f(&mut bytes);
    redigest(&mut bytes);
    bytes
}

/// Signs with key 7.
fn signed(bytes: Vec<u8>) -> Vec<u8> {
    sign(bytes, KEY_ID, &key_bytes())
}

fn cases() -> Vec<Case> {
    let c = |name, rule, kind, key, about, bin| Case {
        name,
        rule,
        kind,
        key,
        about,
        bin,
    };
    let valid_signed = signed(base());
    let n_len = base().len();
    let mut v = vec![
        c("magic_session", "R-DICT-MAGIC §16.3", "not_a_blob", false,
          "a session blob's magic 93 53 50 4b", edit(base(), |b| b[3] = b'K')),
        c("magic_json", "R-DICT-MAGIC §16.3", "not_a_blob", false,
          "a JSON document", b"{\"keys\":[]}".to_vec()),
        c("magic_short", "R-DICT-MAGIC §16.3", "not_a_blob", false,
          "three bytes of the magic", vec![0x93, 0x53, 0x50]),
        c("magic_empty", "R-DICT-MAGIC §16.3", "not_a_blob", false,
          "the empty input", vec![]),
        c("header_39", "R-DICT-HDR-LEN §16.3", "corrupt", false,
          "the first 39 bytes of a dictionary", base()[..39].to_vec()),
        c("header_4", "R-DICT-HDR-LEN §16.3", "corrupt", false,
          "the magic alone", base()[..4].to_vec()),
        c("version_2", "R-DICT-VERSION §16.3", "unsupported", false,
          "version 2", edit(base(), |b| b[4] = 2)),
        c("version_0", "R-DICT-VERSION §16.3", "unsupported", false,
          "version 0", edit(base(), |b| b[4] = 0)),
        c("flags_bit1", "R-DICT-FLAGS §16.3", "unsupported", false,
          "reserved flag bit 1 set", edit(base(), |b| b[5] = 0x02)),
        c("flags_bit7", "R-DICT-FLAGS §16.3", "unsupported", false,
          "reserved flag bit 7 set", edit(base(), |b| b[5] = 0x80)),
        c("reserved_6", "R-DICT-RESERVED §16.3", "corrupt", false,
          "header byte 6 not zero", edit(base(), |b| b[6] = 1)),
        c("reserved_7", "R-DICT-RESERVED §16.3", "corrupt", false,
          "header byte 7 not zero", edit(base(), |b| b[7] = 0x80)),
        c("reserved_27", "R-DICT-RESERVED §16.3", "corrupt", false,
          "header byte 27 not zero (inside the digest, which is right)", edit(base(), |b| b[27] = 1)),
        c("keyid_unsigned", "R-DICT-KEYID §16.3", "corrupt", false,
          "unsigned, key id 7", edit(base(), |b| put_u32(b, 16, 7))),
        c("keyid_signed_zero", "R-DICT-KEYID §16.3", "corrupt", true,
          "signed flag with key id 0 (and a trailer)", {
              let mut b = valid_signed.clone();
              put_u32(&mut b, 16, 0);
              b
          }),
        c("key_type_0", "R-DICT-KEYTYPE §16.3", "unsupported", false,
          "key type 0", edit(base(), |b| b[24] = 0)),
        c("key_type_4", "R-DICT-KEYTYPE §16.3", "unsupported", false,
          "key type 4", edit(base(), |b| b[24] = 4)),
        c("kind_0", "R-DICT-KIND §16.3", "unsupported", false,
          "kind 0", edit(base(), |b| b[25] = 0)),
        c("kind_3", "R-DICT-KIND §16.3", "unsupported", false,
          "kind 3", edit(base(), |b| b[25] = 3)),
        c("tenant_65", "R-DICT-TENANT-LEN §16.3", "corrupt", false,
          "a tenant of 65 bytes, body length to match",
          encode_raw(&[b't'; 65], 1, 1, 0xABCD, &oid_keys(2))),
        c("tenant_255", "R-DICT-TENANT-LEN §16.3", "corrupt", false,
          "tenant_len 255", edit(base(), |b| b[26] = 255)),
        c("lineage_0", "R-DICT-LINEAGE §16.3", "corrupt", false,
          "lineage 0", encode_raw(b"acme", 1, 1, 0, &oid_keys(3))),
        c("limit_keys", "R-DICT-LIMIT-KEYS §16.3", "limit", false,
          "a header declaring 1,000,001 ObjectId keys, body length to match; only the header is present",
          {
              let mut b = base()[..40].to_vec();
              put_u32(&mut b, 28, 1_000_001);
              put_u32(&mut b, 20, 4 + 12 * 1_000_001 + 4 * slots(1_000_001) as u32);
              b
          }),
        c("limit_keys_max", "R-DICT-LIMIT-KEYS §16.3", "limit", false,
          "a header declaring 2^32 - 1 keys",
          {
              let mut b = base()[..40].to_vec();
              put_u32(&mut b, 28, u32::MAX);
              b
          }),
        c("body_len_short", "R-DICT-BODY-LEN §16.3", "corrupt", false,
          "an ObjectId dictionary whose body_len is one less than its count makes it, the blob one byte shorter",
          edit(base(), |b| {
              let l = u32_at(b, 20);
              put_u32(b, 20, l - 1);
              b.pop();
          })),
        c("body_len_long", "R-DICT-BODY-LEN §16.3", "corrupt", false,
          "an ObjectId dictionary with one byte more body than its count makes it",
          edit(base(), |b| {
              let l = u32_at(b, 20);
              put_u32(b, 20, l + 1);
              b.push(0);
          })),
        c("body_len_strings", "R-DICT-BODY-LEN §16.3", "corrupt", false,
          "a string dictionary of 1 key with 65 string bytes (more than 64 per key)",
          edit(strings(&[b"a"]), |b| {
              let l = u32_at(b, 20);
              put_u32(b, 20, l + 64);
              b.extend_from_slice(&[0; 64]);
          })),
        c("len_truncated", "R-DICT-LEN §16.3", "corrupt", false,
          "the last index byte missing", base()[..n_len - 1].to_vec()),
        c("len_trailing", "R-DICT-LEN §16.3", "corrupt", false,
          "one byte after the body of an unsigned dictionary", [base(), vec![0]].concat()),
        c("len_no_trailer", "R-DICT-LEN §16.3", "corrupt", true,
          "signed, its MAC trailer cut off", valid_signed[..valid_signed.len() - 32].to_vec()),
        c("len_trailer_short", "R-DICT-LEN §16.3", "corrupt", true,
          "signed, one byte of the trailer missing", valid_signed[..valid_signed.len() - 1].to_vec()),
        c("mac_key_unknown", "R-DICT-MAC-KEY §16.3", "unauthenticated", true,
          "signed with key id 8, which the reader does not hold",
          sign(base(), 8, &key_bytes())),
        c("mac_key_none", "R-DICT-MAC-KEY §16.3", "unauthenticated", false,
          "signed, read by a reader that holds no key", valid_signed.clone()),
        c("mac_tag", "R-DICT-MAC-TAG §16.3", "unauthenticated", true,
          "the trailer's last bit flipped", {
              let mut b = valid_signed.clone();
              *b.last_mut().unwrap() ^= 1;
              b
          }),
        c("mac_forged", "R-DICT-MAC-TAG §16.3", "unauthenticated", true,
          "an extra key added and re-signed under key id 7 with other key bytes",
          {
              let mut keys = oid_keys(8);
              keys.push(vec![0xEE; 12]);
              sign(encode_raw(b"acme", 1, 1, 0xABCD, &keys), KEY_ID, &[0x42; 32])
          }),
        c("mac_required", "R-DICT-MAC-REQUIRED §16.3", "unauthenticated", true,
          "unsigned, read by a reader that holds a key", base()),
        c("digest", "R-DICT-DIGEST §16.3", "corrupt", false,
          "the digest's lowest bit flipped", {
              let mut b = base();
              b[8] ^= 1;
              b
          }),
        c("digest_key", "R-DICT-DIGEST §16.3", "corrupt", false,
          "a key byte changed, the digest left as it was", {
              let mut b = base();
              b[44] ^= 0x10;
              b
          }),
        c("tenant_utf8", "R-DICT-TENANT-UTF8 §16.3", "corrupt", false,
          "a tenant with a lone continuation byte",
          encode_raw(b"ac\x80e", 1, 1, 0xABCD, &oid_keys(2))),
        c("str_bounds_order", "R-DICT-STR-BOUNDS §16.3", "corrupt", false,
          "string ends 2, 1, 3 (decreasing)",
          edit(strings(&[b"ab", b"c", b"d"]), |b| put_u32(b, 48, 1))),
        c("str_bounds_last", "R-DICT-STR-BOUNDS §16.3", "corrupt", false,
          "the last end one short of the string bytes",
          edit(strings(&[b"ab", b"cd"]), |b| put_u32(b, 48, 3))),
        c("str_bounds_past", "R-DICT-STR-BOUNDS §16.3", "corrupt", false,
          "an end past the string bytes",
          edit(strings(&[b"ab", b"cd"]), |b| put_u32(b, 44, 9))),
        c("str_bounds_65", "R-DICT-STR-BOUNDS §16.3", "corrupt", false,
          "a string key of 65 bytes",
          strings(&[&[b'k'; 65], b"x"])),
        c("str_utf8", "R-DICT-STR-UTF8 §16.3", "corrupt", false,
          "a string key that is not UTF-8 (C3 28)",
          strings(&[b"ok", b"\xC3\x28"])),
        c("str_utf8_surrogate", "R-DICT-STR-UTF8 §16.3", "corrupt", false,
          "a string key encoding a surrogate (ED A0 80)",
          strings(&[b"\xED\xA0\x80"])),
        c("index_moved", "R-DICT-INDEX §16.3", "corrupt", false,
          "id 0 moved from its slot to an empty one",
          edit(base(), |b| {
              let (at, s) = index_at(b);
              let slot = |b: &Vec<u8>, p: usize| u32_at(b, at + 4 * p);
              let from = (0..s).find(|&p| slot(b, p) & mask(8) == 0 && slot(b, p) != u32::MAX).unwrap();
              let to = (0..s).find(|&p| slot(b, p) == u32::MAX).unwrap();
              let v = slot(b, from);
              put_u32(b, at + 4 * to, v);
              put_u32(b, at + 4 * from, u32::MAX);
          })),
        c("index_extra", "R-DICT-INDEX §16.3", "corrupt", false,
          "an empty slot holding a copy of an occupied one",
          edit(base(), |b| {
              let (at, s) = index_at(b);
              let full = (0..s).find(|&p| u32_at(b, at + 4 * p) != u32::MAX).unwrap();
              let empty = (0..s).find(|&p| u32_at(b, at + 4 * p) == u32::MAX).unwrap();
              let v = u32_at(b, at + 4 * full);
              put_u32(b, at + 4 * empty, v);
          })),
        c("index_fingerprint", "R-DICT-INDEX §16.3", "corrupt", false,
          "a slot's fingerprint bits changed (its id bits kept)",
          edit(base(), |b| {
              let (at, s) = index_at(b);
              let full = (0..s).find(|&p| u32_at(b, at + 4 * p) != u32::MAX).unwrap();
              let v = u32_at(b, at + 4 * full);
              put_u32(b, at + 4 * full, v ^ 0x8000_0000);
          })),
        c("index_not_empty", "R-DICT-INDEX §16.3", "corrupt", false,
          "an empty slot holding FE FF FF FF instead of FF FF FF FF",
          edit(base(), |b| {
              let (at, s) = index_at(b);
              let empty = (0..s).find(|&p| u32_at(b, at + 4 * p) == u32::MAX).unwrap();
              put_u32(b, at + 4 * empty, 0xFFFF_FFFE);
          })),
        c("index_one_key", "R-DICT-INDEX §16.3", "corrupt", false,
          "a dictionary of one key whose two slots are swapped",
          edit(encode_raw(b"acme", 1, 1, 0xABCD, &oid_keys(1)), |b| {
              let (at, _) = index_at(b);
              let (x, y) = (u32_at(b, at), u32_at(b, at + 4));
              put_u32(b, at, y);
              put_u32(b, at + 4, x);
          })),
        c("unique_objectid", "R-DICT-UNIQUE §16.3", "corrupt", false,
          "ObjectId ids 1 and 3 with the same key, index built by inserting in order",
          {
              let mut keys = oid_keys(5);
              keys[3] = keys[1].clone();
              encode_raw(b"acme", 1, 1, 0xABCD, &keys)
          }),
        c("unique_string", "R-DICT-UNIQUE §16.3", "corrupt", false,
          "string ids 0 and 2 both \"icu\"",
          strings(&[b"icu", b"er", b"icu"])),
        c("unique_signed", "R-DICT-UNIQUE §16.3", "corrupt", true,
          "a signed UUID dictionary with a repeated key (the MAC is right)",
          {
              let mut rng = Rng(5);
              let k = rng.bytes(16);
              signed(encode_raw(b"acme", 2, 2, 0xABCD, &[k.clone(), rng.bytes(16), k]))
          }),
    ];
    // Signed copies of some header rules: a reader holding the key reaches the same rule.
    v.push(c(
        "version_2_signed",
        "R-DICT-VERSION §16.3",
        "unsupported",
        true,
        "version 2, signed",
        signed(edit(base(), |b| b[4] = 2)),
    ));
    v
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors/dict/v1".into()),
    );
    let golden: Vec<(String, Vec<u8>, Golden)> = golden_cases()
        .into_iter()
        .map(|g| (g.name.clone(), write_golden(&g), g))
        .collect();
    let (added, kept) = add_missing(&dir, golden.into_iter());
    println!(
        "{}: {added} dictionaries added, {kept} already released",
        dir.display()
    );
    let refuse = dir.join("refuse");
    let refusals = cases().into_iter().map(|c| {
        let entry = Refusal {
            name: c.name.into(),
            rule: c.rule.into(),
            kind: c.kind.into(),
            key: c.key.then(|| (KEY_ID, hex(&key_bytes()))),
            about: c.about.into(),
        };
        (c.name.to_string(), c.bin, entry)
    });
    let (added, kept) = add_missing(&refuse, refusals);
    println!(
        "{}: {added} refusal vectors added, {kept} already released",
        refuse.display()
    );
}

/// Writes each `(name, bytes, entry)` whose `NAME.bin` and manifest entry do not exist yet;
/// never rewrites one. Returns (added, kept).
fn add_missing<E: Serialize + for<'de> Deserialize<'de> + HasName>(
    dir: &Path,
    items: impl Iterator<Item = (String, Vec<u8>, E)>,
) -> (usize, usize) {
    std::fs::create_dir_all(dir).unwrap();
    let manifest_path = dir.join("manifest.json");
    let mut manifest: Vec<E> = std::fs::read_to_string(&manifest_path)
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_default();
    let (mut added, mut kept) = (0, 0);
    let mut names = std::collections::BTreeSet::new();
    for (name, bin, entry) in items {
        assert!(names.insert(name.clone()), "two cases are named {name}");
        let path = dir.join(format!("{name}.bin"));
        let listed = manifest.iter().any(|e| e.name() == name);
        if path.exists() || listed {
            assert!(
                path.exists() && listed,
                "{name}: the file and the manifest disagree"
            );
            kept += 1;
            continue;
        }
        std::fs::write(&path, &bin).unwrap();
        manifest.push(entry);
        added += 1;
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
    (added, kept)
}

trait HasName {
    fn name(&self) -> &str;
}
impl HasName for Golden {
    fn name(&self) -> &str {
        &self.name
    }
}
impl HasName for Refusal {
    fn name(&self) -> &str {
        &self.name
    }
}
