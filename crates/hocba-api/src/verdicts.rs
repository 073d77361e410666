//! The verdicts this process has worked out, kept while the database's verification epoch reads
//! the same (see `hocba_store::VerificationEpoch`): the database moves the epoch on with every
//! revocation and key change, by trigger, whichever process writes them. Every request reads the
//! epoch afresh, so a revocation made through another server process is seen by the next
//! request here; only the work between (reading the certificate and the keys, checking the
//! proofs and the rest) is saved.
//!
//! Requests that arrive while a read of the epoch is under way share the next one, which starts
//! after they arrived: each request still sees the epoch as it is after it came in, and the
//! database answers one read for a crowd of them instead of one each.

use std::sync::{Arc, Mutex, PoisonError};

use hocba_credentials::KeySet;
use hocba_credentials::verdicts::{Stamp, Verdicts};
use hocba_store::{Store, StoreError, VerificationEpoch};
use tokio::sync::Notify;

use crate::verification::{NumberVerdict, VcApiVerification};
use crate::{ApiError, Authority};

/// How many verdicts by certificate number are kept: about 1.5 KB each (the checks' words), so
/// at most about 25 MB.
const BY_NUMBER: usize = 16_384;
/// How many VC API answers are kept by the request's bytes (about 1 KB each).
const BY_BYTES: usize = 8_192;

/// Verdicts kept between requests, and the reads of the epoch that say they still hold.
pub struct KeptVerdicts {
    /// `POST /api/v1/verify` by number: the registry's own certificates.
    pub(crate) by_number: Verdicts<NumberVerdict>,
    /// `POST /credentials/verify` by the request's bytes, for credentials of this registry.
    pub(crate) by_bytes: Verdicts<VcApiVerification>,
    /// The published keys, read under the epoch they carry.
    keys: Mutex<Option<(VerificationEpoch, Arc<KeySet>)>>,
    epoch: Arc<SharedReads<VerificationEpoch>>,
}

impl Default for KeptVerdicts {
    fn default() -> Self {
        KeptVerdicts {
            by_number: Verdicts::new(BY_NUMBER),
            by_bytes: Verdicts::new(BY_BYTES),
            keys: Mutex::new(None),
            epoch: Arc::default(),
        }
    }
}

impl KeptVerdicts {
    /// The verification epoch as read after this call began. Read it before anything a verdict
    /// is made from.
    pub(crate) async fn epoch(&self, store: &Store) -> Result<VerificationEpoch, ApiError> {
        let read = || {
            let store = store.clone();
            async move { store.verification_epoch().await }
        };
        Ok(self.epoch.read_after_now(read).await?)
    }

    /// The registry's keys as published at `epoch` (or later).
    pub(crate) async fn key_set(
        &self,
        authority: &Authority,
        store: &Store,
        epoch: VerificationEpoch,
    ) -> Result<Arc<KeySet>, ApiError> {
        let kept = self.keys.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some((read_at, keys)) = kept
            && read_at == epoch
        {
            return Ok(keys);
        }
        let keys = Arc::new(authority.key_set(store).await?);
        *self.keys.lock().unwrap_or_else(PoisonError::into_inner) = Some((epoch, keys.clone()));
        Ok(keys)
    }
}

/// The stamp a kept verdict carries: the epoch it was made under.
pub(crate) fn stamp(epoch: VerificationEpoch) -> Stamp {
    epoch.get()
}

/// Reads of one value (the verification epoch), one at a time, each shared by every request
/// that arrived before it started.
struct SharedReads<T> {
    state: Mutex<ReadState<T>>,
    finished: Notify,
}

struct ReadState<T> {
    /// How many reads have started; the next gets this number plus one.
    started: u64,
    /// Whether one is under way.
    reading: bool,
    /// The latest read to finish: its number, and the value or why it could not be read.
    latest: Option<(u64, Result<T, StoreError>)>,
}

impl<T> Default for SharedReads<T> {
    fn default() -> Self {
        let state = ReadState { started: 0, reading: false, latest: None };
        SharedReads { state: Mutex::new(state), finished: Notify::new() }
    }
}

