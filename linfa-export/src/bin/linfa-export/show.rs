//! `inspect`, `diff`, `card`, `compare` and `check-data`: what an artifact says about itself,
//! and what a re-run of it needs and gave, for people and tools.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use linfa_export::{
    DataCheck, Manifest, SIGNATURE_FILE, VerifyOptions, VerifyReport, check_data_folder,
    compare_reproduction, describe_training_record, diff, lineage_tree, read_signature,
};
use serde_json::{Value, json};

/// Verifies `dir` and returns the report with its manifest, or an error for
/// people when there is no readable manifest at all.
fn manifest_of(dir: &Path, options: &VerifyOptions) -> Result<(VerifyReport, Manifest)> {
    let options = VerifyOptions {
        record_lineage: false,
        ..options.clone()
    };
    let mut report = linfa_export::verify_with(dir, &options);
    match report.manifest.take() {
        Some(manifest) => Ok((report, manifest)),
        None => {
            let why = report
                .problems
                .first()
                .map_or_else(|| "no manifest".to_owned(), ToString::to_string);
            bail!("cannot read the artifact at {}: {why}", dir.display())
        }
    }
}

pub fn inspect_cmd(
    out: &mut impl Write,
    dir: &Path,
    json: bool,
    options: &VerifyOptions,
) -> Result<ExitCode> {
    let (report, m) = manifest_of(dir, options)?;
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    let signature = read_signature(dir);
    // `manifest_of` took the manifest out of the report: no problems means it verified.
    let verified = report.problems.is_empty();
    let checked = verified && report.assurance.signer.is_some();
    if json {
        let signature = match &signature {
            Ok(None) => Value::Null,
            Ok(Some(info)) => json!({
                "file": SIGNATURE_FILE,
                "key_fingerprint": info.key_fingerprint,
                "files": info.files.len(),
                "checked": checked,
            }),
            Err(e) => json!({"file": SIGNATURE_FILE, "error": e.to_string()}),
        };
        let doc = json!({
            "dir": dir.display().to_string(),
            "verified": problems.is_empty(),
            "problems": problems,
            "assurance": {
                "pinned": verified && report.assurance.pinned,
                "signer": if checked { report.assurance.signer.clone() } else { None },
            },
            "signature": signature,
            "training_record": {
                "status": m.training_record.map_or("absent", |s| s.as_str()),
                "meaning": describe_training_record(m.training_record),
            },
            "lineage": m.lineage,
            "manifest": m,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let row = |out: &mut dyn Write, k: &str, v: &str| writeln!(out, "{k:<17}{v}");
    row(out, "Artifact", &dir.display().to_string())?;
    row(out, "Name", &m.card.name)?;
    row(
        out,
        "Model",
        &format!(
            "{} ({} {})",
            m.model.full_type(),
            m.model.crate_name,
            m.model.crate_version
        ),
    )?;
    row(out, "Digest", &format!("sha256 {}", m.artifact_sha256))?;
    row(
        out,
        "Exported",
        m.exported_at.as_deref().unwrap_or("(no time recorded)"),
    )?;
    let answer = if verified {
        "yes".to_owned()
    } else {
        format!(
            "NO, {} problem(s); run `linfa-export verify {}`",
            problems.len(),
            dir.display()
        )
    };
    row(out, "Verified", &answer)?;
    if verified {
        row(out, "Trust", &report.assurance.to_string())?;
    }
    let signed = match &signature {
        Ok(None) => "none: nobody signed this artifact".to_owned(),
        Ok(Some(info)) => {
            let key = info.key_fingerprint.as_deref().unwrap_or("(not named)");
            if checked {
                format!("{SIGNATURE_FILE} by key {key}, checked")
            } else {
                format!(
                    "{SIGNATURE_FILE} by key {key}, not checked (`linfa-export verify {} --public-key KEY.pem` checks it)",
                    dir.display()
                )
            }
        }
        Err(e) => format!("unreadable: {e}"),
    };
    row(out, "Signature", &signed)?;
    match &m.data {
        None => row(out, "Data", "(no fingerprint)")?,
        Some(d) => {
            let fp = |f: &linfa_export::ArrayFingerprint| {
                format!("{:?} {} sha256 {}", f.shape, f.element_type, f.sha256)
            };
            row(out, "Data", d.name.as_deref().unwrap_or("(unnamed)"))?;
            row(out, "  records", &fp(&d.records))?;
            if let Some(t) = &d.targets {
                row(out, "  targets", &fp(t))?;
            }
        }
    }
    let seed = m
        .provenance
        .as_ref()
        .and_then(|p| p.seed)
        .map_or("(not recorded)".to_owned(), |s| s.to_string());
    row(out, "Seed", &seed)?;
    if let Some(p) = &m.provenance {
        row(out, "Cells", &p.cells.len().to_string())?;
        if p.non_reproducible {
            row(
                out,
                "Reproducible",
                &format!("NO: {}", p.non_reproducible_reason.as_deref().unwrap_or("")),
            )?;
        }
    }
    row(
        out,
        "Training record",
        &describe_training_record(m.training_record),
    )?;
    if m.lineage.is_empty() {
        row(out, "Lineage", "none: not built on another artifact")?;
    } else {
        row(
            out,
            "Lineage",
            &format!(
                "built on {} artifact(s), each with its own lineage:",
                m.lineage.len()
            ),
        )?;
        out.write_all(lineage_tree(&m.lineage, "  ").as_bytes())?;
    }
    if let Some(h) = &m.hyperparameters {
        row(out, "Hyper-parameters", &h.to_string())?;
    }
    for (k, v) in &m.metrics {
        row(out, "Metric", &format!("{k} = {v}"))?;
    }
    writeln!(out, "Files")?;
    for (path, e) in &m.files {
        writeln!(
            out,
            "  {path:<24} {:<15} {:>9} bytes  sha256 {}",
            e.role.as_str(),
            e.size,
            e.sha256
        )?;
    }
    row(
        out,
        "Toolchain",
        &format!("{} ({})", m.toolchain.rustc, m.toolchain.target),
    )?;
    let crates: Vec<String> = m.crates.iter().map(|(k, v)| format!("{k} {v}")).collect();
    row(out, "Crates", &crates.join(", "))?;
    Ok(ExitCode::SUCCESS)
}

pub fn diff_cmd(out: &mut impl Write, a: &Path, b: &Path) -> Result<ExitCode> {
    let options = VerifyOptions::default();
    let (ra, ma) = manifest_of(a, &options).with_context(|| format!("reading {}", a.display()))?;
    let (rb, mb) = manifest_of(b, &options).with_context(|| format!("reading {}", b.display()))?;
    for (dir, report) in [(a, &ra), (b, &rb)] {
        if !report.problems.is_empty() {
            writeln!(
                out,
                "warning: {} does not verify ({} problem(s)); its manifest is compared as written",
                dir.display(),
                report.problems.len()
            )?;
        }
    }
    let differences = diff(&ma, &mb);
    if differences.is_empty() {
        writeln!(
            out,
            "identical: both artifacts have sha256 {}",
            ma.artifact_sha256
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "--- {}\n+++ {}", a.display(), b.display())?;
    for d in &differences {
        writeln!(out, "{d}")?;
    }
    Ok(ExitCode::from(1))
}

pub fn card_cmd(out: &mut impl Write, dir: &Path) -> Result<ExitCode> {
    let (report, m) = manifest_of(dir, &VerifyOptions::default())?;
    if !report.problems.is_empty() {
        bail!(
            "{} does not verify ({} problem(s)), so its card cannot be trusted; run `linfa-export verify {}` to see them",
            dir.display(),
            report.problems.len(),
            dir.display()
        );
    }
    let Some((path, _)) = m.file_with_role(linfa_export::FileRole::ModelCard) else {
        bail!("{} has no model card", dir.display());
    };
    let text = std::fs::read_to_string(dir.join(path))
        .with_context(|| format!("reading {}", dir.join(path).display()))?;
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

pub fn compare_cmd(out: &mut impl Write, original: &Path, rerun: &Path) -> Result<ExitCode> {
    match compare_reproduction(original, rerun) {
        Ok(reproduction) => {
            write!(out, "{reproduction}")?;
            Ok(if reproduction.is_identical() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(refused) => {
            writeln!(out, "not compared: {refused}")?;
            Ok(ExitCode::from(1))
        }
    }
}

pub fn check_data_cmd(out: &mut impl Write, dir: &Path, data_dir: &Path) -> Result<ExitCode> {
    match check_data_folder(dir, data_dir) {
        Ok(check) => {
            writeln!(out, "{check}")?;
            Ok(if matches!(check, DataCheck::Missing(_)) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(refused) => {
            writeln!(out, "not checked: {refused}")?;
            Ok(ExitCode::from(1))
        }
    }
}
