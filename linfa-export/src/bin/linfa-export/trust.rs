//! `verify`, `sign` and `keygen`: whether an artifact is the one its author published.
//!
//! `verify` always says what it established in one line, so a consistency-only check is
//! never read as "this is the published model".

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use linfa_export::{
    Curve, PrivateKey, SignError, Verified, VerifyOptions, check_parents, lineage_tree,
    read_signature, verify_with,
};

pub fn verify_cmd(
    out: &mut impl Write,
    dir: &Path,
    options: &VerifyOptions,
    lineage: Option<&[PathBuf]>,
) -> Result<ExitCode> {
    match verify_with(dir, options).into_result() {
        Ok(verified) => {
            writeln!(
                out,
                "OK {}: {} files, {} bytes verified; artifact sha256 {}",
                dir.display(),
                verified.files_hashed,
                verified.bytes_hashed,
                verified.digest()
            )?;
            let mut line = format!("trust: {}", verified.assurance);
            if verified.assurance.is_consistency_only() {
                line.push_str(" (--expect DIGEST, --public-key KEY.pem)");
                if let Ok(Some(signature)) = read_signature(dir) {
                    let key = signature
                        .key_fingerprint
                        .as_deref()
                        .unwrap_or("(not named)");
                    // Verification held it to the files; only the key can check the signature.
                    line.push_str(&format!(
                        "; model.sig by key {key} lists every file as it is, but without that \
                         public key the signature itself was not checked"
                    ));
                }
            }
            writeln!(out, "{line}")?;
            match lineage {
                None => Ok(ExitCode::SUCCESS),
                Some(parents) => lineage_cmd(out, &verified, parents),
            }
        }
        Err(refused) => {
            for problem in &refused.problems {
                writeln!(out, "{}: {problem}", dir.display())?;
            }
            writeln!(
                out,
                "FAILED {}: {} problem(s); do not use this artifact, re-export or restore it",
                dir.display(),
                refused.problems.len()
            )?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Verifies each given parent (consistency) and checks that they are exactly the direct
/// parents `child` records.
fn lineage_cmd(out: &mut impl Write, child: &Verified, parents: &[PathBuf]) -> Result<ExitCode> {
    let options = VerifyOptions {
        record_lineage: false,
        ..VerifyOptions::default()
    };
    let dir = &child.dir;
    let mut given = Vec::new();
    let mut failed = 0usize;
    for parent in parents {
        match verify_with(parent, &options).into_result() {
            Ok(verified) => given.push(verified),
            Err(refused) => {
                failed += 1;
                for problem in &refused.problems {
                    writeln!(
                        out,
                        "{}: parent {}: {problem}",
                        dir.display(),
                        parent.display()
                    )?;
                }
            }
        }
    }
    let mismatches = check_parents(&child.manifest, &given);
    for mismatch in &mismatches {
        writeln!(out, "{}: {mismatch}", dir.display())?;
    }
    if failed > 0 || !mismatches.is_empty() {
        writeln!(
            out,
            "FAILED {}: lineage does not hold ({failed} parent(s) do not verify, {} mismatch(es)); \
             its recorded parents are:",
            dir.display(),
            mismatches.len()
        )?;
        if child.manifest.lineage.is_empty() {
            writeln!(out, "  (none)")?;
        }
        out.write_all(lineage_tree(&child.manifest.lineage, "  ").as_bytes())?;
        return Ok(ExitCode::from(1));
    }
    writeln!(
        out,
        "lineage: the {} given parent(s) verify and are exactly the recorded ones",
        given.len()
    )?;
    out.write_all(lineage_tree(&child.manifest.lineage, "  ").as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

pub fn sign_cmd(out: &mut impl Write, dir: &Path, key: &PrivateKey) -> Result<ExitCode> {
    match linfa_export::sign(dir, key) {
        Ok(signed) => {
            writeln!(
                out,
                "signed {}: {} covers {} files; key {}; artifact sha256 {}",
                dir.display(),
                signed.path.display(),
                signed.files,
                signed.signer,
                signed.artifact_sha256
            )?;
            writeln!(
                out,
                "check it with `linfa-export verify {} --public-key PUBLIC.pem` \
                 (or `model_signing verify key {} --signature {} --public_key PUBLIC.pem`)",
                dir.display(),
                dir.display(),
                signed.path.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal @ SignError::Unverified { .. }) => {
            writeln!(out, "FAILED {}: {refusal}", dir.display())?;
            Ok(ExitCode::from(1))
        }
        Err(other) => Err(other.into()),
    }
}

pub fn keygen_cmd(out: &mut impl Write, prefix: &Path, curve: Curve) -> Result<ExitCode> {
    let with_suffix = |suffix: &str| {
        let mut path = prefix.as_os_str().to_owned();
        path.push(suffix);
        PathBuf::from(path)
    };
    let (private, public) = (with_suffix(".private.pem"), with_suffix(".public.pem"));
    let key = PrivateKey::generate(curve);
    key.write_pem_files(&private, &public)?;
    writeln!(
        out,
        "wrote {} (ECDSA {curve} private key, mode 0600: keep it secret)",
        private.display()
    )?;
    writeln!(out, "wrote {} (public key: share it)", public.display())?;
    writeln!(out, "key fingerprint {}", key.public_key().fingerprint())?;
    Ok(ExitCode::SUCCESS)
}
