//! `LegacyMapping` against an independent route: the generator (`sessionpack_synth`) builds each
//! session directly from its ids, and its legacy JSON converted with `examples/legacy-mapping.json`
//! through the tenant's dictionaries must give exactly that session — for every profile with
//! dictionary ids, and for variants of each document rewritten in the other forms `MAPPING.md`
//! reads (`{"$oid": …}`, upper-case hex, ISO-8601 and `{"$date": …}` times, seconds with a
//! mapping that says so), chosen per value by a seeded generator.

use serde_json::{json, Map, Value};
use sessionpack::{DictKind, IdDictionary, KeyType, LegacyMapping};
use sessionpack_synth::{generate, Profile};

const MAPPING: &[u8] = include_bytes!("../../examples/legacy-mapping.json");

/// xorshift64*.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Unix milliseconds as ISO-8601 UTC with milliseconds, computed here (civil from days).
fn iso(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn oid(rng: &mut Rng, hex: &str) -> Value {
    match rng.below(4) {
        0 => json!({ "$oid": hex }),
        1 => json!({ "$oid": hex.to_uppercase() }),
        2 => Value::String(hex.to_uppercase()),
        _ => Value::String(hex.to_owned()),
    }
}

fn time(rng: &mut Rng, ms: i64) -> Value {
    match rng.below(4) {
        0 => Value::String(iso(ms)),
        1 => json!({ "$date": iso(ms) }),
        2 => json!({ "$date": { "$numberLong": ms.to_string() } }),
        _ => json!({ "$date": ms }),
    }
}

/// The document with its ids and times rewritten in other forms.
fn variant(doc: &mut Value, rng: &mut Rng) {
    let Value::Object(root) = doc else {
        panic!("an object")
    };
    for key in ["issuedAt", "expiresAt"] {
        let ms = root[key].as_i64().unwrap();
        root[key] = time(rng, ms);
    }
    for path in [&["user", "_id"][..], &["tenant", "_id"][..]] {
        let obj: &mut Map<String, Value> = root[path[0]].as_object_mut().unwrap();
        let hex = obj[path[1]].as_str().unwrap().to_owned();
        // A string field keeps a plain string as it is (MAPPING.md M-VALUE-TYPE) and writes an
        // `$oid` in lowercase: either case inside `$oid`, only lowercase plain.
        obj[path[1]] = match rng.below(3) {
            0 => json!({ "$oid": hex }),
            1 => json!({ "$oid": hex.to_uppercase() }),
            _ => Value::String(hex),
        };
    }
    for list in ["facilities", "groups"] {
        for item in root[list].as_array_mut().unwrap() {
            let hex = item["_id"].as_str().unwrap().to_owned();
            item["_id"] = oid(rng, &hex);
        }
    }
}

fn dictionaries(s: &sessionpack_synth::Synthetic) -> (IdDictionary, IdDictionary) {
    (
        s.tenant.facility_dictionary().unwrap(),
        s.tenant.group_dictionary().unwrap(),
    )
}

#[test]
fn every_profile_converts_to_the_generators_session() {
    let mapping = LegacyMapping::from_json(MAPPING).unwrap();
    for profile in [
        Profile::Small,
        Profile::Medium,
        Profile::TenantAdmin,
        Profile::Worst,
    ] {
        for seed in 1..=2 {
            let s = generate(profile, seed);
            let (f, g) = dictionaries(&s);
            let session = mapping
                .convert(s.legacy_json.as_bytes(), &f.view(), &g.view())
                .unwrap();
            assert_eq!(session, s.session, "{profile:?} seed {seed}");
        }
    }
}

#[test]
fn the_other_forms_convert_to_the_same_session() {
    let mapping = LegacyMapping::from_json(MAPPING).unwrap();
    let mut seconds_mapping: Value = serde_json::from_slice(MAPPING).unwrap();
    seconds_mapping["issued_at"]["unit"] = json!("s");
    seconds_mapping["expires_at"]["unit"] = json!("s");
    let seconds_mapping =
        LegacyMapping::from_json(&serde_json::to_vec(&seconds_mapping).unwrap()).unwrap();
    let mut rng = Rng(0x005e_ed1e_9ac7);
    for seed in 1..=40 {
        let s = generate(Profile::Small, seed);
        let (f, g) = dictionaries(&s);
        let mut doc: Value = serde_json::from_str(&s.legacy_json).unwrap();
        variant(&mut doc, &mut rng);
        let bytes = serde_json::to_vec(&doc).unwrap();
        let got = mapping.convert(&bytes, &f.view(), &g.view()).unwrap();
        assert_eq!(got, s.session, "seed {seed}: {doc}");

        // Whole seconds with a mapping in seconds.
        let mut doc: Value = serde_json::from_str(&s.legacy_json).unwrap();
        for key in ["issuedAt", "expiresAt"] {
            let ms = doc[key].as_i64().unwrap();
            doc[key] = json!(ms.div_euclid(1000));
        }
        let bytes = serde_json::to_vec(&doc).unwrap();
        let got = seconds_mapping
            .convert(&bytes, &f.view(), &g.view())
            .unwrap();
        let mut want = s.session.clone();
        want.issued_at = s.session.issued_at.div_euclid(1000) * 1000;
        want.expires_at = s.session.expires_at.div_euclid(1000) * 1000;
        assert_eq!(got, want, "seed {seed}");
    }
}

#[test]
fn appending_from_empty_dictionaries_numbers_keys_in_document_order() {
    // The writer's road: a tenant's first conversion appends every key, facilities in document
    // order get ids 0, 1, 2, … ; converting again through the grown dictionaries adds nothing.
    let mapping = LegacyMapping::from_json(MAPPING).unwrap();
    let s = generate(Profile::Medium, 3);
    let tenant = s.session.tenant_id.as_str();
    let mut f = IdDictionary::new(tenant, DictKind::Facility, KeyType::ObjectId, 11).unwrap();
    let mut g = IdDictionary::new(tenant, DictKind::Group, KeyType::ObjectId, 12).unwrap();
    let bytes = s.legacy_json.as_bytes();
    let first = mapping.convert_appending(bytes, &mut f, &mut g).unwrap();
    assert_eq!(f.len() as usize, s.legacy.facilities.len());
    for (id, facility) in s.legacy.facilities.iter().enumerate() {
        assert_eq!(f.view().id_of_text(&facility.id).unwrap(), Some(id as u32));
    }
    assert_eq!(first.facilities.len(), s.session.facilities.len());
    let (f_len, g_len) = (f.len(), g.len());
    let again = mapping.convert_appending(bytes, &mut f, &mut g).unwrap();
    assert_eq!((again, f.len(), g.len()), (first, f_len, g_len));
}
