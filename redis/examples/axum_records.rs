//! An axum service that filters records by facility ObjectId through the request's session:
//! `GET /records` with `Authorization: Bearer <token>` answers exactly the records whose
//! facility the session `session:<token>` may see (a generated tenant and user,
//! `sessionpack-synth`'s medium profile), or 401 / 503 / 500 with a short fixed body.
//!
//! ```sh
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p sessionpack-redis --features axum --example axum_records
//! curl -H 'authorization: Bearer demo' http://127.0.0.1:3000/records
//! ```
//!
//! `tests/axum.rs` runs the same service (`examples/records_app/mod.rs`) over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "records_app/mod.rs"]
mod records_app;

use std::sync::{Arc, RwLock};

use records_app::{App, Record};
use sessionpack::{Encoder, MacKey};
use sessionpack_redis::axum::AccessState;
use sessionpack_redis::{
    AsyncDictionaryCache, AsyncSessionCache, AsyncSessionStore, CacheOptions, DictionaryOptions,
    Freshness, Target,
};
use sessionpack_synth::{generate, Profile};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let target = Target::parse(&url)?;
    // From the secret store in production.
    let key = MacKey::new(1, b"32 bytes of secret key material!")?;

    // The issuing side: the tenant's facility dictionary and one signed session.
    let synthetic = generate(Profile::Medium, 42);
    let store = AsyncSessionStore::connect(&target)
        .await?
        .with_encoder(Encoder::new().with_key(key.clone()))
        .with_dictionaries(
            sessionpack::DictionaryDecoder::new().with_key(key.clone()),
            Some(key.clone()),
        );
    let tenant = synthetic.session.tenant_id.clone();
    store
        .put_dictionary(
            &sessionpack_redis::default_dictionary_key(&tenant, sessionpack::DictKind::Facility),
            &synthetic.facility_dict,
        )
        .await?;
    let mut session = synthetic.session.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    (session.issued_at, session.expires_at) = (now - 1_000, now + 3_600_000);
    store.put("session:demo", &session, None).await?;

    // The checking side: both caches, in tracking mode, sharing nothing but the target.
    let sessions = AsyncSessionCache::connect(
        &target,
        CacheOptions::new(Freshness::Tracking).with_key(key.clone()),
    )
    .await?;
    let dictionaries = AsyncDictionaryCache::connect(
        &target,
        DictionaryOptions::new(Freshness::Tracking).with_key(key),
    )
    .await?;
    let records: Vec<Record> = Record::from_probes(&synthetic.probes);
    let app = App {
        access: AccessState::new(sessions, dictionaries),
        records: Arc::new(RwLock::new(records)),
        legacy: None,
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    println!(
        "try: curl -H 'authorization: Bearer demo' http://{}/records",
        listener.local_addr()?
    );
    records_app::serve(listener, app).await?;
    Ok(())
}
