//! Reads of one value from the database (an epoch), shared by the requests that wait for it.
//!
//! Requests that arrive while a read is under way share the next one, which starts after they
//! arrived: each request still sees the value as it is after it came in, and the database
//! answers one read for a crowd of them instead of one each.

use std::sync::{Arc, Mutex, PoisonError};

use hocba_store::StoreError;
use tokio::sync::Notify;

/// Reads of one value (an epoch), one at a time, each shared by every request
/// that arrived before it started.
pub(crate) struct SharedReads<T> {
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
    pub(crate) async fn read_after_now<Read>(
        self: &Arc<Self>,
        read: impl Fn() -> Read,
    ) -> Result<T, StoreError>
    where
        Read: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        // Any read numbered past those started so far starts after this request arrived: its
        // epoch, or its failure, is the database's after then. The read under way may have made
        // its last attempt to connect before the database came back; the request waits for the
        // next read instead of taking that one's failure, and no longer (reading once more
        // itself would make it wait out the connection timeout a third time before its 503).
        let wanted = self.lock().started + 1;
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before looking, so that a read finishing meanwhile still wakes it.
            finished.as_mut().enable();
            {
                let mut state = self.lock();
                if let Some((number, outcome)) = &state.latest
                    && *number >= wanted
                {
                    return outcome.clone();
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
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Poll;

    use tokio::sync::oneshot;

    use super::*;

    type Answer = Result<i64, StoreError>;

    /// Shared reads of a value that the test answers by hand, one read at a time.
    #[derive(Default)]
    struct Scene {
        shared: Arc<SharedReads<i64>>,
        answers: Arc<Mutex<VecDeque<oneshot::Receiver<Answer>>>>,
        reads: Arc<AtomicUsize>,
    }

    impl Scene {
        /// What the next read will answer, once it is sent.
        fn next_answer(&self) -> oneshot::Sender<Answer> {
            let (sender, receiver) = oneshot::channel();
            self.answers.lock().unwrap().push_back(receiver);
            sender
        }

        /// A request for the value, polled once: it has arrived, has started what it starts,
        /// and waits.
        async fn arrive(&self) -> Pin<Box<impl Future<Output = Answer> + '_>> {
            let (answers, reads) = (Arc::clone(&self.answers), Arc::clone(&self.reads));
            let read = move || {
                reads.fetch_add(1, Ordering::SeqCst);
                let answer = answers.lock().unwrap().pop_front().expect("an answer set up");
                async move { answer.await.expect("the test answers every read") }
            };
            let mut request = Box::pin(self.shared.read_after_now(read));
            std::future::poll_fn(|cx| {
                assert!(request.as_mut().poll(cx).is_pending(), "it should wait for a read");
                Poll::Ready(())
            })
            .await;
            request
        }

        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    fn down() -> StoreError {
        StoreError::Unavailable(sea_orm::DbErr::Custom("connection refused".into()))
    }

    #[tokio::test]
    async fn a_request_arriving_during_a_read_gets_a_read_started_after_it() {
        let scene = Scene::default();
        let (first, second) = (scene.next_answer(), scene.next_answer());
        let (early, late) = (scene.arrive().await, scene.arrive().await);
        first.send(Ok(1)).unwrap();
        assert_eq!(early.await.unwrap(), 1);
        // The epoch read before it arrived could miss a revocation committed just before.
        second.send(Ok(2)).unwrap();
        assert_eq!(late.await.unwrap(), 2);
        assert_eq!(scene.reads(), 2);
    }

    #[tokio::test]
    async fn requests_arriving_together_share_one_read() {
        let scene = Scene::default();
        let (first, second) = (scene.next_answer(), scene.next_answer());
        let under_way = scene.arrive().await;
        let mut crowd = Vec::new();
        for _ in 0..10 {
            crowd.push(scene.arrive().await);
        }
        first.send(Ok(1)).unwrap();
        assert_eq!(under_way.await.unwrap(), 1);
        second.send(Ok(2)).unwrap();
        for request in crowd {
            assert_eq!(request.await.unwrap(), 2);
        }
        assert_eq!(scene.reads(), 2);
    }

    #[tokio::test]
    async fn a_request_fails_with_the_first_read_started_after_it_and_reads_no_more() {
        let scene = Scene::default();
        let (first, second) = (scene.next_answer(), scene.next_answer());
        let (early, late) = (scene.arrive().await, scene.arrive().await);
        first.send(Err(down())).unwrap();
        assert!(matches!(early.await, Err(StoreError::Unavailable(_))));
        second.send(Err(down())).unwrap();
        // While the database is down each read waits out the pool's timeout: a request that
        // read once more would wait it a third time before its 503.
        assert!(matches!(late.await, Err(StoreError::Unavailable(_))));
        assert_eq!(scene.reads(), 2);
    }

    #[tokio::test]
    async fn a_read_under_way_failing_is_not_the_answer_of_a_request_that_arrived_during_it() {
        let scene = Scene::default();
        let (first, second) = (scene.next_answer(), scene.next_answer());
        let (early, late) = (scene.arrive().await, scene.arrive().await);
        // The database came back after that read's last attempt to connect.
        first.send(Err(down())).unwrap();
        assert!(early.await.is_err());
        second.send(Ok(2)).unwrap();
        assert_eq!(late.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_failure_finished_before_a_request_arrived_is_not_its_answer() {
        let scene = Scene::default();
        let (first, second) = (scene.next_answer(), scene.next_answer());
        first.send(Err(down())).unwrap();
        assert!(scene.arrive().await.await.is_err());
        second.send(Ok(7)).unwrap();
        assert_eq!(scene.arrive().await.await.unwrap(), 7);
        assert_eq!(scene.reads(), 2);
    }
}
