//! SHA-256 over files, streaming and in parallel (the digest's form is
//! `format::digest`).
//!
//! Verification cost is dominated by hashing, and artifacts can carry
//! gigabyte attachments, so files are read through one fixed-size buffer per
//! worker (memory stays bounded whatever the file size) and several files are
//! hashed at once on separate cores. The `sha2` crate picks the CPU's SHA
//! extensions at run time when they exist, which is what keeps pace with
//! OpenSSL.

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

/// Size of the read buffer each hashing worker owns.
pub const HASH_BUFFER_SIZE: usize = 256 * 1024;

/// What streaming a file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDigest {
    /// Lowercase hex SHA-256 of the bytes read.
    pub sha256: String,
    /// Number of bytes read.
    pub len: u64,
}

/// Hashes everything `reader` yields through `buf`, never holding more than
/// `buf.len()` bytes of input at once. Reads at most `limit` + 1 bytes so a
/// file that grows while being read cannot keep a verifier busy forever.
pub fn hash_reader<R: Read>(mut reader: R, buf: &mut [u8], limit: u64) -> io::Result<StreamDigest> {
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        len += n as u64;
        if len > limit {
            break;
        }
    }
    Ok(StreamDigest {
        sha256: hex::encode(hasher.finalize()),
        len,
    })
}

/// Runs `work` on every item using up to one worker per core, each with its
/// own [`HASH_BUFFER_SIZE`] buffer. Results come back in input order. Callers
/// pass the largest files first so one big file does not start last.
pub fn parallel_with_buffer<T, R, F>(items: &[T], work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T, &mut [u8]) -> R + Sync,
{
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(items.len()).max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut buf = vec![0u8; HASH_BUFFER_SIZE];
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, work(item, &mut buf)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::digest::sha256_hex;

    #[test]
    fn streaming_matches_one_shot_across_buffer_boundaries() {
        let data: Vec<u8> = (0..(HASH_BUFFER_SIZE * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut buf = vec![0u8; 1000];
        let got = hash_reader(&data[..], &mut buf, u64::MAX).unwrap();
        assert_eq!(got.sha256, sha256_hex(&data));
        assert_eq!(got.len, data.len() as u64);
    }

    #[test]
    fn reading_stops_past_the_limit() {
        let data = vec![7u8; 10_000];
        let mut buf = vec![0u8; 100];
        let got = hash_reader(&data[..], &mut buf, 500).unwrap();
        assert!(got.len > 500 && got.len <= 600, "read {} bytes", got.len);
    }

    #[test]
    fn parallel_keeps_input_order() {
        let items: Vec<u32> = (0..50).collect();
        let out = parallel_with_buffer(&items, |x, buf| {
            assert_eq!(buf.len(), HASH_BUFFER_SIZE);
            x * 2
        });
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }
}
