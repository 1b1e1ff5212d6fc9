//! `cargo run --release -- OUT_DIR [PROFILE…]`: for each profile (default `worst`), the legacy
//! JSON session, the ids-only JSON, the raw and the default (compressed when it pays) blobs,
//! the raw blob signed with the benches' MAC key (key id 1, 32 bytes of 7), the tenant's facility
//! and group dictionaries and the probes (a record's facility ObjectId, its id when the
//! dictionary holds it), generated with the seed of the Rust benches. The Node bench
//! (`js/bench/bench.mjs`) and the Rust side of `js/bench/compare.mjs`
//! (`benches/examples/node_compare.rs`) read these same files.

use std::error::Error;
use std::fs;
use std::path::PathBuf;

use sessionpack::{Compression, Encoder, MacKey};
use sessionpack_synth::{generate, Profile};

/// The seed of the Rust benches (`sessionpack_benches::SEED`).
const SEED: u64 = 20_261_126;

/// The MAC key of the signed blob: id 1, 32 bytes of 7 (what `js/bench/bench.mjs` signs with).
const MAC_KEY_ID: u32 = 1;
const MAC_KEY: [u8; 32] = [7; 32];

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: OUT_DIR [PROFILE…]")?);
    let mut profiles: Vec<Profile> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    if profiles.is_empty() {
        profiles.push(Profile::Worst);
    }
    fs::create_dir_all(&out)?;
    for profile in profiles {
        let s = generate(profile, SEED);
        let name = profile.to_string();
        fs::write(out.join(format!("{name}.legacy.json")), &s.legacy_json)?;
        fs::write(out.join(format!("{name}.ids-only.json")), &s.ids_only_json)?;
        let raw = Encoder::new()
            .with_compression(Compression::Never)
            .encode(&s.session)?;
        fs::write(out.join(format!("{name}.raw.bin")), &raw)?;
        let default = Encoder::new().encode(&s.session)?;
        fs::write(out.join(format!("{name}.default.bin")), &default)?;
        let zstd = Encoder::new()
            .with_compression(Compression::Always)
            .encode(&s.session)?;
        fs::write(out.join(format!("{name}.zstd.bin")), &zstd)?;
        let signed = Encoder::new()
            .with_compression(Compression::Never)
            .with_key(MacKey::new(MAC_KEY_ID, &MAC_KEY)?)
            .encode(&s.session)?;
        fs::write(out.join(format!("{name}.signed.bin")), &signed)?;
        // The tenant's two dictionaries, as a checking service holds them (unsigned).
        fs::write(
            out.join(format!("{name}.facility.dict")),
            s.facility_dict.to_bytes(None),
        )?;
        fs::write(
            out.join(format!("{name}.group.dict")),
            s.group_dict.to_bytes(None),
        )?;
        let probes: Vec<serde_json::Value> = s
            .probes
            .iter()
            .map(
                |p| serde_json::json!({ "id": p.id, "object_id": p.object_id, "member": p.member }),
            )
            .collect();
        let meta = serde_json::json!({
            "profile": name,
            "seed": SEED,
            "issued_at": s.session.issued_at,
            "probes": probes,
        });
        fs::write(
            out.join(format!("{name}.meta.json")),
            serde_json::to_string(&meta)?,
        )?;
        eprintln!(
            "{name}: legacy {} B, ids-only {} B, raw blob {} B, default blob {} B",
            s.legacy_json.len(),
            s.ids_only_json.len(),
            raw.len(),
            default.len()
        );
    }
    Ok(())
}
