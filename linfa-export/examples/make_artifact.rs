//! Builds a large artifact for the verification benchmark (`bench/verify.sh`):
//! a small model plus one big attachment and a few smaller ones, written
//! through the normal export path so the result is a real, verifying artifact.
//!
//! Usage: `make_artifact OUT_DIR SCRATCH_DIR BIG_BYTES [SMALL_COUNT SMALL_BYTES]`

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use linfa_export::{ExportParams, Timestamp};
use linfa_linear::FittedLinearRegression;

/// Writes `len` pseudo-random bytes (xorshift, so SHA-256 sees no easy
/// patterns and no filesystem can compress them away).
fn write_noise(path: &Path, len: u64, mut state: u64) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut remaining = len;
    let mut block = vec![0u8; 1 << 16];
    while remaining > 0 {
        for chunk in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let n = remaining.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        remaining -= n as u64;
    }
    out.flush()?;
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, scratch, big, rest @ ..] = args.as_slice() else {
        anyhow::bail!(
            "usage: make_artifact OUT_DIR SCRATCH_DIR BIG_BYTES [SMALL_COUNT SMALL_BYTES]"
        );
    };
    let big: u64 = big.parse().context("BIG_BYTES")?;
    let small_count: u64 = rest
        .first()
        .map_or(Ok(4), |s| s.parse())
        .context("SMALL_COUNT")?;
    let small: u64 = rest
        .get(1)
        .map_or(Ok(16 << 20), |s| s.parse())
        .context("SMALL_BYTES")?;
    let scratch = Path::new(scratch);
    std::fs::create_dir_all(scratch)?;

    let model: FittedLinearRegression<f64> =
        serde_json::from_str(r#"{"intercept":0.5,"params":{"v":1,"dim":[2],"data":[2.0,-1.25]}}"#)?;
    let mut params = ExportParams::new("verify benchmark")
        .description("A tiny model carrying a large attachment, to time verification.")
        .timestamp(Timestamp::Omit);
    let big_path = scratch.join("big.bin");
    write_noise(&big_path, big, 0x9E37_79B9_7F4A_7C15)?;
    params = params.attach_file("data/big.bin", &big_path);
    for i in 0..small_count {
        let path = scratch.join(format!("small-{i}.bin"));
        write_noise(&path, small, 0x1234_5678 + i)?;
        params = params.attach_file(format!("data/small-{i}.bin"), &path);
    }
    let report = params.check()?.export(&model, out)?;
    println!("{}", report.digest());
    Ok(())
}
