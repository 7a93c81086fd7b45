//! Command-line parsing and the output of each subcommand.
//!
//! Exit codes are part of the interface: 0 means "all good" (verified, or
//! identical for `diff`), 1 means "looked fine as a command, but the answer is
//! no" (problems found, artifacts differ), 2 means the command itself could
//! not run (unreadable folder, bad arguments).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use linfa_export::{Manifest, VerifyOptions, VerifyReport, diff, verify_with};

#[derive(Debug, Parser)]
#[command(
    name = "linfa-export",
    version,
    about = "Check, inspect and compare exported linfa models"
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Re-hash every file and check it against the manifest; exit 0 only if all match.
    Verify {
        /// Artifact folder.
        dir: PathBuf,
        /// Refuse files declared larger than this many bytes.
        #[arg(long)]
        max_file_size: Option<u64>,
    },
    /// Summarise an artifact (verifies it too).
    Inspect {
        /// Artifact folder.
        dir: PathBuf,
        /// Print JSON for tools instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Show what differs between two artifacts; exit 0 if nothing does.
    Diff {
        /// First artifact folder.
        a: PathBuf,
        /// Second artifact folder.
        b: PathBuf,
    },
    /// Print the model card of a verified artifact.
    Card {
        /// Artifact folder.
        dir: PathBuf,
    },
    /// Write a repository that relaunches the environment that exported a model: the
    /// artifact, a notebook that verifies, loads and uses it, binder/ and a README with badges.
    Relaunch {
        /// Artifact folder.
        dir: PathBuf,
        /// The new folder to write the repository into.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Where the repository will be pushed, as OWNER/REPO on GitHub (for the badges).
        #[arg(long)]
        github: String,
        /// The branch the badges open.
        #[arg(long, default_value = "main")]
        branch: String,
    },
}

/// Parses the command line and runs the subcommand.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Verify { dir, max_file_size } => {
            let mut options = VerifyOptions::default();
            if let Some(limit) = max_file_size {
                options.max_file_size = limit;
            }
            verify_cmd(&mut out, &dir, &options)
        }
        Command::Inspect { dir, json } => inspect_cmd(&mut out, &dir, json),
        Command::Diff { a, b } => diff_cmd(&mut out, &a, &b),
        Command::Card { dir } => card_cmd(&mut out, &dir),
        Command::Relaunch {
            dir,
            output,
            github,
            branch,
        } => {
            let options = linfa_export::RelaunchOptions { github, branch };
            let report = linfa_export::relaunch(&dir, &output, &options)?;
            for file in &report.files {
                writeln!(out, "wrote {}", report.dir.join(file).display())?;
            }
            writeln!(
                out,
                "push {} to github.com/{} and open its Binder badge",
                report.dir.display(),
                options.github
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn verify_cmd(out: &mut impl Write, dir: &Path, options: &VerifyOptions) -> Result<ExitCode> {
    let report = verify_with(dir, options);
    if report.is_ok() {
        let manifest = report
            .manifest
            .as_ref()
            .expect("ok reports hold a manifest");
        writeln!(
            out,
            "OK {}: {} files, {} bytes verified; artifact sha256 {}",
            dir.display(),
            report.files_hashed,
            report.bytes_hashed,
            manifest.artifact_sha256
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &report.problems {
        writeln!(out, "{}: {problem}", dir.display())?;
    }
    writeln!(
        out,
        "FAILED {}: {} problem(s); do not use this artifact, re-export or restore it",
        dir.display(),
        report.problems.len()
    )?;
    Ok(ExitCode::from(1))
}

/// Verifies `dir` and returns the report with its manifest, or an error for
/// people when there is no readable manifest at all.
fn manifest_of(dir: &Path) -> Result<(VerifyReport, Manifest)> {
    let mut report = linfa_export::verify(dir);
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

fn inspect_cmd(out: &mut impl Write, dir: &Path, json: bool) -> Result<ExitCode> {
    let (report, m) = manifest_of(dir)?;
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    if json {
        let doc = serde_json::json!({
            "dir": dir.display().to_string(),
            "verified": problems.is_empty(),
            "problems": problems,
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
    let verified = if problems.is_empty() {
        "yes".to_owned()
    } else {
        format!(
            "NO, {} problem(s); run `linfa-export verify {}`",
            problems.len(),
            dir.display()
        )
    };
    row(out, "Verified", &verified)?;
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
            "  {path:<24} {:<12} {:>12} bytes  sha256 {}",
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

fn diff_cmd(out: &mut impl Write, a: &Path, b: &Path) -> Result<ExitCode> {
    let (ra, ma) = manifest_of(a).with_context(|| format!("reading {}", a.display()))?;
    let (rb, mb) = manifest_of(b).with_context(|| format!("reading {}", b.display()))?;
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

fn card_cmd(out: &mut impl Write, dir: &Path) -> Result<ExitCode> {
    let (report, m) = manifest_of(dir)?;
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
