//! The benchmarks' own crate (`sessionpack-benches`, never published): the library's users never
//! compile criterion, CRoaring or postcard. This library holds the formats compared by the
//! session benchmarks, shared by `benches/session.rs` (criterion) and `benches/examples/sizes.rs` (the
//! quick table), so that both measure exactly the same code.
//!
//! Every "read" is what a service does on each request: bytes from the cache to something it
//! can answer membership checks with. Every "job" is a read followed by the 100 checks of the
//! profile's probes (`sessionpack_synth::JOB_CHECKS`).

pub mod hostile;

use sessionpack::{Compression, Decoder, Encoder};
use sessionpack_synth::{
    compact_contains, ids_only_contains, legacy_contains, CompactSession, IdsOnlySession,
    LegacySession, Probe, Synthetic,
};

/// The seed of every benchmark session.
pub const SEED: u64 = 20_261_126;

/// The zstd level of the postcard baseline: sessionpack's default, so sizes compare like for
/// like.
pub const POSTCARD_ZSTD_LEVEL: i32 = sessionpack::DEFAULT_LEVEL;

/// The forms compared, in table order.
pub const FORMATS: [&str; 6] = [
    "legacy-json",
    "ids-only-json",
    "postcard-zstd",
    "sessionpack-raw",
    "sessionpack-zstd",
    "sessionpack-default",
];

/// Reused writers, one per form, as a long-running issuing service keeps them.
pub struct Writers {
    pub raw: Encoder,
    pub zstd: Encoder,
    pub default: Encoder,
    pub postcard: zstd::bulk::Compressor<'static>,
}

impl Default for Writers {
    fn default() -> Self {
        Writers::new()
    }
}

impl Writers {
    pub fn new() -> Self {
        let mut postcard =
            zstd::bulk::Compressor::new(POSTCARD_ZSTD_LEVEL).expect("zstd compressor");
        postcard
            .include_checksum(true)
            .expect("zstd checksum parameter");
        Writers {
            raw: Encoder::new().with_compression(Compression::Never),
            zstd: Encoder::new().with_compression(Compression::Always),
            default: Encoder::new(),
            postcard,
        }
    }

    /// postcard of the compact struct, then one zstd frame (with its checksum, like
    /// sessionpack's).
    pub fn postcard_zstd(&mut self, session: &CompactSession) -> Vec<u8> {
        let bytes = postcard::to_allocvec(session).expect("postcard");
        self.postcard.compress(&bytes).expect("zstd")
    }
}

pub fn legacy_json(session: &LegacySession) -> String {
    serde_json::to_string(session).expect("legacy JSON")
}

pub fn ids_only_json(session: &IdsOnlySession) -> String {
    serde_json::to_string(session).expect("ids-only JSON")
}

/// Every stored form of one session.
pub struct Blobs {
    pub legacy_json: String,
    pub ids_only_json: String,
    /// postcard alone (for the size table only).
    pub postcard: Vec<u8>,
    pub postcard_zstd: Vec<u8>,
    pub sessionpack_raw: Vec<u8>,
    pub sessionpack_zstd: Vec<u8>,
    pub sessionpack_default: Vec<u8>,
    /// Bytes of the two id sets inside the sessionpack archive.
    pub id_set_bytes: usize,
}

impl Blobs {
    pub fn new(s: &Synthetic, writers: &mut Writers) -> Self {
        let sessionpack_raw = writers.raw.encode(&s.session).expect("encode").to_vec();
        let id_set_bytes = {
            let mut decoder = Decoder::new();
            let view = decoder.open(&sessionpack_raw).expect("open");
            view.facilities().as_bytes().len() + view.groups().as_bytes().len()
        };
        // The generator's JSON is what the encode benchmarks write: check it once, here.
        assert!(
            s.legacy_json == legacy_json(&s.legacy),
            "legacy JSON differs"
        );
        assert!(
            s.ids_only_json == ids_only_json(&s.ids_only),
            "ids-only JSON differs"
        );
        Blobs {
            legacy_json: s.legacy_json.clone(),
            ids_only_json: s.ids_only_json.clone(),
            postcard: postcard::to_allocvec(&s.compact).expect("postcard"),
            postcard_zstd: writers.postcard_zstd(&s.compact),
            sessionpack_zstd: writers.zstd.encode(&s.session).expect("encode").to_vec(),
            sessionpack_default: writers.default.encode(&s.session).expect("encode").to_vec(),
            sessionpack_raw,
            id_set_bytes,
        }
    }

    /// Stored size of each of [`FORMATS`].
    pub fn sizes(&self) -> [usize; 6] {
        [
            self.legacy_json.len(),
            self.ids_only_json.len(),
            self.postcard_zstd.len(),
            self.sessionpack_raw.len(),
            self.sessionpack_zstd.len(),
            self.sessionpack_default.len(),
        ]
    }
}

/// Reads postcard + zstd: inflate into a reused buffer, then deserialize the owned struct.
pub struct PostcardReader {
    decompressor: zstd::bulk::Decompressor<'static>,
    buffer: Vec<u8>,
}

impl PostcardReader {
    /// `capacity`: the largest decoded session expected (a service sizes its buffer once).
    pub fn new(capacity: usize) -> Self {
        PostcardReader {
            decompressor: zstd::bulk::Decompressor::new().expect("zstd decompressor"),
            buffer: Vec::with_capacity(capacity),
        }
    }

    pub fn read(&mut self, blob: &[u8]) -> CompactSession {
        self.buffer.clear();
        self.decompressor
            .decompress_to_buffer(blob, &mut self.buffer)
            .expect("zstd");
        postcard::from_bytes(&self.buffer).expect("postcard")
    }
}

// Reads. Each returns something derived from what it read, so that nothing is optimized away.

pub fn read_legacy(json: &str) -> LegacySession {
    LegacySession::from_json(json).expect("legacy JSON")
}

pub fn read_ids_only(json: &str) -> IdsOnlySession {
    IdsOnlySession::from_json(json).expect("ids-only JSON")
}

pub fn read_sessionpack(decoder: &mut Decoder, blob: &[u8]) -> i64 {
    decoder.open(blob).expect("open").expires_at()
}

// Jobs: read, then answer the probes, as the services did. Each returns how many were allowed.

pub fn job_legacy(json: &str, probes: &[Probe]) -> usize {
    let session = read_legacy(json);
    probes
        .iter()
        .filter(|p| legacy_contains(&session, &p.object_id))
        .count()
}

pub fn job_ids_only(json: &str, probes: &[Probe]) -> usize {
    let session = read_ids_only(json);
    probes
        .iter()
        .filter(|p| ids_only_contains(&session, &p.object_id))
        .count()
}

pub fn job_postcard(reader: &mut PostcardReader, blob: &[u8], probes: &[Probe]) -> usize {
    let session = reader.read(blob);
    probes
        .iter()
        .filter(|p| compact_contains(&session, p.id))
        .count()
}

pub fn job_sessionpack(decoder: &mut Decoder, blob: &[u8], probes: &[Probe]) -> usize {
    let view = decoder.open(blob).expect("open");
    let facilities = view.facilities();
    probes.iter().filter(|p| facilities.contains(p.id)).count()
}
