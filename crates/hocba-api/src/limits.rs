//! Limits on what one caller can cost the registry, in this process: a token bucket per API
//! credential, and the guard of `POST /oauth/token` (failed attempts per client and per source
//! address, and a small pool for the argon2 checks of client secrets).
//!
//! Several replicas each keep their own buckets, so a credential's ceiling across the fleet is
//! the per-process rate times the number of replicas: a guard against a runaway script or a
//! flood, not a quota.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::ApiError;
use crate::cpu::CpuPool;

/// At most this many buckets per table. Past it, buckets that have filled up again are dropped
/// (a full bucket says nothing a missing one does not), then the one untouched longest: so a
/// flood from many addresses cannot grow memory, it can only forget older addresses sooner.
const BUCKET_TABLE_CAPACITY: usize = 10_000;

/// Failed token requests allowed per known client in a burst, then one more every
/// [`CLIENT_FAILURE_REFILL_SECONDS`]: a system with a stale secret notices at once; a guesser
/// gets three tries a minute.
pub const CLIENT_FAILURE_BURST: u32 = 10;
const CLIENT_FAILURE_REFILL_SECONDS: f64 = 20.0;

/// Failed token requests allowed per source address in a burst, then one a second. Higher than
/// per client: institutions behind one NAT or proxy share an address.
pub const SOURCE_FAILURE_BURST: u32 = 60;
const SOURCE_FAILURE_REFILL_SECONDS: f64 = 1.0;

/// Secret checks that may wait for a hashing thread, per thread; beyond them a token request is
/// answered 503 at once rather than queued without end.
const WAITING_CHECKS_PER_THREAD: usize = 8;

