//! Writes the refusal vectors of format version 1 (`SPEC.md` section 14.2): blobs that every
//! reader MUST refuse, each breaking exactly one rule, listed in `manifest.json` with the rule's
//! id, the error kind a reader reports, the time to check expiry against and the key to hold.
//!
//! ```text
//! cargo run --example refusal_vectors -- tests/vectors/v1/refuse
//! ```
//!
//! Released vectors never change: this program only **adds** the vectors that are missing and
//! never overwrites a file. It is the recipe for adding a vector, not for regenerating them: to
//! add one, append a case to `cases()` and run it.
//!
//! It builds archives itself, from `SPEC.md` section 6.4 alone (and checks, before writing
//! anything, that its archives are byte for byte the library's for a set of sessions), so that
//! it can write what the library's encoder never would. Headers, digests (XXH64), zstd frames and
//! MACs (HMAC-SHA256) are computed here too, so that each vector's digests and tag are correct
//! and the reader reaches the one rule the vector breaks.

use std::path::{Path, PathBuf};

#[path = "support/refusal_manifest.rs"]
mod refusal_manifest;
use refusal_manifest::Case;

use hmac::{Hmac, KeyInit, Mac};
use sessionpack::{encode_id_set, Compression, Encoder, Session};
use sha2::Sha256;
use xxhash_rust::xxh64::xxh64;
use zstd::zstd_safe::CParameter;

/// The key of the signed vectors: id 7, bytes `00..1f` (as the golden vectors' `signed`).
const KEY_ID: u32 = 7;
const KEY: [u8; 32] = {
    let mut k = [0_u8; 32];
    let mut i = 0;
    while i < 32 {
        k[i] = i as u8;
        i += 1;
    }
    k
};
/// 2025-11-26T09:00:00Z: the sessions are issued then and expire an hour later.
const ISSUED: i64 = 1_764_147_600_000;
const EXPIRES: i64 = ISSUED + 3_600_000;
/// The `now` of every vector not about expiry: a minute into the sessions' validity.
const NOW: i64 = ISSUED + 60_000;

// ---------------------------------------------------------------------------------------------
// The archive, from SPEC.md section 6.4.

/// A session's fields as bytes, so that invalid UTF-8, unsorted keys and any id set bytes can
/// be written.
#[derive(Clone, Debug)]
struct Fields {
    issued_at: i64,
    expires_at: i64,
    user_id: Vec<u8>,
    tenant_id: Vec<u8>,
    token: Vec<u8>,
    roles: Vec<Vec<u8>>,
    settings: Vec<(Vec<u8>, Vec<u8>)>,
    attributes: Vec<(Vec<u8>, Vec<u8>)>,
    facilities: Vec<u8>,
    groups: Vec<u8>,
}

impl Fields {
    fn of(s: &Session) -> Fields {
        let b = |s: &String| s.as_bytes().to_vec();
        let map = |m: &std::collections::BTreeMap<String, String>| {
            m.iter().map(|(k, v)| (b(k), b(v))).collect()
        };
        Fields {
            issued_at: s.issued_at,
            expires_at: s.expires_at,
            user_id: b(&s.user_id),
            tenant_id: b(&s.tenant_id),
            token: b(&s.token),
            roles: s.roles.iter().map(b).collect(),
            settings: map(&s.settings),
            attributes: map(&s.attributes),
            facilities: encode_id_set(&s.facilities),
            groups: encode_id_set(&s.groups),
        }
    }
}

/// Root field offsets (SPEC.md section 6.1).
mod root {
    pub const USER_ID: usize = 16;
    pub const TENANT_ID: usize = 24;
    pub const TOKEN: usize = 32;
    pub const ROLES: usize = 40;
    pub const SETTINGS: usize = 48;
    pub const ATTRIBUTES: usize = 56;
    pub const FACILITIES: usize = 64;
    pub const GROUPS: usize = 72;
}

/// An archive as SPEC.md section 6.4 lays it out, with the positions of its padding bytes.
struct Archive {
    bytes: Vec<u8>,
    /// Archive offsets of the padding bytes (all zero).
    padding: Vec<usize>,
}

impl Archive {
    fn root(&self) -> usize {
        self.bytes.len() - 80
    }
    /// The (target, len) of the vector whose 8 bytes are at archive offset `at`.
    fn ptr(&self, at: usize) -> (i64, u32) {
        let o = i32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap());
        let l = u32::from_le_bytes(self.bytes[at + 4..at + 8].try_into().unwrap());
        (at as i64 + i64::from(o), l)
    }
    /// Points the vector at `at` to archive offset `target` with `len` items.
    fn set_ptr(&mut self, at: usize, target: i64, len: u32) {
        let o = i32::try_from(target - at as i64).unwrap();
        self.bytes[at..at + 4].copy_from_slice(&o.to_le_bytes());
        self.bytes[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
    }
}

