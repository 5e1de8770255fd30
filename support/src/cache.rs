//! Results computed once per key and shared, so that a chapter's report
//! and its figures (and the threads drawing them) run each experiment once.

use std::error::Error;
use std::sync::{Mutex, PoisonError};

/// Results of one experiment by key (the settings it ran with; `()` for an
/// experiment without any). An error is kept as its message, so it comes
/// back the same to every caller.
///
/// The lock is held while a result is computed: a second caller with any
/// key waits for it rather than running the same experiment twice. So the
/// computation must not ask the same cache again (it would wait forever);
/// asking another cache is fine.
pub struct Cache<K, T> {
    entries: Mutex<Vec<(K, Result<T, String>)>>,
}

impl<K: PartialEq + Clone, T: Clone> Cache<K, T> {
    /// An empty cache (`const`, for a `static` in the function it serves).
    pub const fn new() -> Self {
        Cache {
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The result for `key`: computed by `make` the first time, a clone of
    /// the stored result (or error) after that.
    pub fn get_or_compute(
        &self,
        key: &K,
        make: impl FnOnce() -> Result<T, Box<dyn Error>>,
    ) -> Result<T, Box<dyn Error>> {
        // A panic while computing leaves no entry behind, so the cache
        // stays usable after it.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, result)) = entries.iter().find(|(k, _)| k == key) {
            return result.clone().map_err(Into::into);
        }
        let result = make().map_err(|e| e.to_string());
        entries.push((key.clone(), result.clone()));
        result.map_err(Into::into)
    }
}

impl<K: PartialEq + Clone, T: Clone> Default for Cache<K, T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn each_key_is_computed_once_and_errors_are_kept() {
        static CACHE: Cache<u32, u64> = Cache::new();
        let runs = AtomicUsize::new(0);
        let square = |k: u32| {
            CACHE.get_or_compute(&k, || {
                runs.fetch_add(1, Ordering::SeqCst);
                if k == 0 {
                    Err("zero".into())
                } else {
                    Ok(u64::from(k) * u64::from(k))
                }
            })
        };
        assert_eq!(square(3).unwrap(), 9);
        assert_eq!(square(4).unwrap(), 16);
        assert_eq!(square(3).unwrap(), 9);
        assert_eq!(square(0).unwrap_err().to_string(), "zero");
        assert_eq!(square(0).unwrap_err().to_string(), "zero");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn concurrent_callers_share_one_computation() {
        let cache: Cache<(), usize> = Cache::new();
        let runs = AtomicUsize::new(0);
        let results: Vec<usize> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        cache
                            .get_or_compute(&(), || Ok(runs.fetch_add(1, Ordering::SeqCst) + 7))
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results, vec![7; 4]);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
