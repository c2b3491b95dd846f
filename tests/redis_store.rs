//! The Redis guard store against a real `redis-server` (set `REDIS_SERVER`;
//! skipped otherwise): claims, completions, releases, leases, wake-ups, and
//! Redis going away and coming back.

use std::time::{Duration, Instant};

use agent_core::guard::{
    Claim, GuardStore, POLL_INTERVAL, RESPONSE_TIMEOUT, RedisGuardStore, RedisUrl,
};
use agent_tests::redis_server::RedisServer;

const HOUR: Duration = Duration::from_secs(3600);

/// The longest any step of these tests may take.
const BOUND: Duration = Duration::from_secs(10);

async fn store(redis: &RedisServer) -> RedisGuardStore {
    let url = RedisUrl::parse(&redis.url()).unwrap();
    RedisGuardStore::open(&url).await.unwrap()
}

/// A plain connection, to look at what the store wrote.
async fn raw(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn claim(store: &RedisGuardStore, key: &str) -> Claim {
    tokio::time::timeout(BOUND, store.claim(key))
        .await
        .expect("a claim answers in time")
        .expect("Redis answers")
}

/// Claims `key` until it is not pending, and answers what came.
async fn claim_when_free(store: &RedisGuardStore, key: &str) -> Claim {
    let deadline = Instant::now() + BOUND;
    loop {
        match claim(store, key).await {
            Claim::Pending(finished) => {
                let left = deadline.saturating_duration_since(Instant::now());
                tokio::time::timeout(left, finished)
                    .await
                    .expect("the key was freed in time");
            }
            other => return other,
        }
    }
}

/// Waits for `pending` to resolve, and answers how long it took.
async fn wait_for(pending: Claim) -> Duration {
    let Claim::Pending(finished) = pending else {
        panic!("the key should be held by another claim");
    };
    let started = Instant::now();
    tokio::time::timeout(BOUND, finished)
        .await
        .expect("the waiting call is woken in time");
    started.elapsed()
}

fn is_acquired(claim: &Claim) -> bool {
    matches!(claim, Claim::Acquired)
}

fn answer(claim: Claim) -> Vec<u8> {
    match claim {
        Claim::Completed(answer) => answer,
        Claim::Acquired => panic!("acquired, where an answer was expected"),
        Claim::Pending(_) => panic!("pending, where an answer was expected"),
    }
}

#[tokio::test]
async fn a_completed_key_answers_every_store_and_wakes_its_waiter() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (first, second) = (store(&redis).await, store(&redis).await);
    assert!(is_acquired(&claim(&first, "k").await));
    let waiting = claim(&second, "k").await;
    let completing = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.complete("k", b"job-1".to_vec(), HOUR).await.unwrap();
    };
    let (waited, ()) = tokio::join!(wait_for(waiting), completing);
    assert!(
        waited < POLL_INTERVAL,
        "woken by the completion's message, not by polling: {waited:?}"
    );
    assert_eq!(answer(claim(&second, "k").await), b"job-1");
    assert_eq!(answer(claim(&first, "k").await), b"job-1");
}

#[tokio::test]
async fn a_released_key_wakes_its_waiter_who_then_holds_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (first, second) = (store(&redis).await, store(&redis).await);
    assert!(is_acquired(&claim(&first, "k").await));
    let waiting = claim(&second, "k").await;
    let releasing = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        first.release("k").await.unwrap();
    };
    let (waited, ()) = tokio::join!(wait_for(waiting), releasing);
    assert!(waited < POLL_INTERVAL, "woken by the release: {waited:?}");
    assert!(is_acquired(&claim(&second, "k").await));
    assert!(matches!(claim(&first, "k").await, Claim::Pending(_)));
}

#[tokio::test]
async fn keys_are_namespaced_and_answers_expire_after_their_ttl() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = store(&redis).await;
    let mut raw = raw(&redis).await;
    assert!(is_acquired(&claim(&store, "create/bq/0/run-1").await));
    let held: Vec<u8> = redis::cmd("GET")
        .arg("flyte-agent:guard:create/bq/0/run-1")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(held.first(), Some(&b'C'), "a running claim");
    store
        .complete(
            "create/bq/0/run-1",
            b"job".to_vec(),
            Duration::from_millis(300),
        )
        .await
        .unwrap();
    let stored: Vec<u8> = redis::cmd("GET")
        .arg("flyte-agent:guard:create/bq/0/run-1")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(stored, b"Ajob");
    let ttl: i64 = redis::cmd("PTTL")
        .arg("flyte-agent:guard:create/bq/0/run-1")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(0 < ttl && ttl <= 300, "the answer expires: PTTL {ttl}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        is_acquired(&claim(&store, "create/bq/0/run-1").await),
        "an expired answer is gone"
    );
}

