//! The benchmarks' own crate (`sessionpack-benches`, never published): the library's users never
//! compile criterion, CRoaring or postcard. This library holds the formats compared by the
//! session benchmarks, shared by `benches/session.rs` (criterion) and `benches/examples/sizes.rs` (the
//! quick table), so that both measure exactly the same code.
//!
//! Every "read" is what a service does on each request: bytes from the cache to something it
//! can answer membership checks with. Every "job" is a read followed by the 100 checks of the
//! profile's probes (`sessionpack_synth::JOB_CHECKS`), each starting, as the platform's services
//! do, from a record's facility ObjectId: the JSON forms compare it as a hex string; the binary
//! forms translate it through the tenant's facility dictionary, opened once per process
//! ([`Dictionaries`]), and check the id.

pub mod hostile;

use sessionpack::{
    Compression, Decoder, DictionaryDecoder, Encoder, Expiry, IdDictionaryView, IdSetView,
};
use sessionpack_synth::{
    compact_contains, hashed_id, ids_only_contains, legacy_contains, CompactSession,
    IdsOnlySession, LegacySession, Probe, Synthetic,
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

/// A service's reused `Decoder` for `s`'s session: expiry enforced as of the session's issue
/// time (the generated sessions are from November 2025, so the system clock finds them
/// expired).
pub fn decoder(s: &Synthetic) -> Decoder {
    Decoder::new().with_expiry(Expiry::RejectAt(s.session.issued_at))
}

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
        postcard_zstd(&mut self.postcard, session)
    }
}

/// postcard of the compact struct, then one zstd frame with `compressor`.
pub fn postcard_zstd(
    compressor: &mut zstd::bulk::Compressor<'static>,
    session: &CompactSession,
) -> Vec<u8> {
    let bytes = postcard::to_allocvec(session).expect("postcard");
    compressor.compress(&bytes).expect("zstd")
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
            let mut decoder = decoder(s);
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

/// The tenant's dictionaries as a checking service holds them: the bytes it fetched once
/// (`GET dict:<tenant>:facility`), opened with [`DictionaryDecoder`] once per process.
pub struct Dictionaries {
    pub facilities: Vec<u8>,
    pub groups: Vec<u8>,
}

impl Dictionaries {
    pub fn new(s: &Synthetic) -> Self {
        Dictionaries {
            facilities: s.facility_dict.to_bytes(None),
            groups: s.group_dict.to_bytes(None),
        }
    }

    /// The facility dictionary, validated: what a service keeps for the process's life.
    pub fn facility_view(&self) -> IdDictionaryView<'_> {
        DictionaryDecoder::new()
            .open(&self.facilities)
            .expect("facility dictionary")
    }

    /// The group dictionary, validated.
    pub fn group_view(&self) -> IdDictionaryView<'_> {
        DictionaryDecoder::new()
            .open(&self.groups)
            .expect("group dictionary")
    }
}

/// How a binary form's ids are found from a record's ObjectId: through the tenant's dictionary,
/// or (the `sparse` profile) by hashing it.
#[derive(Clone, Copy)]
pub enum Ids<'d> {
    Dictionary(&'d IdDictionaryView<'d>),
    Hashed,
}

impl<'d> Ids<'d> {
    /// The translation for `s`'s session, given its facility dictionary.
    pub fn of(s: &Synthetic, dict: &'d IdDictionaryView<'d>) -> Self {
        if s.profile.uses_dictionaries() {
            Ids::Dictionary(dict)
        } else {
            Ids::Hashed
        }
    }

    /// Whether the probe's facility is in `facilities`: `facilities.contains_key(dict, key)`,
    /// or the hash's check.
    ///
    /// # Errors
    ///
    /// When the set does not refer to the dictionary (`Error::ForeignDictionary`): deny.
    pub fn contains(
        self,
        facilities: &IdSetView<'_>,
        p: &Probe,
    ) -> Result<bool, sessionpack::Error> {
        match self {
            Ids::Dictionary(dict) => facilities.contains_key(dict, p.facility.key()),
            Ids::Hashed => Ok(facilities.contains(hashed_id(&p.facility))),
        }
    }

    /// The set id of the probe's facility (`None`: the dictionary does not hold it, or the key
    /// is not of its key type: deny).
    #[inline]
    pub fn id(self, p: &Probe) -> Option<u32> {
        match self {
            Ids::Dictionary(dict) => dict.id_of(p.facility.key()).ok().flatten(),
            Ids::Hashed => Some(hashed_id(&p.facility)),
        }
    }
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

pub fn job_postcard(
    reader: &mut PostcardReader,
    blob: &[u8],
    ids: Ids<'_>,
    probes: &[Probe],
) -> usize {
    let session = reader.read(blob);
    probes
        .iter()
        .filter(|p| ids.id(p).is_some_and(|id| compact_contains(&session, id)))
        .count()
}

/// `Decoder::open`, then each probe's ObjectId checked against the facility set: through the
/// dictionary, `view.facilities().keyed(&dict)?.contains(key)?` (the pairing checked once per
/// job: the session's facility lineage is the dictionary's); on `sparse`, its hash.
pub fn job_sessionpack(
    decoder: &mut Decoder,
    blob: &[u8],
    ids: Ids<'_>,
    probes: &[Probe],
) -> usize {
    let view = decoder.open(blob).expect("open");
    match ids {
        Ids::Dictionary(dict) => {
            let facilities = view
                .facilities()
                .keyed(dict)
                .expect("the tenant's dictionary");
            probes
                .iter()
                .filter(|p| {
                    facilities
                        .contains(p.facility.key())
                        .expect("an ObjectId key")
                })
                .count()
        }
        Ids::Hashed => {
            let facilities = view.facilities();
            probes
                .iter()
                .filter(|p| facilities.contains(hashed_id(&p.facility)))
                .count()
        }
    }
}
