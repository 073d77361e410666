//! CPU-heavy work (verifying and signing credentials, rendering PDFs, hashing secrets) off the
//! async workers, on tokio's blocking threads, a bounded number at a time.
//!
//! Tokio starts a blocking thread for every task that finds none idle, up to 512, because its
//! pool is made for work that waits. Work that computes gains little from many more threads
//! than cores, and each thread costs a stack and allocator arenas of its own: under 200 clients
//! verifying certificates afresh, the server ran 70 to 114 threads and its resident memory
//! peaked at 144 to 304 MB.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::ApiError;

/// Threads per core. The server shares its cores with PostgreSQL on a small machine, and a
/// thread the kernel has set aside for the database keeps its turn meanwhile: with one thread a
/// core the cores sat idle 7 % of the time and verification fell from about 1,600 to 1,300
/// answers a second; with four it answered as many as with no bound, its memory peaking at
/// 125-133 MB (scripts/bench_national.py, `verify-cold`, 100,000 officials).
const THREADS_PER_CORE: usize = 4;

/// Runs work on tokio's blocking threads, at most `threads` at a time; the rest wait their turn.
#[derive(Debug)]
pub struct CpuPool {
    running: Arc<Semaphore>,
}

impl CpuPool {
    /// A pool running at most `threads` (at least one) pieces of work at once.
    pub fn new(threads: usize) -> Self {
        CpuPool { running: Arc::new(Semaphore::new(threads.max(1))) }
    }

    /// Runs `work` once a turn is free, and answers what it returns.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let turn = Arc::clone(&self.running).acquire_owned().await.map_err(ApiError::internal)?;
        // The turn goes with the work: if the client hangs up, the work still runs to its end
        // and keeps its turn until then, so the pool bounds the work, not the requests.
        tokio::task::spawn_blocking(move || {
            let answer = work();
            drop(turn);
            answer
        })
        .await
        .map_err(ApiError::internal)
    }
}

impl Default for CpuPool {
    /// [`THREADS_PER_CORE`] threads per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        CpuPool::new(cores * THREADS_PER_CORE)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_work_runs_at_once_than_the_pool_has_threads() {
        let pool = Arc::new(CpuPool::new(2));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut all = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            all.spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            });
        }
        let mut done = 0;
        while let Some(finished) = all.join_next().await {
            finished.unwrap().unwrap();
            done += 1;
        }
        assert_eq!(done, 16, "every piece of work ran");
        assert!(most.load(Ordering::SeqCst) <= 2, "at most two at once");
    }
}
