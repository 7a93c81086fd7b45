//! Operating-system entropy in the evaluation process, made to repeat.
//!
//! Seeding a cell's own generators is not enough: dependencies draw entropy the cell never sees.
//! The one that changes models is std's `HashMap`: every thread takes two random keys from the
//! OS the first time it builds a `RandomState`, then adds one per map, and linfa-trees breaks
//! ties between equally good splits in `HashMap` order, so the same cell trains different trees.
//!
//! std asks for those keys through libc's `getrandom`, looked up by name at run time so that it
//! can be replaced. This binary defines `getrandom` and exports it (see `build.rs`), which puts it
//! ahead of libc's for every library the process loads, cells and their copy of std included.
//! In the kernel and the rustc wrapper it only forwards to the system call. In the evaluation
//! process, once [`begin_cell`] has run, it returns bytes derived from the cell's seed instead:
//! block `i` of call `k` since the cell began is
//! `sha256("linfa-kernel entropy v1" ‖ cell seed ‖ k ‖ i)` (all little-endian `u64`s).
//! Each cell runs on a new thread (see `runtime`), so its maps get keys that depend only on
//! the cell's seed and code: the same in a fresh kernel and when the cell runs again.
//!
//! Not covered, and documented: code that makes the system call itself (rand 0.8's `OsRng`
//! through the getrandom crate, which the seeding rules refuse in cells) or reads
//! `/dev/urandom`; threads that outlive a cell (a rayon pool) keep the keys they first took.

#![allow(unsafe_code)] // defining a C function that libraries call; see the module docs

use std::ffi::{c_uint, c_void};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

const DERIVATION_TAG: &[u8] = b"linfa-kernel entropy v1";

/// The stream a cell's entropy comes from: its seed and how many calls it has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CellEntropy {
    seed: u64,
    calls: u64,
}

/// `None` until the evaluation process runs a cell: until then every call reaches the OS.
static CELL_ENTROPY: Mutex<Option<CellEntropy>> = Mutex::new(None);

/// From now on, entropy asked for through `getrandom` is derived from `seed`, starting again
/// at call 0. The runtime calls this before every cell.
pub fn begin_cell(seed: u64) {
    let mut state = CELL_ENTROPY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *state = Some(CellEntropy { seed, calls: 0 });
}

/// Fills `buffer` with call `call`'s bytes for a cell seeded with `seed`.
fn derive(seed: u64, call: u64, buffer: &mut [u8]) {
    for (block, chunk) in buffer.chunks_mut(32).enumerate() {
        let digest = Sha256::new()
            .chain_update(DERIVATION_TAG)
            .chain_update(seed.to_le_bytes())
            .chain_update(call.to_le_bytes())
            .chain_update((block as u64).to_le_bytes())
            .finalize();
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
}

/// The next call's bytes, or `None` outside a cell.
fn fill_from_cell(buffer: &mut [u8]) -> bool {
    let mut state = CELL_ENTROPY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(entropy) = state.as_mut() else {
        return false;
    };
    derive(entropy.seed, entropy.calls, buffer);
    entropy.calls += 1;
    true
}

/// libc's `getrandom(2)` wrapper, replaced for the whole process; see the module docs.
///
/// # Safety
/// As for libc's: `buffer` must be valid for writes of `length` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn getrandom(buffer: *mut c_void, length: usize, flags: c_uint) -> isize {
    if length > 0 && !buffer.is_null() {
        // SAFETY: the caller promises `buffer` holds `length` writable bytes.
        let bytes = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), length) };
        if fill_from_cell(bytes) {
            return length as isize;
        }
    }
    // SAFETY: the same arguments the caller gave, passed to the system call they stand for.
    unsafe { libc::syscall(libc::SYS_getrandom, buffer, length, flags) as isize }
}

/// Keeps [`getrandom`] in the binary even though nothing in it names the function.
pub fn linked() -> usize {
    getrandom as *const () as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derivation_is_the_documented_one() {
        let mut bytes = [0u8; 40];
        derive(7, 2, &mut bytes);
        let block = |i: u64| {
            Sha256::new()
                .chain_update(b"linfa-kernel entropy v1")
                .chain_update(7u64.to_le_bytes())
                .chain_update(2u64.to_le_bytes())
                .chain_update(i.to_le_bytes())
                .finalize()
        };
        assert_eq!(&bytes[..32], &block(0)[..]);
        assert_eq!(&bytes[32..], &block(1)[..8]);
    }

    #[test]
    fn calls_differ_and_a_new_cell_starts_again() {
        let (mut first, mut second, mut again) = ([0u8; 16], [0u8; 16], [0u8; 16]);
        derive(7, 0, &mut first);
        derive(7, 1, &mut second);
        derive(7, 0, &mut again);
        assert_ne!(first, second);
        assert_eq!(first, again);
        let mut other_seed = [0u8; 16];
        derive(8, 0, &mut other_seed);
        assert_ne!(first, other_seed);
    }
}