/// Writes `f` as section 6.4 says; `gap` inserts extra zero bytes before the `n`th vector's
/// items (counting every vector in writing order from 0), which no writer does.
fn archive_with_gap(f: &Fields, gap: Option<(usize, usize)>) -> Archive {
    struct W {
        out: Vec<u8>,
        padding: Vec<usize>,
        n: usize,
        gap: Option<(usize, usize)>,
    }
    impl W {
        fn align(&mut self, a: usize) {
            while !self.out.len().is_multiple_of(a) {
                self.padding.push(self.out.len());
                self.out.push(0);
            }
        }
        /// Where the next vector's items start (after any requested gap).
        fn start(&mut self) -> usize {
            if let Some((n, len)) = self.gap {
                if n == self.n {
                    self.out.extend(std::iter::repeat_n(0, len));
                }
            }
            self.n += 1;
            self.out.len()
        }
        fn bytes(&mut self, b: &[u8]) -> (usize, u32) {
            let at = self.start();
            self.out.extend_from_slice(b);
            (at, b.len() as u32)
        }
    }
    fn put_ptr(out: &mut Vec<u8>, (target, len): (usize, u32)) {
        let at = out.len() as i64;
        out.extend_from_slice(&i32::try_from(target as i64 - at).unwrap().to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut w = W {
        out: Vec::new(),
        padding: Vec::new(),
        n: 0,
        gap,
    };
    let user_id = w.bytes(&f.user_id);
    let tenant_id = w.bytes(&f.tenant_id);
    let token = w.bytes(&f.token);
    let roles: Vec<_> = f.roles.iter().map(|r| w.bytes(r)).collect();
    w.align(4);
    let roles_at = w.start();
    for r in roles.iter().copied() {
        put_ptr(&mut w.out, r);
    }
    let roles = (roles_at, f.roles.len() as u32);
    let map = |w: &mut W, m: &[(Vec<u8>, Vec<u8>)]| {
        let spans: Vec<_> = m.iter().map(|(k, v)| (w.bytes(k), w.bytes(v))).collect();
        w.align(4);
        let at = w.start();
        for (k, v) in spans {
            put_ptr(&mut w.out, k);
            put_ptr(&mut w.out, v);
        }
        (at, m.len() as u32)
    };
    let settings = map(&mut w, &f.settings);
    let attributes = map(&mut w, &f.attributes);
    let facilities = w.bytes(&f.facilities);
    let groups = w.bytes(&f.groups);
    w.align(8);
    let mut out = w.out;
    out.extend_from_slice(&f.issued_at.to_le_bytes());
    out.extend_from_slice(&f.expires_at.to_le_bytes());
    for v in [
        user_id, tenant_id, token, roles, settings, attributes, facilities, groups,
    ] {
        put_ptr(&mut out, v);
    }
    Archive {
        bytes: out,
        padding: w.padding,
    }
}

fn archive(f: &Fields) -> Archive {
    archive_with_gap(f, None)
}

// ---------------------------------------------------------------------------------------------
// The envelope, from SPEC.md sections 3 to 5.

#[derive(Clone, Copy, Debug)]
struct Header {
    magic: [u8; 4],
    version: u8,
    flags: u8,
    reserved: [u8; 2],
    digest: u64,
    stored_len: u32,
    decoded_len: u32,
    dictionary_id: u32,
    key_id: u32,
    body_digest: u64,
}

impl Header {
    /// The header of `archive` stored raw.
    fn raw(archive: &[u8]) -> Header {
        Header {
            magic: [0x93, b'S', b'P', b'K'],
            version: 1,
            flags: 0,
            reserved: [0, 0],
            digest: xxh64(archive, 0),
            stored_len: archive.len() as u32,
            decoded_len: archive.len() as u32,
            dictionary_id: 0,
            key_id: 0,
            body_digest: 0,
        }
    }
    /// The header of `archive` stored as `frame`.
    fn compressed(archive: &[u8], frame: &[u8]) -> Header {
        Header {
            flags: 1,
            stored_len: frame.len() as u32,
            body_digest: xxh64(frame, 0),
            ..Header::raw(archive)
        }
    }
    fn signed(self, key_id: u32) -> Header {
        Header {
            flags: self.flags | 2,
            key_id,
            ..self
        }
    }
    fn bytes(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(40);
        h.extend_from_slice(&self.magic);
        h.push(self.version);
        h.push(self.flags);
        h.extend_from_slice(&self.reserved);
        h.extend_from_slice(&self.digest.to_le_bytes());
        h.extend_from_slice(&self.stored_len.to_le_bytes());
        h.extend_from_slice(&self.decoded_len.to_le_bytes());
        h.extend_from_slice(&self.dictionary_id.to_le_bytes());
        h.extend_from_slice(&self.key_id.to_le_bytes());
        h.extend_from_slice(&self.body_digest.to_le_bytes());
        h
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Header, then body.
fn blob(h: Header, body: &[u8]) -> Vec<u8> {
    let mut b = h.bytes();
    b.extend_from_slice(body);
    b
}

/// Header, body and the MAC trailer under `key`.
fn signed_blob(h: Header, body: &[u8], key: &[u8]) -> Vec<u8> {
    let mut b = blob(h, body);
    let tag = hmac(key, &b);
    b.extend_from_slice(&tag);
    b
}

/// One zstd frame of `data`, with or without the content checksum and content size.
fn frame_with(data: &[u8], checksum: bool, content_size: bool) -> Vec<u8> {
    let mut c = zstd::bulk::Compressor::new(19).unwrap();
    c.set_parameter(CParameter::ChecksumFlag(checksum)).unwrap();
    c.set_parameter(CParameter::ContentSizeFlag(content_size))
        .unwrap();
    c.set_parameter(CParameter::DictIdFlag(false)).unwrap();
    c.compress(data).unwrap()
}

/// The frame the library's encoder would write: content size and checksum, no dictionary.
fn frame(data: &[u8]) -> Vec<u8> {
    frame_with(data, true, true)
}

/// `frame` with a one-byte `Dictionary_ID` of `id` inserted in its frame header.
fn frame_with_dictionary(frame: &[u8], id: u8) -> Vec<u8> {
    let fhd = frame[4];
    assert_eq!(fhd & 0b11, 0, "the frame already names a dictionary");
    let single_segment = fhd & 0b10_0000 != 0;
    let at = 5 + usize::from(!single_segment);
    let mut f = frame.to_vec();
    f[4] = fhd | 0b01;
    f.insert(at, id);
    f
}

/// A zstd frame written by hand (RFC 8878): a 4-byte `Frame_Content_Size` of `content_size`,
/// a `Window_Descriptor` when `window` is given (else a single segment), one raw block per
/// item of `blocks` (the last flagged), and the content checksum of what the blocks hold.
fn raw_block_frame(window: Option<u8>, content_size: usize, blocks: &[&[u8]]) -> Vec<u8> {
    let mut f = vec![0x28, 0xB5, 0x2F, 0xFD];
    // Frame_Content_Size_flag 2 (4 bytes), Content_Checksum_flag; Single_Segment_flag when no
    // window descriptor.
    f.push(0b1000_0100 | if window.is_none() { 0b10_0000 } else { 0 });
    f.extend(window);
    f.extend_from_slice(&u32::try_from(content_size).unwrap().to_le_bytes());
    let mut content = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        assert!(block.len() < 1 << 17, "a raw block holds at most 128 KiB");
        let last = u32::from(i + 1 == blocks.len());
        let header = last | (u32::try_from(block.len()).unwrap() << 3); // Block_Type 0: raw
        f.extend_from_slice(&header.to_le_bytes()[..3]);
        f.extend_from_slice(block);
        content.extend_from_slice(block);
    }
    f.extend_from_slice(&(xxh64(&content, 0) as u32).to_le_bytes());
    f
}

/// `archive` stored raw: the whole blob.
fn raw(a: &[u8]) -> Vec<u8> {
    blob(Header::raw(a), a)
}

/// `archive` compressed: the whole blob.
fn compressed(a: &[u8]) -> Vec<u8> {
    let f = frame(a);
    blob(Header::compressed(a, &f), &f)
}

// ---------------------------------------------------------------------------------------------
// The sessions the vectors start from.

fn base() -> Session {
    Session::new("u1", "acme", "tok", ISSUED, EXPIRES)
        .with_roles(["staff"])
        .with_setting("lang", "en")
        .with_attribute("dept", "cardiology")
        .with_facilities([1, 2, 3])
        .with_groups([10])
}

fn base_fields() -> Fields {
    Fields::of(&base())
}

/// `base()` with `facilities` holding the id set bytes `set`.
fn with_facilities(set: &[u8]) -> Vec<u8> {
    let mut f = base_fields();
    f.facilities = set.to_vec();
    archive(&f).bytes
}

fn le16(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Checks that this program's archives are the library's, byte for byte: SPEC.md section 6.4
/// suffices to write them.
fn check_archive_writer() {
    let mut sessions = vec![
        Session::default(),
        base(),
        Session::new("u", "t", "k", 0, 1).with_roles(["a"]),
        Session::new("u", "t", "k", 0, 1).with_setting("k", "v"),
        Session::new("uuu", "t", "", 0, 1).with_attribute("a", "b"),
        Session::new("u", "tt", "k", -5, 5)
            .with_roles(["", "xyz", "xyz"])
            .with_setting("", "")
            .with_setting("b", "ccc")
            .with_attribute("z", "")
            .with_facilities(0..70_000)
            .with_groups([u32::MAX]),
    ];
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1");
    for entry in std::fs::read_dir(&golden).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json")
            && path.file_name().is_some_and(|n| n != "manifest.json")
        {
            sessions.push(Session::from_json(&std::fs::read(&path).unwrap()).unwrap());
        }
    }
    for s in &sessions {
        let library = Encoder::new()
            .with_compression(Compression::Never)
            .encode(s)
            .unwrap();
        let ours = archive(&Fields::of(s));
        assert!(
            library[40..] == ours.bytes[..],
            "SPEC.md section 6.4 does not give the library's archive for {s:?}"
        );
        assert!(ours.padding.iter().all(|&p| ours.bytes[p] == 0));
        assert!(
            library[..] == raw(&ours.bytes)[..],
            "header differs for {s:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The vectors.

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let mut add = |name, rule, kind, about, bin: Vec<u8>| {
        v.push(Case {
            name,
            rule,
            kind,
            now: NOW,
            key: false,
            about,
            bin,
        })
    };
    let base_a = archive(&base_fields());
    let good = raw(&base_a.bytes);
    let good_c = compressed(&base_a.bytes);
    let fr = frame(&base_a.bytes);
    let hc = Header::compressed(&base_a.bytes, &fr);
    let hr = Header::raw(&base_a.bytes);

    // ----- §2 the blob's length -----
    add(
        "blob_truncated_body",
        "R-BLOB-LEN §2",
        "corrupt",
        "a raw blob missing its last body byte",
        good[..good.len() - 1].to_vec(),
    );
    add(
        "blob_trailing_byte",
        "R-BLOB-LEN §2",
        "corrupt",
        "a raw blob with one byte after its body",
        [&good[..], &[0]].concat(),
    );
    add(
        "blob_compressed_truncated",
        "R-BLOB-LEN §2",
        "corrupt",
        "a compressed blob missing its last byte",
        good_c[..good_c.len() - 1].to_vec(),
    );
    add(
        "blob_header_only",
        "R-BLOB-LEN §2",
        "corrupt",
        "the 40-byte header of a raw blob without its body",
        good[..40].to_vec(),
    );

    // ----- §3 the header -----
    add(
        "magic_empty",
        "R-HDR-MAGIC §3",
        "not_a_blob",
        "empty input",
        Vec::new(),
    );
    add(
        "magic_prefix",
        "R-HDR-MAGIC §3",
        "not_a_blob",
        "the first 3 bytes of the magic only (shorter than the magic)",
        good[..3].to_vec(),
    );
    add(
        "magic_json",
        "R-HDR-MAGIC §3",
        "not_a_blob",
        "a legacy JSON session",
        br#"{"user_id":"u1","tenant_id":"acme"}"#.to_vec(),
    );
    add(
        "magic_last_byte",
        "R-HDR-MAGIC §3",
        "not_a_blob",
        "a raw blob whose magic ends 4C instead of 4B",
        {
            let mut b = good.clone();
            b[3] = 0x4C;
            b
        },
    );
    add(
        "magic_first_byte",
        "R-HDR-MAGIC §3",
        "not_a_blob",
        "a raw blob whose magic starts 92 instead of 93",
        {
            let mut b = good.clone();
            b[0] = 0x92;
            b
        },
    );
    add(
        "header_short",
        "R-HDR-LEN §3",
        "corrupt",
        "the magic and version only: 5 bytes",
        good[..5].to_vec(),
    );
    add(
        "header_39_bytes",
        "R-HDR-LEN §3",
        "corrupt",
        "the first 39 bytes of a raw blob's header",
        good[..39].to_vec(),
    );
    add(
        "version_0",
        "R-HDR-VERSION §3",
        "unsupported",
        "version byte 0",
        blob(Header { version: 0, ..hr }, &base_a.bytes),
    );
    add(
        "version_2",
        "R-HDR-VERSION §3",
        "unsupported",
        "version byte 2",
        blob(Header { version: 2, ..hr }, &base_a.bytes),
    );
    add(
        "flags_bit2",
        "R-HDR-FLAGS §3",
        "unsupported",
        "reserved flag bit 2 set",
        blob(Header { flags: 0b100, ..hr }, &base_a.bytes),
    );
    add(
        "flags_bit7",
        "R-HDR-FLAGS §3",
        "unsupported",
        "reserved flag bit 7 set on a compressed blob",
        blob(Header { flags: 0x81, ..hc }, &fr),
    );
    add(
        "reserved_byte6",
        "R-HDR-RESERVED §3",
        "corrupt",
        "header byte 6 is 01",
        blob(
            Header {
                reserved: [1, 0],
                ..hr
            },
            &base_a.bytes,
        ),
    );
    add(
        "reserved_byte7",
        "R-HDR-RESERVED §3",
        "corrupt",
        "header byte 7 is 80",
        blob(
            Header {
                reserved: [0, 0x80],
                ..hr
            },
            &base_a.bytes,
        ),
    );
    add(
        "key_id_unsigned",
        "R-HDR-KEYID §3",
        "corrupt",
        "signed flag clear but key_id 7",
        blob(Header { key_id: 7, ..hr }, &base_a.bytes),
    );
    add(
        "key_id_zero_signed",
        "R-HDR-KEYID §3",
        "corrupt",
        "signed flag set but key_id 0, with a trailer",
        signed_blob(Header { flags: 2, ..hr }, &base_a.bytes, &KEY),
    );
    add(
        "raw_dictionary",
        "R-HDR-RAW §3",
        "corrupt",
        "a raw body with dictionary_id 1",
        blob(
            Header {
                dictionary_id: 1,
                ..hr
            },
            &base_a.bytes,
        ),
    );
    add(
        "raw_body_digest",
        "R-HDR-RAW §3",
        "corrupt",
        "a raw body with a non-zero body_digest (the archive's digest)",
        blob(
            Header {
                body_digest: hr.digest,
                ..hr
            },
            &base_a.bytes,
        ),
    );
    add(
        "raw_lengths_differ",
        "R-HDR-RAW §3",
        "corrupt",
        "a raw body with stored_len = decoded_len + 8 (8 zero bytes follow the archive)",
        blob(
            Header {
                stored_len: hr.stored_len + 8,
                ..hr
            },
            &[&base_a.bytes[..], &[0; 8]].concat(),
        ),
    );
    add(
        "digest_raw",
        "R-DIGEST §3",
        "corrupt",
        "a raw archive with one byte of the token changed (\"tok\" to \"tol\"), digest not updated",
        {
            let mut b = good.clone();
            let at = 40 + base_a.ptr(base_a.root() + root::TOKEN).0 as usize + 2;
            b[at] = b'l';
            b
        },
    );
    add("digest_compressed", "R-DIGEST §3", "corrupt", "a compressed body whose frame is valid but decodes to an archive other than the header's digest", {
        let mut f = base_fields();
        f.token = b"tol".to_vec();
        let other = archive(&f).bytes;
        let fr2 = frame(&other);
        blob(Header { digest: hr.digest, ..Header::compressed(&other, &fr2) }, &fr2)
    });
    add(
        "digest_zero",
        "R-DIGEST §3",
        "corrupt",
        "a raw blob whose digest field is 0",
        blob(Header { digest: 0, ..hr }, &base_a.bytes),
    );

    // ----- §4 the body -----
    add("body_digest_flip", "R-BODY-DIGEST §4", "corrupt", "a compressed blob with its frame's last byte (the content checksum) changed, body_digest not updated", {
        let mut b = good_c.clone();
        *b.last_mut().unwrap() ^= 1;
        b
    });
    add(
        "body_digest_zero",
        "R-BODY-DIGEST §4",
        "corrupt",
        "a compressed blob whose body_digest is 0",
        blob(
            Header {
                body_digest: 0,
                ..hc
            },
            &fr,
        ),
    );
    add(
        "frame_raw_archive",
        "R-FRAME-MAGIC §4",
        "corrupt",
        "the compressed flag on a raw archive (stored_len = decoded_len, body digest correct)",
        {
            blob(
                Header {
                    flags: 1,
                    body_digest: xxh64(&base_a.bytes, 0),
                    ..hr
                },
                &base_a.bytes,
            )
        },
    );
    add(
        "frame_skippable",
        "R-FRAME-MAGIC §4",
        "corrupt",
        "a skippable frame (magic 0x184D2A50) before the zstd frame",
        {
            let mut body = vec![0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 0, 0, 0, 0];
            body.extend_from_slice(&fr);
            blob(Header::compressed(&base_a.bytes, &body), &body)
        },
    );
    add(
        "frame_no_checksum",
        "R-FRAME-CHECKSUM §4",
        "corrupt",
        "a zstd frame without a content checksum",
        {
            let f = frame_with(&base_a.bytes, false, true);
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_reserved_bit",
        "R-FRAME-BITS §4",
        "corrupt",
        "the frame header descriptor's Reserved_bit (bit 3) set",
        {
            let mut f = fr.clone();
            f[4] |= 0b1000;
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_unused_bit",
        "R-FRAME-BITS §4",
        "corrupt",
        "the frame header descriptor's Unused_bit (bit 4) set: zstd itself would ignore it",
        {
            let mut f = fr.clone();
            f[4] |= 0b1_0000;
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_no_content_size",
        "R-FRAME-SIZE §4",
        "corrupt",
        "a zstd frame without Frame_Content_Size",
        {
            let f = frame_with(&base_a.bytes, true, false);
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_content_size_differs",
        "R-FRAME-SIZE §4",
        "corrupt",
        "decoded_len 8 more than the frame's content size",
        blob(
            Header {
                decoded_len: hc.decoded_len + 8,
                ..hc
            },
            &fr,
        ),
    );
    add(
        "frame_dictionary_header_only",
        "R-DICT §4",
        "unsupported",
        "dictionary_id 5 in the header, none in the frame: a reader without dictionary 5 refuses",
        blob(
            Header {
                dictionary_id: 5,
                ..hc
            },
            &fr,
        ),
    );
    add(
        "frame_dictionary_frame_only",
        "R-DICT §4",
        "unsupported",
        "dictionary_id 0 in the header, Dictionary_ID 5 in the frame",
        {
            let f = frame_with_dictionary(&fr, 5);
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_dictionary_mismatch",
        "R-FRAME-DICT §4",
        "corrupt",
        "dictionary_id 5 in the header, Dictionary_ID 6 in the frame",
        {
            let f = frame_with_dictionary(&fr, 6);
            blob(
                Header {
                    dictionary_id: 5,
                    ..Header::compressed(&base_a.bytes, &f)
                },
                &f,
            )
        },
    );
    add(
        "frame_two_frames",
        "R-FRAME-WHOLE §4",
        "corrupt",
        "two whole zstd frames of the archive, one after the other",
        {
            let body = [&fr[..], &fr[..]].concat();
            blob(Header::compressed(&base_a.bytes, &body), &body)
        },
    );
    add(
        "frame_trailing_byte",
        "R-FRAME-WHOLE §4",
        "corrupt",
        "one zero byte after the zstd frame, inside stored_len",
        {
            let body = [&fr[..], &[0]].concat();
            blob(Header::compressed(&base_a.bytes, &body), &body)
        },
    );
    add(
        "frame_truncated",
        "R-FRAME-WHOLE §4",
        "corrupt",
        "the zstd frame without its 4-byte content checksum",
        {
            let body = &fr[..fr.len() - 4];
            blob(Header::compressed(&base_a.bytes, body), body)
        },
    );
    add(
        "frame_bad_checksum",
        "R-FRAME-DATA §4",
        "corrupt",
        "the frame's content checksum changed (body_digest updated): inflation fails its checksum",
        {
            let mut f = fr.clone();
            let n = f.len();
            f[n - 4] ^= 0xFF;
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_checksum_high_bits",
        "R-FRAME-DATA §4",
        "corrupt",
        "the frame's checksum is the HIGH 32 bits of XXH64 of the archive, not the low",
        {
            let mut f = fr.clone();
            let n = f.len();
            f[n - 4..].copy_from_slice(&((xxh64(&base_a.bytes, 0) >> 32) as u32).to_le_bytes());
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_window_log_32",
        "R-FRAME-WINDOW §4",
        "corrupt",
        "a frame of raw blocks whose Window_Descriptor is B0: window log 32, above libzstd's 31",
        {
            let f = raw_block_frame(Some(0xB0), base_a.bytes.len(), &[&base_a.bytes]);
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_blocks_short",
        "R-FRAME-DATA §4",
        "corrupt",
        "a frame of one raw block of the archive without its last 8 bytes: content size and checksum as they would be, 8 bytes short",
        {
            let n = base_a.bytes.len();
            let f = raw_block_frame(None, n, &[&base_a.bytes[..n - 8]]);
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );
    add(
        "frame_blocks_long",
        "R-FRAME-DATA §4",
        "corrupt",
        "a frame of two raw blocks, the archive then 8 zero bytes: its blocks produce 8 bytes more than its content size",
        {
            let f = raw_block_frame(None, base_a.bytes.len(), &[&base_a.bytes, &[0; 8]]);
            blob(Header::compressed(&base_a.bytes, &f), &f)
        },
    );

    // ----- §5 the MAC -----
    let sh = hr.signed(KEY_ID);
    let mut mac = |name, rule, kind, about, bin| {
        v.push(Case {
            name,
            rule,
            kind,
            now: NOW,
            key: true,
            about,
            bin,
        })
    };
    mac(
        "mac_unknown_key",
        "R-MAC-KEY §5",
        "unauthenticated",
        "signed with key id 8 (same bytes); the reader holds key 7 only",
        signed_blob(hr.signed(8), &base_a.bytes, &KEY),
    );
    mac(
        "mac_tag_flipped",
        "R-MAC-TAG §5",
        "unauthenticated",
        "a raw signed blob with the last bit of its tag flipped",
        {
            let mut b = signed_blob(sh, &base_a.bytes, &KEY);
            *b.last_mut().unwrap() ^= 1;
            b
        },
    );
    mac(
        "mac_other_key",
        "R-MAC-TAG §5",
        "unauthenticated",
        "signed under key id 7 with other key bytes (ff × 32)",
        signed_blob(sh, &base_a.bytes, &[0xFF; 32]),
    );
    mac(
        "mac_forged_facilities",
        "R-MAC-TAG §5",
        "unauthenticated",
        "a signed blob whose facilities were changed and digest recomputed, but not the tag",
        {
            let mut f = base_fields();
            f.facilities = encode_id_set(&[1, 2, 4].into_iter().collect());
            let forged = archive(&f).bytes;
            let mut b = signed_blob(sh, &base_a.bytes, &KEY);
            let tag = b.split_off(40 + base_a.bytes.len());
            let mut out = blob(Header::raw(&forged).signed(KEY_ID), &forged);
            out.extend_from_slice(&tag);
            out
        },
    );
    mac(
        "mac_compressed_flipped",
        "R-MAC-TAG §5",
        "unauthenticated",
        "a compressed signed blob with one tag byte changed",
        {
            let mut b = signed_blob(hc.signed(KEY_ID), &fr, &KEY);
            let n = b.len();
            b[n - 32] ^= 0x80;
            b
        },
    );
    mac(
        "mac_before_body",
        "R-MAC-FIRST §5",
        "unauthenticated",
        "a compressed signed blob with a wrong tag AND a corrupted frame: the MAC is checked first",
        {
            let mut f = fr.clone();
            let n = f.len();
            f[n - 1] ^= 1;
            let mut b = blob(hc.signed(KEY_ID), &f);
            b.extend_from_slice(&[0; 32]);
            b
        },
    );
    mac(
        "mac_before_archive",
        "R-MAC-FIRST §5",
        "unauthenticated",
        "a raw signed blob with a zero tag AND an archive too short to hold a root",
        {
            let a = vec![0_u8; 8];
            let mut b = blob(Header::raw(&a).signed(KEY_ID), &a);
            b.extend_from_slice(&[0; 32]);
            b
        },
    );
    mac(
        "mac_required",
        "R-MAC-REQUIRED §5",
        "unauthenticated",
        "an unsigned raw blob, opened by a reader that holds a key and so requires a MAC",
        good.clone(),
    );
    mac(
        "mac_required_compressed",
        "R-MAC-REQUIRED §5",
        "unauthenticated",
        "an unsigned compressed blob, opened by a reader that requires a MAC",
        good_c.clone(),
    );
    mac(
        "mac_trailer_missing",
        "R-BLOB-LEN §2",
        "corrupt",
        "a signed raw blob without its 32-byte trailer",
        {
            let b = signed_blob(sh, &base_a.bytes, &KEY);
            b[..b.len() - 32].to_vec()
        },
    );
    mac(
        "mac_trailer_short",
        "R-BLOB-LEN §2",
        "corrupt",
        "a signed raw blob whose trailer is 31 bytes",
        {
            let b = signed_blob(sh, &base_a.bytes, &KEY);
            b[..b.len() - 1].to_vec()
        },
    );
    mac(
        "mac_valid_bad_utf8",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "a correctly signed raw blob whose user_id is not UTF-8: a MAC does not make bytes valid",
        {
            let mut f = base_fields();
            f.user_id = vec![b'u', 0xFF];
            let a = archive(&f).bytes;
            signed_blob(Header::raw(&a).signed(KEY_ID), &a, &KEY)
        },
    );
    mac(
        "mac_valid_expired",
        "R-EXPIRED §9",
        "expired",
        "a correctly signed compressed session, checked one millisecond after it expired",
        signed_blob(hc.signed(KEY_ID), &fr, &KEY),
    );
    v.last_mut().unwrap().now = EXPIRES + 1;
    let mut add = |name, rule, kind, about, bin: Vec<u8>| {
        v.push(Case {
            name,
            rule,
            kind,
            now: NOW,
            key: false,
            about,
            bin,
        })
    };

    // ----- §6 the archive -----
    add(
        "archive_too_short",
        "R-ARC-LEN §6.1",
        "corrupt",
        "a raw archive of 72 bytes: shorter than the 80-byte root",
        raw(&base_a.bytes[..72]),
    );
    add(
        "archive_not_multiple_of_8",
        "R-ARC-LEN §6.1",
        "corrupt",
        "a raw archive of the base session with 4 zero bytes in front: 4 more than a multiple of 8",
        raw(&[&[0_u8; 4][..], &base_a.bytes[..]].concat()),
    );
    add(
        "archive_empty",
        "R-ARC-LEN §6.1",
        "corrupt",
        "a compressed body that inflates to 0 bytes (decoded_len 0)",
        {
            let f = frame(&[]);
            blob(Header::compressed(&[], &f), &f)
        },
    );
    let ptr_case = |at: usize, target: i64, len: u32| {
        let mut a = archive(&base_fields());
        let at = a.root() + at;
        a.set_ptr(at, target, len);
        raw(&a.bytes)
    };
    add(
        "ptr_before_start",
        "R-ARC-PTR §6.2",
        "corrupt",
        "user_id's pointer targets archive offset -2",
        ptr_case(root::USER_ID, -2, 2),
    );
    add(
        "ptr_into_root",
        "R-ARC-PTR §6.2",
        "corrupt",
        "token's 3 bytes start 1 byte before the root",
        {
            let r = base_a.root() as i64;
            ptr_case(root::TOKEN, r - 1, 3)
        },
    );
    add(
        "ptr_past_end",
        "R-ARC-PTR §6.2",
        "corrupt",
        "groups' pointer targets the archive's end",
        {
            let n = base_a.bytes.len() as i64;
            ptr_case(root::GROUPS, n, 11)
        },
    );
    add(
        "ptr_len_past_end",
        "R-ARC-PTR §6.2",
        "corrupt",
        "user_id's length is 16,384 (within the string limit) and runs past the root",
        {
            let (t, _) = base_a.ptr(base_a.root() + root::USER_ID);
            ptr_case(root::USER_ID, t, 16_384)
        },
    );
    add(
        "ptr_offset_max",
        "R-ARC-PTR §6.2",
        "corrupt",
        "user_id's relative offset is 2^31 − 1",
        {
            let at = (base_a.root() + root::USER_ID) as i64;
            ptr_case(root::USER_ID, at + i64::from(i32::MAX), 2)
        },
    );
    add(
        "ptr_table_past_end",
        "R-ARC-PTR §6.2",
        "corrupt",
        "settings' entry count is 4,096 (the limit): its entries run past the root",
        {
            let (t, _) = base_a.ptr(base_a.root() + root::SETTINGS);
            ptr_case(root::SETTINGS, t, 4096)
        },
    );
    add(
        "ptr_table_misaligned",
        "R-ARC-PTR §6.2",
        "corrupt",
        "the roles table's pointer targets 2 bytes before its entry (not a multiple of 4)",
        {
            let (t, _) = base_a.ptr(base_a.root() + root::ROLES);
            ptr_case(root::ROLES, t - 2, 1)
        },
    );
    add(
        "ptr_role_past_root",
        "R-ARC-PTR §6.2",
        "corrupt",
        "role 0's entry points its 5 bytes into the root",
        {
            let mut a = archive(&base_fields());
            let (t, _) = a.ptr(a.root() + root::ROLES);
            let r = a.root() as i64;
            a.set_ptr(t as usize, r - 2, 5);
            raw(&a.bytes)
        },
    );
    add("ptr_empty_past_root", "R-ARC-PTR §6.2", "corrupt", "an empty attributes table pointing past the root's start (rule 2 holds for empty vectors too)", {
        let mut f = base_fields();
        f.attributes.clear();
        let mut a = archive(&f);
        let r = a.root() as i64;
        a.set_ptr(a.root() + root::ATTRIBUTES, r + 8, 0);
        raw(&a.bytes)
    });
    add(
        "order_overlap",
        "R-ARC-ORDER §6.2",
        "corrupt",
        "tenant_id points at user_id's bytes (\"u1\"): two fields share bytes",
        {
            let (t, _) = base_a.ptr(base_a.root() + root::USER_ID);
            ptr_case(root::TENANT_ID, t, 2)
        },
    );
    add(
        "order_swapped_sets",
        "R-ARC-ORDER §6.2",
        "corrupt",
        "facilities and groups swapped pointers: both valid sets, out of order",
        {
            let mut a = archive(&base_fields());
            let r = a.root();
            let (ft, fl) = a.ptr(r + root::FACILITIES);
            let (gt, gl) = a.ptr(r + root::GROUPS);
            a.set_ptr(r + root::FACILITIES, gt, gl);
            a.set_ptr(r + root::GROUPS, ft, fl);
            raw(&a.bytes)
        },
    );
    add(
        "order_value_before_key",
        "R-ARC-ORDER §6.2",
        "corrupt",
        "settings[0]'s key and value pointers swapped: the value's bytes come before the key's",
        {
            let mut a = archive(&base_fields());
            let (st, _) = a.ptr(a.root() + root::SETTINGS);
            let (kt, kl) = a.ptr(st as usize);
            let (vt, vl) = a.ptr(st as usize + 8);
            a.set_ptr(st as usize, vt, vl);
            a.set_ptr(st as usize + 8, kt, kl);
            raw(&a.bytes)
        },
    );
    add(
        "issued_after_expiry",
        "R-ARC-TIME §6.3",
        "corrupt",
        "issued_at one millisecond after expires_at",
        {
            let mut f = base_fields();
            f.issued_at = f.expires_at + 1;
            raw(&archive(&f).bytes)
        },
    );
    let utf8 = |edit: &dyn Fn(&mut Fields)| {
        let mut f = base_fields();
        edit(&mut f);
        raw(&archive(&f).bytes)
    };
    add(
        "utf8_user_id_ff",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "user_id holds the byte FF",
        utf8(&|f| f.user_id = vec![b'u', 0xFF]),
    );
    add(
        "utf8_tenant_overlong",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "tenant_id holds the overlong form C0 AF of '/'",
        utf8(&|f| f.tenant_id = vec![b'a', 0xC0, 0xAF]),
    );
    add(
        "utf8_token_surrogate",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "token holds the surrogate U+D800 (ED A0 80)",
        utf8(&|f| f.token = vec![0xED, 0xA0, 0x80]),
    );
    add(
        "utf8_token_cut",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "token ends inside a 3-byte sequence (E2 82)",
        utf8(&|f| f.token = vec![b't', 0xE2, 0x82]),
    );
    add(
        "utf8_token_above_max",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "token holds F4 90 80 80, above U+10FFFF",
        utf8(&|f| f.token = vec![0xF4, 0x90, 0x80, 0x80]),
    );
    add(
        "utf8_role",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "role 0 holds a lone continuation byte 80",
        utf8(&|f| f.roles = vec![vec![b's', 0x80]]),
    );
    add(
        "utf8_setting_key",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "settings[0].key holds FE",
        utf8(&|f| f.settings = vec![(vec![0xFE], b"en".to_vec())]),
    );
    add(
        "utf8_attribute_value",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "attributes[0].value holds C3 (cut 2-byte sequence)",
        utf8(&|f| f.attributes = vec![(b"dept".to_vec(), vec![0xC3])]),
    );
    add(
        "keys_settings_unsorted",
        "R-ARC-KEYS §6.3",
        "corrupt",
        "settings keys \"lang\" then \"a\"",
        utf8(&|f| {
            f.settings = vec![
                (b"lang".to_vec(), b"en".to_vec()),
                (b"a".to_vec(), b"b".to_vec()),
            ]
        }),
    );
    add(
        "keys_settings_duplicate",
        "R-ARC-KEYS §6.3",
        "corrupt",
        "settings key \"lang\" twice",
        utf8(&|f| {
            f.settings = vec![
                (b"lang".to_vec(), b"en".to_vec()),
                (b"lang".to_vec(), b"fr".to_vec()),
            ]
        }),
    );
    add(
        "keys_attributes_prefix",
        "R-ARC-KEYS §6.3",
        "corrupt",
        "attributes keys \"deptx\" then its prefix \"dept\"",
        utf8(&|f| {
            f.attributes = vec![
                (b"deptx".to_vec(), b"a".to_vec()),
                (b"dept".to_vec(), b"b".to_vec()),
            ]
        }),
    );
    add(
        "keys_attributes_bytewise",
        "R-ARC-KEYS §6.3",
        "corrupt",
        "attributes keys \"é\" (C3 A9) then \"z\": byte order, not code point order of a locale",
        utf8(&|f| f.attributes = vec![("é".into(), b"a".to_vec()), (b"z".to_vec(), b"b".to_vec())]),
    );

    // The canonical layout (section 6.4).
    add(
        "layout_padding_nonzero",
        "R-ARC-PAD §6.4",
        "corrupt",
        "the padding byte before the roles table is 01",
        {
            let mut a = archive(&base_fields());
            let p = a.padding[0];
            a.bytes[p] = 1;
            raw(&a.bytes)
        },
    );
    add(
        "layout_root_padding_nonzero",
        "R-ARC-PAD §6.4",
        "corrupt",
        "the last padding byte before the root is 20",
        {
            let mut a = archive(&base_fields());
            let p = *a.padding.last().unwrap();
            assert_eq!(p, a.root() - 1);
            a.bytes[p] = 0x20;
            raw(&a.bytes)
        },
    );
    add(
        "layout_gap_bytes",
        "R-ARC-GAP §6.4",
        "corrupt",
        "one zero byte between user_id's and tenant_id's bytes",
        raw(&archive_with_gap(&base_fields(), Some((1, 1))).bytes),
    );
    add(
        "layout_gap_table",
        "R-ARC-GAP §6.4",
        "corrupt",
        "4 zero bytes before the settings table, which is still aligned",
        {
            // Vectors in writing order: user_id 0, tenant_id 1, token 2, role 3, roles table 4,
            // key 5, value 6, settings table 7.
            raw(&archive_with_gap(&base_fields(), Some((7, 4))).bytes)
        },
    );
    add(
        "layout_gap_root",
        "R-ARC-GAP §6.4",
        "corrupt",
        "8 more zero bytes before the root than alignment needs",
        {
            let a = archive(&base_fields());
            let r = a.root();
            let mut bytes = a.bytes[..r].to_vec();
            bytes.extend_from_slice(&[0; 8]);
            let mut root = a.bytes[r..].to_vec();
            // Every pointer in the root moves 8 bytes further from its target.
            for i in 0..8 {
                let at = 16 + 8 * i;
                let o = i32::from_le_bytes(root[at..at + 4].try_into().unwrap()) - 8;
                root[at..at + 4].copy_from_slice(&o.to_le_bytes());
            }
            bytes.extend_from_slice(&root);
            raw(&bytes)
        },
    );
    add(
        "layout_empty_bytes_moved",
        "R-ARC-EMPTY §6.4",
        "corrupt",
        "an empty token pointing at archive offset 0 instead of where its bytes would go",
        {
            let mut f = base_fields();
            f.token.clear();
            let mut a = archive(&f);
            a.set_ptr(a.root() + root::TOKEN, 0, 0);
            raw(&a.bytes)
        },
    );
    add(
        "layout_empty_table_moved",
        "R-ARC-EMPTY §6.4",
        "corrupt",
        "an empty attributes table pointing at archive offset 0",
        {
            let mut f = base_fields();
            f.attributes.clear();
            let mut a = archive(&f);
            a.set_ptr(a.root() + root::ATTRIBUTES, 0, 0);
            raw(&a.bytes)
        },
    );
    add("layout_empty_table_unaligned_position", "R-ARC-EMPTY §6.4", "corrupt", "an empty roles table pointing at 8, inside the token's bytes, instead of 12 where the writer puts it", {
        let mut f = base_fields();
        f.roles.clear();
        // user_id 2 + tenant_id 4 + token 3 = 9: the writer pads to 12 for the empty table.
        let mut a = archive(&f);
        let (t, _) = a.ptr(a.root() + root::ROLES);
        assert_eq!(t, 12);
        a.set_ptr(a.root() + root::ROLES, 8, 0);
        raw(&a.bytes)
    });
    add(
        "layout_empty_string_in_entry_moved",
        "R-ARC-EMPTY §6.4",
        "corrupt",
        "an empty setting value pointing at archive offset 0",
        {
            let mut f = base_fields();
            f.settings = vec![(b"lang".to_vec(), Vec::new())];
            let mut a = archive(&f);
            let (st, _) = a.ptr(a.root() + root::SETTINGS);
            a.set_ptr(st as usize + 8, 0, 0);
            raw(&a.bytes)
        },
    );

    // ----- §7 id sets -----
    let set = |bytes: Vec<u8>| raw(&with_facilities(&bytes));
    let run1 = |flags: u8, card_minus_1: u16, container: &[u16]| {
        [
            &[0x3B, 0x30, 0, 0, flags][..],
            &le16(&[0, card_minus_1]),
            &le16(container),
        ]
        .concat()
    };
    add(
        "set_cookie_unknown",
        "R-SET-COOKIE §7.2",
        "corrupt",
        "facilities start with cookie 12348",
        set([&[0x3C, 0x30, 0, 0, 0][..], &le16(&[0, 0, 1])].concat()),
    );
    add(
        "set_cookie_12346_high_bits",
        "R-SET-COOKIE §7.2",
        "corrupt",
        "facilities' cookie word is 0x0001303A: low 16 bits 12346 but the word is not 12346",
        set([
            &[0x3A, 0x30, 1, 0],
            &1_u32.to_le_bytes()[..],
            &le16(&[0, 0]),
            &16_u32.to_le_bytes(),
            &le16(&[1]),
        ]
        .concat()),
    );
    add(
        "set_empty_bytes",
        "R-SET-TRUNC §7.2",
        "corrupt",
        "facilities are 0 bytes (not even a cookie)",
        set(Vec::new()),
    );
    add(
        "set_count_too_large",
        "R-SET-COUNT §7.2",
        "corrupt",
        "cookie 12346 with a container count of 65,537",
        set([&[0x3A, 0x30, 0, 0][..], &65_537_u32.to_le_bytes()].concat()),
    );
    add(
        "set_run_flag_padding",
        "R-SET-RUNFLAGS §7.2",
        "corrupt",
        "cookie 12347, one container, run-flag byte 02 (bit 1 is past container 0)",
        set(run1(0x02, 2, &[1, 2, 3])),
    );
    add(
        "set_truncated_array",
        "R-SET-TRUNC §7.2",
        "corrupt",
        "an array container of cardinality 3 with only 2 values present",
        set(run1(0, 2, &[1, 2])),
    );
    add(
        "set_truncated_keys",
        "R-SET-TRUNC §7.2",
        "corrupt",
        "cookie 12347 declaring 2 containers, with one key entry present",
        set([&[0x3B, 0x30, 1, 0, 0][..], &le16(&[0, 0])].concat()),
    );
    add(
        "set_truncated_offsets",
        "R-SET-TRUNC §7.2",
        "corrupt",
        "cookie 12346, one container, the offset header cut to 2 bytes",
        set([
            &[0x3A, 0x30, 0, 0][..],
            &1_u32.to_le_bytes(),
            &le16(&[0, 0]),
            &[16, 0],
        ]
        .concat()),
    );
    add(
        "set_truncated_cookie_12346",
        "R-SET-TRUNC §7.2",
        "corrupt",
        "cookie 12346 with no container count",
        set(vec![0x3A, 0x30, 0, 0]),
    );
    add(
        "set_keys_equal",
        "R-SET-KEYS §7.2",
        "corrupt",
        "two containers with key 1",
        set([&[0x3B, 0x30, 1, 0, 0][..], &le16(&[1, 0, 1, 0, 5, 6])].concat()),
    );
    add(
        "set_keys_decreasing",
        "R-SET-KEYS §7.2",
        "corrupt",
        "container keys 2 then 1",
        set([&[0x3B, 0x30, 1, 0, 0][..], &le16(&[2, 0, 1, 0, 5, 6])].concat()),
    );
    add(
        "set_offset_wrong",
        "R-SET-OFFSETS §7.2",
        "corrupt",
        "cookie 12346, one container, offset header says 17 where the container starts at 16",
        set([
            &[0x3A, 0x30, 0, 0][..],
            &1_u32.to_le_bytes(),
            &le16(&[0, 0]),
            &17_u32.to_le_bytes(),
            &le16(&[1]),
        ]
        .concat()),
    );
    add(
        "set_offset_wrong_12347",
        "R-SET-OFFSETS §7.2",
        "corrupt",
        "cookie 12347 with 4 containers: the last offset is 2 too large",
        {
            // header: cookie 4 + flags 1 + keys 16 + offsets 16 = 37; containers of 2 bytes each.
            let mut s = vec![0x3B, 0x30, 3, 0, 0];
            s.extend(le16(&[0, 0, 1, 0, 2, 0, 3, 0]));
            for o in [37_u32, 39, 41, 45] {
                s.extend(o.to_le_bytes());
            }
            s.extend(le16(&[7, 7, 7, 7]));
            set(s)
        },
    );
    add(
        "set_array_duplicate",
        "R-SET-ARRAY §7.2",
        "corrupt",
        "an array container holding 2, 2, 3",
        set(run1(0, 2, &[2, 2, 3])),
    );
    add(
        "set_array_decreasing",
        "R-SET-ARRAY §7.2",
        "corrupt",
        "an array container holding 1, 3, 2",
        set(run1(0, 2, &[1, 3, 2])),
    );
    add(
        "set_bitmap_cardinality",
        "R-SET-BITMAP §7.2",
        "corrupt",
        "a bitmap container declaring 4,097 ids that holds 4,096 (0..4096)",
        {
            let mut bits = vec![0_u8; 8192];
            bits[..512].fill(0xFF);
            set([&[0x3B, 0x30, 0, 0, 0][..], &le16(&[0, 4096]), &bits].concat())
        },
    );
    add(
        "set_run_empty",
        "R-SET-RUN-EMPTY §7.2",
        "corrupt",
        "a run container with 0 runs (cardinality 1 declared)",
        set(run1(1, 0, &[0])),
    );
    add(
        "set_run_overflow",
        "R-SET-RUN-OVERFLOW §7.2",
        "corrupt",
        "a run starting at 65,535 of length 2",
        set(run1(1, 1, &[1, 65_535, 1])),
    );
    add(
        "set_run_touching",
        "R-SET-RUN-ORDER §7.2",
        "corrupt",
        "runs 1..=2 then 3..=3: touching",
        set(run1(1, 2, &[2, 1, 1, 3, 0])),
    );
    add(
        "set_run_overlapping",
        "R-SET-RUN-ORDER §7.2",
        "corrupt",
        "runs 1..=3 then 2..=2: overlapping",
        set(run1(1, 3, &[2, 1, 2, 2, 0])),
    );
    add(
        "set_run_unsorted",
        "R-SET-RUN-ORDER §7.2",
        "corrupt",
        "runs 10..=10 then 1..=1",
        set(run1(1, 1, &[2, 10, 0, 1, 0])),
    );
    add(
        "set_run_cardinality",
        "R-SET-RUN-CARD §7.2",
        "corrupt",
        "a run container declaring 5 ids whose one run holds 3",
        set(run1(1, 4, &[1, 1, 2])),
    );
    add(
        "set_trailing_bytes",
        "R-SET-TRAILING §7.2",
        "corrupt",
        "the set 1, 2, 3 followed by 2 zero bytes",
        set([run1(0, 2, &[1, 2, 3]), vec![0, 0]].concat()),
    );
    add(
        "set_empty_trailing",
        "R-SET-TRAILING §7.2",
        "corrupt",
        "the empty set (8 bytes) followed by 4 zero bytes",
        set(vec![0x3A, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    );
    add(
        "set_groups_bad",
        "R-SET-ARRAY §7.2",
        "corrupt",
        "groups (not facilities) holding an array 10, 10",
        {
            let mut f = base_fields();
            f.groups = run1(0, 1, &[10, 10]);
            raw(&archive(&f).bytes)
        },
    );

    // ----- §8 limits -----
    let big = |f: &Fields| compressed(&archive(f).bytes);
    add(
        "limit_decoded_len",
        "R-LIMIT-DECODED §8",
        "limit",
        "a compressed blob declaring decoded_len 16 MiB + 8 (the frame is the base session's)",
        blob(
            Header {
                decoded_len: (16 << 20) + 8,
                ..hc
            },
            &fr,
        ),
    );
    add("limit_decoded_len_before_length", "R-LIMIT-DECODED §8", "limit", "a raw header declaring 16 MiB + 8 bytes, with only 100 body bytes: the limit is checked before the length", {
        let mut h = hr;
        h.stored_len = (16 << 20) + 8;
        h.decoded_len = h.stored_len;
        blob(h, &base_a.bytes[..100])
    });
    add(
        "limit_decoded_len_max",
        "R-LIMIT-DECODED §8",
        "limit",
        "decoded_len 0xFFFFFFFF on a compressed blob",
        blob(
            Header {
                decoded_len: u32::MAX,
                ..hc
            },
            &fr,
        ),
    );
    add(
        "limit_string_token",
        "R-LIMIT-STRING §8",
        "limit",
        "a token of 16,385 bytes (16 KiB + 1), compressed",
        big(&{
            let mut f = base_fields();
            f.token = vec![b't'; 16_385];
            f
        }),
    );
    add(
        "limit_string_role",
        "R-LIMIT-STRING §8",
        "limit",
        "a role of 16,385 bytes, compressed",
        big(&{
            let mut f = base_fields();
            f.roles = vec![vec![b'r'; 16_385]];
            f
        }),
    );
    add(
        "limit_string_setting_value",
        "R-LIMIT-STRING §8",
        "limit",
        "a setting value of 16,385 bytes, compressed",
        big(&{
            let mut f = base_fields();
            f.settings = vec![(b"k".to_vec(), vec![b'v'; 16_385])];
            f
        }),
    );
    add(
        "limit_roles",
        "R-LIMIT-ROLES §8",
        "limit",
        "1,025 roles, compressed",
        big(&{
            let mut f = base_fields();
            f.roles = vec![b"r".to_vec(); 1025];
            f
        }),
    );
    add(
        "limit_settings",
        "R-LIMIT-SETTINGS §8",
        "limit",
        "4,097 settings with sorted keys k00000…, stored raw (compressed, it would break the inflation ratio too)",
        raw(&archive(&{
            let mut f = base_fields();
            f.settings = (0..4097)
                .map(|i| (format!("k{i:05}").into_bytes(), b"v".to_vec()))
                .collect();
            f
        })
        .bytes),
    );
    add(
        "limit_attributes",
        "R-LIMIT-ATTRIBUTES §8",
        "limit",
        "4,097 attributes with sorted keys a00000…, stored raw (compressed, it would break the inflation ratio too)",
        raw(&archive(&{
            let mut f = base_fields();
            f.attributes = (0..4097)
                .map(|i| (format!("a{i:05}").into_bytes(), Vec::new()))
                .collect();
            f
        })
        .bytes),
    );

    // ----- §8 the inflation ratio (issue 12): decoded_len <= 4 × stored_len + 16 KiB -----
    let ratio_bound = |stored: u32| 4 * u64::from(stored) + 16_384;
    add(
        "limit_ratio_declared",
        "R-LIMIT-RATIO §8",
        "limit",
        "the base session's compressed blob (150-byte frame) declaring decoded_len 4 × 150 + 16,384 + 1 = 16,985",
        blob(
            Header {
                decoded_len: u32::try_from(ratio_bound(hc.stored_len) + 1).unwrap(),
                ..hc
            },
            &fr,
        ),
    );
    add(
        "limit_ratio_claims_16_mib",
        "R-LIMIT-RATIO §8",
        "limit",
        "the base session's compressed blob declaring decoded_len 16 MiB (the decoded-size limit itself): a few hundred bytes may not claim that much",
        blob(
            Header {
                decoded_len: 16 << 20,
                ..hc
            },
            &fr,
        ),
    );
    add(
        "limit_ratio_before_length",
        "R-LIMIT-RATIO §8",
        "limit",
        "a compressed header declaring 1 MiB from a 150-byte body, with only 100 body bytes present: the ratio is checked before the length",
        blob(
            Header {
                decoded_len: 1 << 20,
                ..hc
            },
            &fr[..100],
        ),
    );
    add(
        "limit_ratio_valid_frame",
        "R-LIMIT-RATIO §8",
        "limit",
        "a valid session (4 settings of 16,384 bytes, each within the string limit) in one valid frame that inflates beyond the ratio",
        {
            let mut f = base_fields();
            f.settings = (0..4)
                .map(|i| (format!("k{i}").into_bytes(), vec![b'v'; 16_384]))
                .collect();
            let a = archive(&f).bytes;
            let z = frame(&a);
            assert!(u64::try_from(a.len()).unwrap() > ratio_bound(u32::try_from(z.len()).unwrap()));
            blob(Header::compressed(&a, &z), &z)
        },
    );
    add(
        "limit_ratio_valid_16_mib",
        "R-LIMIT-RATIO §8",
        "limit",
        "a valid session of almost 16 MiB (1,000 settings of 16,384 bytes) in one valid frame of a few KiB: within the decoded-size limit, far beyond the ratio",
        {
            let mut f = base_fields();
            f.settings = (0..1000)
                .map(|i| (format!("k{i:04}").into_bytes(), vec![b'v'; 16_384]))
                .collect();
            let a = archive(&f).bytes;
            assert!(a.len() <= 16 << 20);
            let z = frame(&a);
            blob(Header::compressed(&a, &z), &z)
        },
    );

    // ----- §9 expiry -----
    add(
        "expired_at_expires_at",
        "R-EXPIRED §9",
        "expired",
        "checked at exactly expires_at: expired from that millisecond on",
        good.clone(),
    );
    v.last_mut().unwrap().now = EXPIRES;
    v.push(Case {
        name: "expired_long_ago",
        rule: "R-EXPIRED §9",
        kind: "expired",
        now: EXPIRES + 86_400_000,
        key: false,
        about: "a compressed session checked a day after it expired",
        bin: good_c.clone(),
    });
    v.push(Case {
        name: "expired_issued_equals_expires",
        rule: "R-EXPIRED §9",
        kind: "expired",
        now: ISSUED,
        key: false,
        about: "issued_at = expires_at: expired the moment it is issued",
        bin: {
            let mut f = base_fields();
            f.expires_at = f.issued_at;
            raw(&archive(&f).bytes)
        },
    });
    // Which rule a reader names when a blob breaks two (SPEC.md section 6.3, C-ARC-STEPS): each
    // of these carries two faults, and its rule is the one that order names first.
    let two_faults = |name, rule, kind, about, f: Fields, gap| Case {
        name,
        rule,
        kind,
        now: NOW,
        key: false,
        about,
        bin: raw(&archive_with_gap(&f, gap).bytes),
    };
    v.push(two_faults(
        "precedence_user_id_before_roles_limit",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "user_id holds FF AND the roles table has 1,025 entries: user_id's step comes first",
        {
            let mut f = base_fields();
            f.user_id = vec![b'u', 0xFF];
            f.roles = vec![b"r".to_vec(); 1025];
            f
        },
        None,
    ));
    v.push(two_faults(
        "precedence_roles_limit_before_role",
        "R-LIMIT-ROLES §8",
        "limit",
        "1,025 roles of which role 0 holds a lone 80: the table's limit is checked before its strings",
        {
            let mut f = base_fields();
            f.roles = vec![b"r".to_vec(); 1025];
            f.roles[0] = vec![b's', 0x80];
            f
        },
        None,
    ));
    v.push(two_faults(
        "precedence_utf8_before_gap",
        "R-ARC-UTF8 §6.3",
        "corrupt",
        "one zero byte between user_id's and tenant_id's bytes AND a token holding FF: layout faults rank last",
        {
            let mut f = base_fields();
            f.token = vec![b't', 0xFF];
            f
        },
        Some((1, 1)),
    ));
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors/v1/refuse".into()),
    );
    check_archive_writer();
    refusal_manifest::write_missing(&dir, cases(), (KEY_ID, hex(&KEY)));
}
