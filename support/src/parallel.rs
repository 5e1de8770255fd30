//! Independent jobs, run on rayon's thread pool where the platform has
//! threads and one after another where it does not (WebAssembly in a
//! browser page, where spawning a thread panics).

/// Runs every job and returns the results in the order of `jobs`. Jobs
/// must be independent (each chapter experiment draws from its own seeded
/// generator), so the results do not depend on the schedule. A job that
/// panics panics the caller: that is a bug, not an outcome.
pub fn run_all<T: Send>(jobs: &[&(dyn Fn() -> T + Sync)]) -> Vec<T> {
    #[cfg(all(feature = "threads", not(target_family = "wasm")))]
    {
        use rayon::prelude::*;
        jobs.par_iter().map(|job| job()).collect()
    }
    #[cfg(not(all(feature = "threads", not(target_family = "wasm"))))]
    {
        jobs.iter().map(|job| job()).collect()
    }
}

/// `f` applied to every item, on the pool like [`run_all`], the results in
/// the order of `items`.
pub fn map<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> T + Sync + Send) -> Vec<T> {
    #[cfg(all(feature = "threads", not(target_family = "wasm")))]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(not(all(feature = "threads", not(target_family = "wasm"))))]
    {
        items.iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_keep_the_order_of_the_jobs_and_every_job_runs_once() {
        let calls = AtomicUsize::new(0);
        let square = |i: usize| {
            calls.fetch_add(1, Ordering::Relaxed);
            if i == 4 {
                Err("four".to_string())
            } else {
                Ok(i * i)
            }
        };
        let closures: Vec<_> = (0..9).map(|i| move || square(i)).collect();
        let jobs: Vec<&(dyn Fn() -> Result<usize, String> + Sync)> =
            closures.iter().map(|c| c as _).collect();
        let results = run_all(&jobs);
        assert_eq!(calls.load(Ordering::Relaxed), 9);
        for (i, r) in results.iter().enumerate() {
            let expected = if i == 4 {
                Err("four".to_string())
            } else {
                Ok(i * i)
            };
            assert_eq!(r, &expected);
        }
        assert!(run_all::<()>(&[]).is_empty());
    }

    #[test]
    fn map_keeps_the_order_of_the_items() {
        let items: Vec<u64> = (0..100).collect();
        assert_eq!(
            map(&items, |i| i * i),
            items.iter().map(|i| i * i).collect::<Vec<_>>()
        );
    }
}
