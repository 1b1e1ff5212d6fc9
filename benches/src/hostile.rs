//! The worst blobs of at most 4 KiB against the default [`Limits`](sessionpack::Limits) (issue
//! 12, `SPEC.md` R-LIMIT-RATIO): valid sessions, so that `open` does all of its work — inflate,
//! both digests, the archive and both id sets validated — made as large as the inflation rule
//! lets a 4 KiB blob be (`decoded_len <= 4 × stored_len + 16 KiB`) out of the containers that
//! cost the most to validate per byte.
//!
//! Each family fills the id sets with one kind of Roaring container in a regular (hence
//! compressible) pattern, then pads the blob to exactly its size budget with a random token
//! (incompressible, so it buys stored bytes and with them more allowed inflation). The library's
//! own [`Encoder`] writes them with [`Compression::Always`]: it stores a body raw rather than
//! exceed the ratio, so a blob that comes out compressed and small enough is one the default
//! decoder must open.

use sessionpack::roaring::RoaringBitmap;
use sessionpack::{Compression, Encoder, Header, Session};

/// The size budget of a hostile blob: 4 KiB, header and all.
pub const MAX_BLOB: usize = 4096;

/// A kind of container the hostile id sets are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Bitmap containers of every other id (8 KiB each, cardinality 32,768: a popcount each).
    Bitmaps,
    /// Run containers of 2,047 runs of 3 ids (8 KiB each: the most runs a writer stores as runs).
    Runs,
    /// Array containers of 1,024 ids 64 apart (2 KiB each: every pair of neighbours compared;
    /// a full array of 4,096 compresses too poorly to fit in 4 KiB at all).
    Arrays,
    /// 2,048 settings with 16-byte keys and values (sorted keys, pointers and UTF-8 for each).
    Settings,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 4] = [
        Family::Bitmaps,
        Family::Runs,
        Family::Arrays,
        Family::Settings,
    ];

    /// Its name in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Family::Bitmaps => "bitmaps",
            Family::Runs => "runs",
            Family::Arrays => "arrays",
            Family::Settings => "settings",
        }
    }

    /// `n` units of the family's structure (containers, or blocks of 64 settings) on `session`.
    fn apply(self, n: u32, session: Session) -> Session {
        let container = |k: u32| -> RoaringBitmap {
            let base = k << 16;
            match self {
                Family::Bitmaps => (0..32_768).map(|i| base | (2 * i)).collect(),
                Family::Runs => (0..2_047)
                    .flat_map(|i| (0..3).map(move |j| base | (32 * i + j)))
                    .collect(),
                Family::Arrays => (0..1_024).map(|i| base | (64 * i)).collect(),
                Family::Settings => RoaringBitmap::new(),
            }
        };
        if self == Family::Settings {
            return (0..n * 64).fold(session, |s, i| {
                s.with_setting(format!("setting-{i:08}"), format!("value-{i:010}"))
            });
        }
        let mut facilities = RoaringBitmap::new();
        let mut groups = RoaringBitmap::new();
        for k in 0..n {
            // Half in each set, so that both are validated.
            if k % 2 == 0 {
                facilities |= container(k / 2);
            } else {
                groups |= container(k / 2);
            }
        }
        session.with_facilities(facilities).with_groups(groups)
    }
}

/// A hostile blob and what it is made of.
#[derive(Clone, Debug)]
pub struct Hostile {
    /// The family.
    pub family: Family,
    /// Containers (or blocks of 64 settings) in it.
    pub units: u32,
    /// Length of the random token that pads the body.
    pub token_len: usize,
    /// The blob (at most [`MAX_BLOB`] bytes, compressed).
    pub blob: Vec<u8>,
    /// Its header.
    pub header: Header,
}

/// Random ASCII letters and digits from a fixed seed: valid UTF-8 that compresses poorly.
fn token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(ALPHABET[(x % 62) as usize])
        })
        .collect()
}

/// The session of `family` with `units` and a token of `token_len`: valid until `i64::MAX`.
fn session(family: Family, units: u32, token_len: usize) -> Session {
    let base = Session::new("u", "t", token(token_len), 0, i64::MAX);
    family.apply(units, base)
}

/// What [`Compression::Always`] makes of a session against the budget.
enum Outcome {
    /// Compressed and within [`MAX_BLOB`].
    Fits(Hostile),
    /// Stored raw: the frame would inflate beyond the ratio (more padding buys room).
    Raw,
    /// Compressed but larger than [`MAX_BLOB`].
    TooBig,
}

fn try_blob(encoder: &mut Encoder, family: Family, units: u32, token_len: usize) -> Outcome {
    let blob = encoder
        .encode(&session(family, units, token_len))
        .expect("a hostile session is valid");
    let header = Header::read(&blob).expect("the encoder's header");
    if !header.compressed {
        Outcome::Raw
    } else if blob.len() > MAX_BLOB {
        Outcome::TooBig
    } else {
        Outcome::Fits(Hostile {
            family,
            units,
            token_len,
            blob: blob.to_vec(),
            header,
        })
    }
}

/// The largest blob of `family` within the budget: for each number of units, the longest token
/// that still fits (a longer token buys stored bytes, hence more allowed inflation); the blob
/// with the largest `decoded_len` wins. Deterministic; takes a few seconds (zstd level 19).
pub fn build(family: Family) -> Hostile {
    let mut encoder = Encoder::new().with_compression(Compression::Always);
    let mut best: Option<Hostile> = None;
    for units in 1..64 {
        // Short tokens are stored raw (ratio), long ones too big: bisect for the last fit.
        let (mut lo, mut hi) = (0_usize, 2 * MAX_BLOB);
        let mut found = None;
        while lo + 8 < hi {
            let mid = (lo + hi) / 2;
            match try_blob(&mut encoder, family, units, mid) {
                Outcome::Fits(h) => {
                    lo = mid;
                    found = Some(h);
                }
                Outcome::Raw => lo = mid,
                Outcome::TooBig => hi = mid,
            }
        }
        match found {
            Some(h)
                if best
                    .as_ref()
                    .is_none_or(|b| h.header.decoded_len > b.header.decoded_len) =>
            {
                best = Some(h);
            }
            Some(_) => {}
            // No token length fits: more units only make it worse once one fitted, or once even
            // no padding is too big; otherwise keep trying.
            None if best.is_some()
                || matches!(try_blob(&mut encoder, family, units, 0), Outcome::TooBig) =>
            {
                break
            }
            None => {}
        }
    }
    best.expect("a hostile blob of one unit fits in 4 KiB")
}
