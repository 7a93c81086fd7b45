//! `rng()`: the seeded random generator a cell asks for instead of `thread_rng()`.
//!
//! It is a named, portable generator (xoshiro256++ from rand_xoshiro 0.6, on rand_core 0.6:
//! the versions linfa's `Rng` bounds accept), so the same seed gives the same numbers on every
//! platform and with every later kernel that pins the same versions.

use std::sync::atomic::{AtomicU64, Ordering};

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

/// How many generators this cell execution has asked for. Each execution is a new shared
/// object with its own copy of this counter, so it starts at 0 every time a cell runs.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// A random generator for this cell, derived from its seed: the k-th call (k = 0, 1, ...) in a
/// cell returns `Xoshiro256PlusPlus::seed_from_u64(cell_seed().wrapping_add(k))`. Running the
/// cell again replays the same numbers; two calls in one cell give different streams.
///
/// ```ignore
/// let model = KMeans::params_with_rng(3, rng()).fit(&data).unwrap();
/// let (train, test) = data.shuffle(&mut rng()).split_with_ratio(0.8);
/// ```
pub fn rng() -> Xoshiro256PlusPlus {
    let k = CALLS.fetch_add(1, Ordering::Relaxed);
    Xoshiro256PlusPlus::seed_from_u64(crate::cell_seed().wrapping_add(k))
}
