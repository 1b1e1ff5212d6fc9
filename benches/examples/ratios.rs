//! Prints the inflation ratio (`decoded_len / stored_len`) of every generated profile's session
//! encoded with `Compression::Always` and with the default `Compression::Auto`, at a few seeds
//! and zstd levels: what the decoder's `max_inflation_ratio` (SPEC.md section 8,
//! R-LIMIT-RATIO) must leave room for.
//!
//! ```text
//! cargo run --release -p sessionpack-benches --example ratios
//! ```

use sessionpack::{Compression, Decoder, Encoder, Expiry, Header};
use sessionpack_synth::{generate, Profile};

fn main() {
    println!("| profile | level | compression | decoded | stored | ratio | opens |");
    println!("| --- | --- | --- | ---: | ---: | ---: | --- |");
    let mut worst = 0.0_f64;
    for profile in Profile::ALL {
        for seed in [1_u64, 2, 3, 0x5E55] {
            let session = generate(profile, seed).session;
            for level in [1, 3, 19, 22] {
                for (name, compression) in [
                    ("always", Compression::Always),
                    ("auto", Compression::default()),
                ] {
                    let blob = Encoder::new()
                        .with_level(level)
                        .with_compression(compression)
                        .encode(&session)
                        .expect("encode");
                    let header = Header::read(&blob).expect("header");
                    let ratio = f64::from(header.decoded_len) / f64::from(header.stored_len);
                    let opens = Decoder::new()
                        .with_expiry(Expiry::RejectAt(session.issued_at))
                        .open(&blob)
                        .is_ok();
                    if header.compressed {
                        worst = worst.max(ratio);
                    }
                    if seed == 0x5E55 || !opens {
                        println!(
                            "| {} | {level} | {name}{} | {} | {} | {ratio:.3} | {opens} |",
                            profile.name(),
                            if header.compressed { "" } else { " (raw)" },
                            header.decoded_len,
                            header.stored_len,
                        );
                    }
                }
            }
        }
    }
    println!("\nlargest ratio of a compressed body: {worst:.3}");
}
