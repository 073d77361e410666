//! Answers kept by their input, so that a document seen before is not worked through again.
//! Here, answers of pure computations by the digest of their input: the same bytes give the
//! same answer, so nothing kept here can go stale, and a changed document is a different key.
//!
//! What can change for a document that does not (its status, its key's revocation, the time)
//! is never kept here: the verifier asks for it every time. A caller that keeps answers which
//! can go stale (verdicts, the API's compliance answers) keeps with each the stamp it checks.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// A SHA-256 digest: the key of an input, or a kept answer.
pub(crate) type Digest32 = [u8; 32];

/// The digest of `parts`, each length-prefixed so that no two lists of parts collide by
/// moving a byte from one part to the next.
pub(crate) fn digest(parts: &[&[u8]]) -> Digest32 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Answers by input (by default its digest), at most `capacity` of them; past it, the memo
/// starts again (an answer costs one more computation, never a wrong result).
pub struct Memo<V, K = Digest32> {
    capacity: usize,
    answers: Mutex<Option<HashMap<K, V>>>,
}

impl<V: Clone, K: Eq + Hash> Memo<V, K> {
    /// An empty memo of at most `capacity` answers.
    pub const fn new(capacity: usize) -> Self {
        Memo { capacity, answers: Mutex::new(None) }
    }

    /// The answer kept for `key`, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        let answers = self.answers.lock().ok()?;
        answers.as_ref()?.get(key).cloned()
    }

    /// Keeps `answer` for `key`.
    pub fn keep(&self, key: K, answer: V) {
        let Ok(mut answers) = self.answers.lock() else { return };
        let answers = answers.get_or_insert_with(HashMap::new);
        if answers.len() >= self.capacity {
            answers.clear();
        }
        answers.insert(key, answer);
    }

    /// The answer for `key`: the kept one, or `compute`'s, kept when it is `Ok`.
    pub(crate) fn get_or_try<E>(
        &self,
        key: K,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(answer) = self.get(&key) {
            return Ok(answer);
        }
        let answer = compute()?;
        self.keep(key, answer.clone());
        Ok(answer)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.answers.lock().ok().and_then(|answers| answers.as_ref().map(HashMap::len)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_computed_once_per_input_and_failures_are_not_kept() {
        let memo: Memo<u32> = Memo::new(2);
        let mut computed = 0;
        let mut answer = |key: &[u8], value: Result<u32, ()>| {
            memo.get_or_try(digest(&[key]), || {
                computed += 1;
                value
            })
        };
        assert_eq!(answer(b"a", Ok(1)), Ok(1));
        assert_eq!(answer(b"a", Ok(99)), Ok(1), "kept");
        assert_eq!(answer(b"b", Err(())), Err(()));
        assert_eq!(answer(b"b", Ok(2)), Ok(2), "a failure is not kept");
        assert_eq!(computed, 3);
    }

    #[test]
    fn parts_are_told_apart_and_the_memo_stays_within_its_capacity() {
        assert_ne!(digest(&[b"ab", b"c"]), digest(&[b"a", b"bc"]));
        let memo: Memo<u8> = Memo::new(2);
        for byte in 0..5u8 {
            memo.keep(digest(&[&[byte]]), byte);
            assert!(memo.len() <= 2);
        }
        assert_eq!(memo.get(&digest(&[&[4]])), Some(4));
    }
}
