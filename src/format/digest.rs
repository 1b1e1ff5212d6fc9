//! The digests and their seeds: XXH64 everywhere, seeded so that a blob whose version byte was
//! changed fails its digest.

/// The seed of the header's digest of a version 1 archive.
pub(crate) const ARCHIVE_SEED_V1: u64 = 0;
/// The seed of the header's digest of a version 3 archive: 3, so that a version byte changed
/// between 1 and 3 fails the digest.
pub(crate) const ARCHIVE_SEED_V3: u64 = 3;
/// The seed of the digest of a stored (compressed) body, and of an id dictionary's digest.
pub(crate) const SEED_0: u64 = 0;

/// XXH64 with seed 0: the digest of a stored body (and of a version 1 archive, and of an id
/// dictionary's content).
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(bytes, SEED_0)
}

/// XXH64 with `seed`: the digest of a decoded archive, seeded by its version
/// (`archive::Version::digest_seed`, one of the seeds above).
pub(crate) fn digest_seeded(bytes: &[u8], seed: u64) -> u64 {
    xxhash_rust::xxh64::xxh64(bytes, seed)
}
