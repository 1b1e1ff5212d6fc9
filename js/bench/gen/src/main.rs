//! `cargo run --release -- OUT_DIR [PROFILE…]`: for each profile (default `worst`), the legacy
//! JSON session, the ids-only JSON, the raw and the default (compressed when it pays) blobs,
//! the tenant's facility dictionary and the probes (a record's facility ObjectId, its id when
//! the dictionary holds it), generated with the seed of the Rust benches.

use std::error::Error;
use std::fs;
use std::path::PathBuf;

use sessionpack::{Compression, Encoder};
use sessionpack_synth::{generate, Profile};

/// The seed of the Rust benches (`sessionpack_benches::SEED`).
const SEED: u64 = 20_261_126;

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
        // The tenant's facility dictionary, as a checking service holds it.
        fs::write(
            out.join(format!("{name}.facility.dict")),
            s.facility_dict.to_bytes(None),
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