impl<T: Clone + Send + 'static> SharedReads<T> {
    /// The value as `read` finds it after this call began: from a read that started after it,
    /// whoever started that read.
    async fn read_after_now<Read>(
        self: &Arc<Self>,
        read: impl Fn() -> Read,
    ) -> Result<T, StoreError>
    where
        Read: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (wanted, failure_counts_from) = {
            let state = self.lock();
            // Any read numbered past those started so far starts after this request arrived.
            // A failure counts from the read under way: it ends after this request arrived, so
            // the database was failing then. Reading again would make the request wait out the
            // connection timeout twice more while the database is down (15 s instead of at
            // most 5 s before its 503).
            let wanted = state.started + 1;
            (wanted, if state.reading { wanted - 1 } else { wanted })
        };
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before looking, so that a read finishing meanwhile still wakes it.
            finished.as_mut().enable();
            {
                let mut state = self.lock();
                match &state.latest {
                    Some((number, Ok(value))) if *number >= wanted => return Ok(value.clone()),
                    Some((number, Err(error))) if *number >= failure_counts_from => {
                        return Err(error.clone());
                    }
                    _ => {}
                }
                if !state.reading {
                    state.reading = true;
                    state.started += 1;
                    // A task of its own, so that a request dropped halfway cannot leave the
                    // read unfinished and the others waiting.
                    tokio::spawn(Arc::clone(self).finish(read(), state.started));
                }
            }
            finished.await;
        }
    }

    async fn finish(
        self: Arc<Self>,
        read: impl Future<Output = Result<T, StoreError>>,
        number: u64,
    ) {
        let value = read.await;
        {
            let mut state = self.lock();
            state.latest = Some((number, value));
            state.reading = false;
        }
        self.finished.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ReadState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Poll;

    use tokio::sync::oneshot;

    use super::*;

    type Answer = Result<i64, StoreError>;

    /// A value read from a source the test answers by hand, one read at a time, counting reads.
    #[derive(Default)]
    struct Source {
        answers: Mutex<VecDeque<oneshot::Receiver<Answer>>>,
        reads: AtomicUsize,
    }

    impl Source {
        /// The answer the next read will get once `send` is called on the sender.
        fn next(&self) -> oneshot::Sender<Answer> {
            let (sender, receiver) = oneshot::channel();
            self.answers.lock().unwrap().push_back(receiver);
            sender
        }

        fn read(
            self: &Arc<Self>,
        ) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Answer> + Send>> {
            let source = Arc::clone(self);
            move || {
                source.reads.fetch_add(1, Ordering::SeqCst);
                let answer = source.answers.lock().unwrap().pop_front().expect("an answer set up");
                Box::pin(async move { answer.await.expect("the test answers every read") })
            }
        }
    }

    /// Polls `future` once, so that it has arrived (and started what it starts) without
    /// finishing.
    async fn arrive<F: Future>(future: std::pin::Pin<&mut F>) {
        let mut future = Some(future);
        std::future::poll_fn(|cx| {
            let pending = future.take().unwrap().poll(cx).is_pending();
            assert!(pending, "it should wait for a read");
            Poll::Ready(())
        })
        .await;
    }

    fn down() -> StoreError {
        StoreError::Unavailable(sea_orm::DbErr::Custom("connection refused".into()))
    }

    #[tokio::test]
    async fn a_request_arriving_during_a_read_gets_a_read_started_after_it() {
        let (reads, source) = (Arc::new(SharedReads::default()), Arc::new(Source::default()));
        let (first, second) = (source.next(), source.next());
        let mut early = pin!(reads.read_after_now(source.read()));
        arrive(early.as_mut()).await;
        let mut late = pin!(reads.read_after_now(source.read()));
        arrive(late.as_mut()).await;
        first.send(Ok(1)).unwrap();
        assert_eq!(early.await.unwrap(), 1);
        // The epoch read before it arrived could miss a revocation committed just before.
        second.send(Ok(2)).unwrap();
        assert_eq!(late.await.unwrap(), 2);
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn requests_arriving_together_share_one_read() {
        let (reads, source) = (Arc::new(SharedReads::default()), Arc::new(Source::default()));
        let (first, second) = (source.next(), source.next());
        let mut under_way = pin!(reads.read_after_now(source.read()));
        arrive(under_way.as_mut()).await;
        let mut crowd: Vec<_> =
            (0..10).map(|_| Box::pin(reads.read_after_now(source.read()))).collect();
        for request in &mut crowd {
            arrive(request.as_mut()).await;
        }
        first.send(Ok(1)).unwrap();
        assert_eq!(under_way.await.unwrap(), 1);
        second.send(Ok(2)).unwrap();
        for request in crowd {
            assert_eq!(request.await.unwrap(), 2);
        }
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_read_failing_after_a_request_arrived_fails_it_without_reading_again() {
        let (reads, source) = (Arc::new(SharedReads::default()), Arc::new(Source::default()));
        let first = source.next();
        let mut early = pin!(reads.read_after_now(source.read()));
        arrive(early.as_mut()).await;
        let mut late = pin!(reads.read_after_now(source.read()));
        arrive(late.as_mut()).await;
        first.send(Err(down())).unwrap();
        assert!(matches!(early.await, Err(StoreError::Unavailable(_))));
        // While the database is down each read waits out the pool's timeout: a request that
        // read again would wait it twice more before its 503.
        assert!(matches!(late.await, Err(StoreError::Unavailable(_))));
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_finished_before_a_request_arrived_is_not_its_answer() {
        let (reads, source) = (Arc::new(SharedReads::default()), Arc::new(Source::default()));
        let (first, second) = (source.next(), source.next());
        first.send(Err(down())).unwrap();
        assert!(reads.read_after_now(source.read()).await.is_err());
        second.send(Ok(7)).unwrap();
        assert_eq!(reads.read_after_now(source.read()).await.unwrap(), 7);
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }
}
