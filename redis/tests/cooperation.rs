//! Runtime manners (issue 23): a loop of cache hits served from memory (tracking mode, no I/O)
//! yields to the other tasks of a current-thread runtime, against a real server.
#![allow(clippy::unwrap_used)]

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sessionpack_redis::{AsyncSessionCache, CacheOptions, Freshness, TrackingOptions};

const HITS: usize = 100_000;

#[test]
fn a_loop_of_tracking_hits_lets_another_task_of_a_current_thread_runtime_run() {
    let Some(target) = support::standalone() else {
        return;
    };
    let key = format!("sp-test:coop:{}", support::key("hits", 0));
    support::set(
        support::admin(&target).as_mut(),
        &key,
        &sessionpack::encode(&support::session("u", [1, 2, 3])).unwrap(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let (ran_at, hits) = local.block_on(&rt, async {
        let options = CacheOptions::new(Freshness::Tracking).with_tracking(
            TrackingOptions::new()
                .with_prefix("sp-test:coop:")
                .with_heartbeat_timeout(Duration::from_secs(5)),
        );
        let cache = AsyncSessionCache::connect(&target, options).await.unwrap();
        assert!(cache.wait_for_tracking(Duration::from_secs(5)).await);
        // The first read fetches and keeps the session; every later one is a hit.
        assert!(cache.get(&key).await.unwrap().is_some());
        let done = Rc::new(Cell::new(0_usize));
        let ran_at = Rc::new(Cell::new(None));
        // Spawned now, it can run only when the loop below yields.
        let other = tokio::task::spawn_local({
            let (done, ran_at) = (done.clone(), ran_at.clone());
            async move { ran_at.set(Some(done.get())) }
        });
        let before = cache.stats();
        for _ in 0..HITS {
            assert!(cache.get(&key).await.unwrap().is_some());
            done.set(done.get() + 1);
        }
        let hits = cache.stats().hits - before.hits;
        other.await.unwrap();
        (ran_at.get(), hits)
    });
    assert_eq!(
        hits, HITS as u64,
        "every read of the loop was a hit (tracking live)"
    );
    let ran_at = ran_at.expect("the other task ran");
    assert!(
        ran_at < HITS,
        "the other task ran only after the loop's {HITS} hits ({ran_at}): hits never yield"
    );
    eprintln!("the other task ran after {ran_at} of {HITS} hits");
    redis::cmd("DEL")
        .arg(&key)
        .exec(support::admin(&target).as_mut())
        .unwrap();
}
