//! Every single-bit flip and every truncation of every golden vector is refused: an `Err`,
//! never a panic, never an `Ok`. Signed vectors are opened by a decoder that holds their key and
//! requires a MAC, as a service that signs would.

use std::path::PathBuf;

use sessionpack::{Decoder, MacKey};

fn vectors() -> Vec<(String, Vec<u8>, bool)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    manifest
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let name = case["name"].as_str().unwrap().to_string();
            let bin = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
            (name, bin, !case["key"].is_null())
        })
        .collect()
}

/// The key of the signed vectors (see tests/golden.rs): id 7, bytes 00..1f.
fn decoder(signed: bool) -> Decoder {
    if signed {
        let key: Vec<u8> = (0..32).collect();
        Decoder::new()
            .with_key(MacKey::new(7, &key).unwrap())
            .require_mac(true)
    } else {
        Decoder::new()
    }
}

#[test]
fn every_single_bit_flip_is_refused() {
    let mut flips = 0;
    for (name, bin, signed) in vectors() {
        let mut decoder = decoder(signed);
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
    for (name, bin, signed) in vectors() {
        let mut decoder = decoder(signed);
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
fn signed_vectors_are_refused_without_their_key_and_unsigned_when_a_mac_is_required() {
    for (name, bin, signed) in vectors() {
        let refused = if signed {
            Decoder::new().open(&bin).map(|_| ())
        } else {
            decoder(true).open(&bin).map(|_| ())
        };
        let err = refused.expect_err(&name);
        let expected = if signed {
            "key ring does not hold"
        } else {
            "requires a MAC"
        };
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
}
