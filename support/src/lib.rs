//! Support machinery shared by every chapter of *Opening the Black Box* that
//! is not itself a lesson: claim declarations and checks, the markdown
//! scanner they rest on, the figure style, seeded randomness, sample
//! statistics, result caching, the chapter command line and the loaders of
//! the data sets the repository ships.

pub mod bench;
pub mod cache;
pub mod claims;
#[cfg(feature = "cli")]
pub mod cli;
pub mod data;
#[cfg(feature = "plot")]
pub mod figure;
pub mod markdown;
pub mod parallel;
pub mod progress;
pub mod stats;

pub use cache::Cache;
pub use claims::Measured;
#[cfg(feature = "plot")]
pub use figure::Figure;
#[cfg(feature = "plot")]
pub use plotters;
pub use rand;

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
#[cfg(feature = "fs")]
use std::path::PathBuf;

/// The book's random generator: ChaCha8, whose stream is fixed by its seed
/// on every platform and in every release of `rand` (unlike `StdRng`).
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[cfg(feature = "fs")]
/// The root of the workspace (the book's folder).
pub fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the support crate lives one level below the workspace root")
        .to_path_buf()
}
