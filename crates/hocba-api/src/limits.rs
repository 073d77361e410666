//! Per-credential rate limiting: a token bucket for each API client or token, in this process.
//!
//! Several replicas each keep their own buckets, so a credential's ceiling across the fleet is
//! the per-process rate times the number of replicas: a guard against a runaway script, not a
//! quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use uuid::Uuid;

use crate::ApiError;

/// Token buckets, one per credential.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<Uuid, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests per credential on average, and bursts of twice
    /// that.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        RateLimiter { per_second, burst: per_second * 2.0, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `credential`'s bucket, or says how long to wait.
    pub fn check(&self, credential: Uuid) -> Result<(), ApiError> {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let (tokens, last) = buckets.entry(credential).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / self.per_second).ceil().max(1.0);
            Err(ApiError::RateLimited { retry_after_seconds: wait as u64 })
        }
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(50)
    }
}

#[cfg(test)]
mod tests {
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
}