/// One bucket: its tokens when last touched.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by `K`, at most [`BUCKET_TABLE_CAPACITY`] of them.
#[derive(Debug)]
struct Buckets<K> {
    per_second: f64,
    burst: f64,
    table: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Copy> Buckets<K> {
    fn new(per_second: f64, burst: f64) -> Self {
        Buckets { per_second, burst, table: Mutex::new(HashMap::new()) }
    }

    /// The tokens in `bucket` at `now`.
    fn level(&self, bucket: &Bucket, now: Instant) -> f64 {
        let refilled = now.saturating_duration_since(bucket.at).as_secs_f64() * self.per_second;
        (bucket.tokens + refilled).min(self.burst)
    }

    /// Takes one token from `key`'s bucket, or says how many whole seconds until there is one.
    fn take(&self, key: K, now: Instant) -> Result<(), u64> {
        // The lock is never held across a panic; were it poisoned, the table is still sound.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if !table.contains_key(&key) && table.len() >= BUCKET_TABLE_CAPACITY {
            self.make_room(&mut table, now);
        }
        let bucket = table.entry(key).or_insert(Bucket { tokens: self.burst, at: now });
        let tokens = self.level(bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(((1.0 - tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }

    /// Puts back a token taken for an attempt that turned out not to count.
    fn give_back(&self, key: K, now: Instant) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = table.get_mut(&key) {
            let tokens = (self.level(bucket, now) + 1.0).min(self.burst);
            *bucket = Bucket { tokens, at: now };
        }
    }

    fn make_room(&self, table: &mut HashMap<K, Bucket>, now: Instant) {
        table.retain(|_, bucket| self.level(bucket, now) < self.burst);
        if table.len() >= BUCKET_TABLE_CAPACITY
            && let Some(oldest) = table.iter().min_by_key(|(_, bucket)| bucket.at).map(|(k, _)| *k)
        {
            table.remove(&oldest);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Token buckets, one per credential, and one per source address for what anyone may ask
/// without one (the `/verify` form).
#[derive(Debug)]
pub struct RateLimiter {
    buckets: Buckets<Uuid>,
    per_source: Buckets<IpAddr>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests per credential, and per source address, on
    /// average, and bursts of twice that.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        RateLimiter {
            buckets: Buckets::new(per_second, per_second * 2.0),
            per_source: Buckets::new(per_second, per_second * 2.0),
        }
    }

    /// Takes one request from the bucket of the source `address` (an IPv6 /64 as one), or says
    /// how long to wait.
    pub fn check_source(&self, address: IpAddr) -> Result<(), ApiError> {
        self.per_source.take(source_key(address), Instant::now()).map_err(rate_limited)
    }

    /// Takes one request from `credential`'s bucket, or says how long to wait.
    pub fn check(&self, credential: Uuid) -> Result<(), ApiError> {
        self.buckets
            .take(credential, Instant::now())
            .map_err(|retry_after_seconds| ApiError::RateLimited { retry_after_seconds })
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(50)
    }
}

/// Runs CPU-heavy checks in a pool of `threads`, with a short queue; a check that finds the
/// queue full is refused at once.
#[derive(Debug)]
struct HashingPool {
    /// Checks running or waiting.
    admitted: Arc<Semaphore>,
    pool: CpuPool,
}

impl HashingPool {
    fn new(threads: usize, waiting: usize) -> Self {
        let threads = threads.max(1);
        HashingPool {
            admitted: Arc::new(Semaphore::new(threads + waiting)),
            pool: CpuPool::new(threads),
        }
    }

    /// Runs `work` once one of the pool's turns is free; `503 busy` when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy { retry_after_seconds: 1 })?;
        self.pool
            .run(move || {
                let answer = work();
                drop(admitted);
                answer
            })
            .await
    }
}

/// What keeps `POST /oauth/token` from exhausting the server. A client secret is checked with
/// argon2 (19 MiB of memory and tens of milliseconds of a core each), so failed attempts are
/// throttled per source address and per client, and the checks run in a pool the size of the
/// machine's cores.
#[derive(Debug)]
pub struct ClientSecretGuard {
    per_source: Buckets<IpAddr>,
    per_client: Buckets<Uuid>,
    pool: HashingPool,
}

impl ClientSecretGuard {
    /// A guard whose checks use `threads` blocking threads at most.
    pub fn new(threads: usize) -> Self {
        ClientSecretGuard {
            per_source: Buckets::new(
                1.0 / SOURCE_FAILURE_REFILL_SECONDS,
                f64::from(SOURCE_FAILURE_BURST),
            ),
            per_client: Buckets::new(
                1.0 / CLIENT_FAILURE_REFILL_SECONDS,
                f64::from(CLIENT_FAILURE_BURST),
            ),
            pool: HashingPool::new(threads, threads.max(1) * WAITING_CHECKS_PER_THREAD),
        }
    }

    /// Starts a token request from `source`, taking one attempt from its allowance: an attempt
    /// counts as failed unless [`Attempt::succeeded`] is called, so concurrent guesses cannot
    /// all slip in before the first one fails.
    pub fn attempt(&self, source: IpAddr) -> Result<Attempt<'_>, ApiError> {
        let source = source_key(source);
        self.per_source.take(source, Instant::now()).map_err(rate_limited)?;
        Ok(Attempt { guard: self, source, client: None })
    }
}

impl Default for ClientSecretGuard {
    /// A guard with one hashing thread per core.
    fn default() -> Self {
        ClientSecretGuard::new(std::thread::available_parallelism().map_or(1, usize::from))
    }
}

/// One token request under way.
#[derive(Debug)]
pub struct Attempt<'a> {
    guard: &'a ClientSecretGuard,
    source: IpAddr,
    client: Option<Uuid>,
}

impl Attempt<'_> {
    /// Takes one attempt from the allowance of `client`, a client that exists: only existing
    /// clients get a bucket, so made-up ids cannot grow the table (they count against the
    /// source address only).
    pub fn for_client(&mut self, client: Uuid) -> Result<(), ApiError> {
        self.guard.per_client.take(client, Instant::now()).map_err(rate_limited)?;
        self.client = Some(client);
        Ok(())
    }

    /// Whether `secret` matches the `stored` argon2 hash, checked in the pool.
    pub async fn secret_matches(&self, secret: String, stored: String) -> Result<bool, ApiError> {
        self.guard.pool.run(move || crate::auth::client_secret_matches(&secret, &stored)).await
    }

    /// The secret was right: the attempt is given back, as successes do not count.
    pub fn succeeded(self) {
        let now = Instant::now();
        self.guard.per_source.give_back(self.source, now);
        if let Some(client) = self.client {
            self.guard.per_client.give_back(client, now);
        }
    }
}

fn rate_limited(retry_after_seconds: u64) -> ApiError {
    ApiError::RateLimited { retry_after_seconds }
}

