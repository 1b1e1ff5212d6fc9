//! Rolling out one tenant (`ROLLOUT.md`): the issuer writes both forms with the dual writer,
//! the tenant is moved to `shadow` in the policy hash, and a reader decides from the legacy
//! session while it counts the blob's agreement.
//!
//! ```sh
//! cargo run -p sessionpack-redis --example rollout -- redis://127.0.0.1:6379
//! ```
//!
//! Prints the reader's shadow counts; fails when a decision or a count is not the expected one.

use std::time::Duration;

use sessionpack::{DictKind, IdDictionary, KeyType, LegacyMapping, MacKey};
use sessionpack_redis::redis;
use sessionpack_redis::{
    AsyncDictionaryCache, AsyncRollout, AsyncSessionCache, AsyncSessionStore, CacheOptions,
    DictionaryOptions, Freshness, KeyTemplate, RedisRolloutPolicy, RolloutMode,
    RolloutPolicyOptions, Target,
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

const MAPPING: &[u8] = include_bytes!("../../examples/legacy-mapping.json");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or("redis://127.0.0.1:6379".into());
    let target = Target::parse(&url)?;
    let mac = MacKey::new(1, &[42; 32])?;
    let store = AsyncSessionStore::connect(&target).await?;
    let mapping = LegacyMapping::from_json(MAPPING)?;

    // The issuer: the tenant's dictionaries, the session converted from its legacy JSON, both
    // forms written with one expiry (the blob first).
    let tenant = "example-acme";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let legacy = format!(
        r#"{{"token":"k","user":{{"_id":"u1","roles":["nurse"]}},"tenant":{{"_id":"{tenant}"}},
        "issuedAt":{now},"expiresAt":{},"facilities":[{{"_id":"6926c19047abb94d0ee3aad9"}}]}}"#,
        now + 3_600_000
    );
    let mut facilities = IdDictionary::new(tenant, DictKind::Facility, KeyType::ObjectId, 0xf1)?;
    let mut groups = IdDictionary::new(tenant, DictKind::Group, KeyType::ObjectId, 0x61)?;
    let session = mapping.convert_appending(legacy.as_bytes(), &mut facilities, &mut groups)?;
    let signing = store.clone().with_dictionaries(
        sessionpack::DictionaryDecoder::new().with_key(mac.clone()),
        Some(mac.clone()),
    );
    signing
        .put_dictionary(
            &sessionpack_redis::default_dictionary_key(tenant, DictKind::Facility),
            &facilities,
        )
        .await?;
    let blob = sessionpack::Encoder::new()
        .with_key(mac.clone())
        .encode(&session)?;
    let template = KeyTemplate::default(); // sp:{key}
    store
        .put_both(
            "sess:example",
            legacy.as_bytes(),
            &blob,
            Duration::from_secs(3600),
            &template,
        )
        .await?;

    // The operator: `redis-cli HSET sessionpack:rollout example-acme shadow`.
    let mut admin = redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    redis::cmd("HSET")
        .arg("sessionpack:rollout")
        .arg(tenant)
        .arg("shadow")
        .query_async::<()>(&mut admin)
        .await?;

    // The service: a reader with the Redis-hash policy.
    let rollout = AsyncRollout::new(
        store,
        AsyncSessionCache::connect(
            &target,
            CacheOptions::new(Freshness::HeaderCheck).with_key(mac.clone()),
        )
        .await?,
        AsyncDictionaryCache::connect(
            &target,
            DictionaryOptions::new(Freshness::HeaderCheck).with_key(mac),
        )
        .await?,
        mapping,
        RedisRolloutPolicy::start(&target, RolloutPolicyOptions::new()).await?,
    )
    .with_template(template);
    let access = rollout
        .access(tenant, "sess:example")
        .await?
        .ok_or("no session")?;
    assert_eq!(access.mode(), RolloutMode::Shadow);
    let records = vec![
        ("r1", "6926c19047abb94d0ee3aad9"),
        ("r2", "6926c19047abb94d0ee3aada"),
    ];
    let visible = access.filter(records, |r| r.1.into()).await?;
    assert_eq!(visible, [("r1", "6926c19047abb94d0ee3aad9")]);
    let counts = rollout.shadow_counts().facility;
    println!(
        "shadow: {} agreements, {} disagreements",
        counts.agreements, counts.disagreements
    );
    if (counts.agreements, counts.disagreements) != (2, 0) {
        return Err("the blob disagrees with the legacy session".into());
    }
    Ok(())
}
