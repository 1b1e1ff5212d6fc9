//! Every single-bit flip and every truncation of every golden vector is refused: an `Err`,
//! never a panic, never an `Ok`. Signed vectors are opened by a decoder that holds their key and
//! requires a MAC, as a service that signs would.

mod support;

use sessionpack::{Decoder, Expiry, MacKey};
use support::vectors::{blob, decoder, manifest, Case};

/// Each vector's case and blob.
fn vectors() -> Vec<(Case, Vec<u8>)> {
    manifest()
        .into_iter()
        .map(|case| {
            let bin = blob(&case);
            (case, bin)
        })
        .collect()
}

#[test]
fn every_single_bit_flip_is_refused() {
    let mut flips = 0;
    for (case, bin) in vectors() {
        let name = &case.name;
        let mut decoder = decoder(&case);
        assert!(
            decoder.open(&bin).is_ok(),
            "{name}: the intact vector must open"
        );
        let mut bytes = bin.clone();
        for bit in 0..bytes.len() * 8 {
            bytes[bit / 8] ^= 1 << (bit % 8);
            if let Ok(view) = decoder.open(&bytes) {
                panic!(
                    "{name}: flipping bit {bit} (byte {}) still opens: {view:?}",
                    bit / 8
                );
            }
            bytes[bit / 8] ^= 1 << (bit % 8);
            flips += 1;
        }
    }
    assert!(flips > 100_000, "only {flips} flips tried");
}

#[test]
fn every_truncation_and_every_extension_is_refused() {
    for (case, bin) in vectors() {
        let name = &case.name;
        let mut decoder = decoder(&case);
        for len in 0..bin.len() {
            assert!(
                decoder.open(&bin[..len]).is_err(),
                "{name}: truncated to {len} bytes opens"
            );
        }
        for extra in [&[0_u8][..], &[0xFF; 7], &bin[..]] {
            let longer = [&bin[..], extra].concat();
            assert!(
                decoder.open(&longer).is_err(),
                "{name}: {} extra bytes open",
                extra.len()
            );
        }
    }
}

#[test]
fn signed_vectors_are_refused_without_their_key_and_unsigned_ones_by_a_decoder_holding_a_key() {
    // Any key: holding one makes a MAC required.
    let some_key = MacKey::new(99, &[0x5a; 32]).unwrap();
    for (case, bin) in vectors() {
        let (name, signed) = (&case.name, case.key.is_some());
        let refused = if signed {
            Decoder::new()
                .with_expiry(Expiry::Ignore)
                .open(&bin)
                .map(|_| ())
        } else {
            Decoder::new()
                .with_expiry(Expiry::Ignore)
                .with_key(some_key.clone())
                .open(&bin)
                .map(|_| ())
        };
        let err = refused.expect_err(name);
        let expected = if signed {
            "key ring does not hold"
        } else {
            "requires a MAC"
        };
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
}