#[tokio::test]
async fn the_lease_of_a_store_that_died_frees_its_key() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let lease = Duration::from_millis(600);
    let dying = store(&redis).await.lease(lease);
    let survivor = store(&redis).await;
    assert!(is_acquired(&claim(&dying, "k").await));
    let started = Instant::now();
    drop(dying); // a replica that died mid-call: nothing renews its lease
    assert!(is_acquired(&claim_when_free(&survivor, "k").await));
    let freed_after = started.elapsed();
    assert!(
        freed_after >= lease / 2 && freed_after < lease + 2 * POLL_INTERVAL,
        "the key is freed when the lease runs out: {freed_after:?}"
    );
}

#[tokio::test]
async fn a_running_claim_keeps_its_key_past_its_lease() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let lease = Duration::from_millis(300);
    let (slow, other) = (store(&redis).await.lease(lease), store(&redis).await);
    assert!(is_acquired(&claim(&slow, "k").await));
    tokio::time::sleep(lease * 4).await;
    assert!(
        matches!(claim(&other, "k").await, Claim::Pending(_)),
        "the lease was renewed while the call ran"
    );
    slow.complete("k", b"done".to_vec(), HOUR).await.unwrap();
    assert_eq!(answer(claim(&other, "k").await), b"done");
}

#[tokio::test]
async fn only_the_claim_that_holds_a_key_completes_or_releases_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = store(&redis).await;
    let mut raw = raw(&redis).await;
    assert!(is_acquired(&claim(&store, "k").await));
    // The lease ran out and another replica claimed the key meanwhile.
    let () = redis::cmd("SET")
        .arg("flyte-agent:guard:k")
        .arg("Canother-replica")
        .query_async(&mut raw)
        .await
        .unwrap();
    let lost = store
        .complete("k", b"mine".to_vec(), HOUR)
        .await
        .unwrap_err();
    assert!(lost.to_string().contains("lost"), "{lost}");
    store.release("k").await.unwrap();
    let held: Vec<u8> = redis::cmd("GET")
        .arg("flyte-agent:guard:k")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(held, b"Canother-replica", "the other claim is untouched");
}

#[tokio::test]
async fn redis_going_away_fails_calls_and_wakes_waiters_and_its_return_is_used() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (first, second) = (store(&redis).await, store(&redis).await);
    assert!(is_acquired(&claim(&first, "k").await));
    let waiting = claim(&second, "k").await;
    let (waited, ()) = tokio::join!(wait_for(waiting), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        redis.kill();
    });
    assert!(
        waited < POLL_INTERVAL,
        "a waiting call is woken when the connection drops: {waited:?}"
    );
    let started = Instant::now();
    let failed = tokio::time::timeout(BOUND, second.claim("k"))
        .await
        .expect("a claim fails in time while Redis is down");
    let error = failed.err().expect("no claim while Redis is down");
    assert!(
        error.to_string().contains("the Redis at redis://127.0.0.1"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    redis.restart();
    assert!(
        is_acquired(&claim(&second, "k").await),
        "the store reconnects by itself (and the restarted Redis is empty)"
    );
    let waiting = claim(&first, "k").await;
    let (waited, ()) = tokio::join!(wait_for(waiting), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        second.complete("k", b"after".to_vec(), HOUR).await.unwrap();
    });
    assert!(
        waited < POLL_INTERVAL,
        "subscribed again after reconnecting: woken by the message, not by polling: {waited:?}"
    );
    assert_eq!(answer(claim(&first, "k").await), b"after");
}

#[tokio::test]
async fn a_redis_that_stops_answering_fails_calls_within_the_response_timeout() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let lease = Duration::from_secs(1);
    let store = store(&redis).await.lease(lease);
    assert!(is_acquired(&claim(&store, "a").await));
    redis.pause();
    let started = Instant::now();
    let failed = tokio::time::timeout(BOUND, store.claim("b"))
        .await
        .expect("a claim fails in time while Redis hangs");
    let waited = started.elapsed();
    redis.resume();
    assert!(failed.is_err(), "no claim while Redis hangs");
    assert!(
        waited < 2 * RESPONSE_TIMEOUT + Duration::from_secs(1),
        "{waited:?}"
    );
    assert!(
        is_acquired(&claim(&store, "c").await),
        "answers again once Redis does"
    );
    // The claim that timed out reached Redis once it woke: its key is taken
    // until that claim's lease runs out.
    assert!(is_acquired(&claim_when_free(&store, "b").await));
}