/// The key of a source address: IPv6 hosts usually hold a whole /64, so they share one bucket.
fn source_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limiter = RateLimiter::new(2);
        let client = Uuid::from_u128(1);
        for _ in 0..4 {
            assert!(limiter.check(client).is_ok());
        }
        match limiter.check(client) {
            Err(ApiError::RateLimited { retry_after_seconds }) => {
                assert_eq!(retry_after_seconds, 1)
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(limiter.check(Uuid::from_u128(2)).is_ok(), "buckets are per credential");
    }

    #[test]
    fn buckets_refill_with_time_and_take_back_what_is_given_back() {
        let buckets = Buckets::new(0.5, 2.0);
        let start = Instant::now();
        assert_eq!(buckets.take(1, start), Ok(()));
        assert_eq!(buckets.take(1, start), Ok(()));
        assert_eq!(buckets.take(1, start), Err(2), "one token every two seconds");
        assert_eq!(buckets.take(1, start + Duration::from_secs(2)), Ok(()));
        buckets.give_back(1, start + Duration::from_secs(2));
        assert_eq!(buckets.take(1, start + Duration::from_secs(2)), Ok(()));
        assert!(buckets.take(1, start + Duration::from_secs(2)).is_err());
    }

    #[test]
    fn a_table_of_buckets_never_outgrows_its_capacity() {
        let buckets = Buckets::new(0.001, 5.0);
        let start = Instant::now();
        for key in 0..BUCKET_TABLE_CAPACITY as u32 + 500 {
            let _ = buckets.take(key, start + Duration::from_millis(u64::from(key)));
        }
        assert_eq!(buckets.len(), BUCKET_TABLE_CAPACITY);
        // The key seen first was dropped to make room; the last one is still there.
        let last = BUCKET_TABLE_CAPACITY as u32 + 499;
        let later = start + Duration::from_millis(u64::from(last));
        for _ in 0..4 {
            assert!(buckets.take(last, later).is_ok());
        }
        assert!(buckets.take(last, later).is_err());
    }

    #[test]
    fn ipv6_hosts_of_one_network_share_a_bucket() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_key(a), source_key(b));
        assert_ne!(source_key(a), source_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(source_key(mapped), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
    }

    #[test]
    fn failed_attempts_are_throttled_per_client_and_successes_do_not_count() {
        let guard = ClientSecretGuard::new(1);
        let source = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let client = Uuid::from_u128(7);
        for _ in 0..3 * CLIENT_FAILURE_BURST {
            let mut attempt = guard.attempt(source).unwrap();
            attempt.for_client(client).unwrap();
            attempt.succeeded();
        }
        for _ in 0..CLIENT_FAILURE_BURST {
            guard.attempt(source).unwrap().for_client(client).unwrap();
        }
        let refused = guard.attempt(source).unwrap().for_client(client);
        assert!(matches!(refused, Err(ApiError::RateLimited { retry_after_seconds: 20 })));
        assert!(guard.attempt(source).unwrap().for_client(Uuid::from_u128(8)).is_ok());
    }

    #[test]
    fn failed_attempts_are_throttled_per_source_address() {
        let guard = ClientSecretGuard::new(1);
        let source = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        for _ in 0..SOURCE_FAILURE_BURST {
            guard.attempt(source).unwrap(); // fails: never given back
        }
        assert!(matches!(
            guard.attempt(source),
            Err(ApiError::RateLimited { retry_after_seconds: 1 })
        ));
        assert!(guard.attempt(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))).is_ok());
    }

    /// Polls `future` once; whatever it waits for next stays pending.
    async fn poll_once<F: Future + Unpin>(future: &mut F) {
        tokio::select! {
            biased;
            _ = future => panic!("expected the work to be still under way"),
            () = std::future::ready(()) => {}
        }
    }

    #[tokio::test]
    async fn the_pool_runs_one_check_per_thread_queues_a_few_and_refuses_the_rest() {
        let pool = HashingPool::new(1, 1);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let mut running = Box::pin(pool.run(move || released.recv().is_ok()));
        poll_once(&mut running).await; // holds the one thread, blocked until released
        let mut waiting = Box::pin(pool.run(|| true));
        poll_once(&mut waiting).await; // holds the one place in the queue
        let refused = pool.run(|| true).await;
        assert!(matches!(refused, Err(ApiError::Busy { retry_after_seconds: 1 })));
        release.send(()).unwrap();
        assert!(running.await.unwrap());
        assert!(waiting.await.unwrap());
        assert!(pool.run(|| true).await.unwrap(), "turns come back once the work is done");
    }
}
