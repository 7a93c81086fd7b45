//! Command-line parsing, and which subcommand runs.
//!
//! Exit codes are part of the interface: 0 means "all good" (verified, or
//! identical for `diff`), 1 means "looked fine as a command, but the answer is
//! no" (problems found, a pin or signature that does not hold, artifacts
//! differ, an artifact too broken to sign), 2 means the command itself could
//! not run (unreadable folder or key, bad arguments).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use linfa_export::{Curve, Trust, VerifyOptions};

use crate::{show, trust};

#[derive(Debug, Parser)]
#[command(
    name = "linfa-export",
    version,
    about = "Check, sign, inspect and compare exported linfa models"
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// What an artifact must be beyond consistent (for `verify` and `inspect`).
#[derive(Debug, clap::Args)]
struct TrustArgs {
    /// Refuse unless the artifact digest (`artifact_sha256`) is HEX: the digest you were given.
    #[arg(long, value_name = "HEX")]
    expect: Option<String>,
    /// Refuse unless DIR/model.sig is a valid signature by this public key (PEM) over every file.
    #[arg(long, value_name = "PUBLIC.pem")]
    public_key: Option<PathBuf>,
}

impl TrustArgs {
    fn trust(&self) -> Result<Trust> {
        let mut trust = Trust::consistency();
        if let Some(digest) = &self.expect {
            trust = trust.and_digest(digest)?;
        }
        if let Some(path) = &self.public_key {
            let key = linfa_export::PublicKey::read_pem_file(path)?;
            trust = trust.and_key(key);
        }
        Ok(trust)
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Re-hash every file and check it against the manifest (and a pinned digest or a
    /// signature, when asked); exit 0 only if all holds.
    Verify {
        /// Artifact folder.
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// Refuse files declared larger than this many bytes.
        #[arg(long)]
        max_file_size: Option<u64>,
        /// Also verify these parent artifacts, and refuse unless they are exactly the direct
        /// parents DIR's manifest records (compared by artifact digest).
        #[arg(long, value_name = "PARENT_DIR", num_args = 1..)]
        lineage: Option<Vec<PathBuf>>,
    },
    /// Sign a verified artifact: write DIR/model.sig (OpenSSF model_signing format) over every file.
    Sign {
        /// Artifact folder.
        dir: PathBuf,
        /// Private key, PEM (PKCS#8 or SEC1, ECDSA P-256 or P-384), e.g. from `linfa-export keygen`.
        #[arg(long, value_name = "PRIVATE.pem")]
        key: PathBuf,
    },
    /// Make a signing key pair: PREFIX.private.pem (PKCS#8, mode 0600) and PREFIX.public.pem.
    Keygen {
        /// Path prefix of the two files, e.g. `keys/alice`.
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
        /// The elliptic curve: p256 (what model_signing users mostly have) or p384.
        #[arg(long, default_value = "p256")]
        curve: Curve,
    },
    /// Summarise an artifact (verifies it too) and say who signed it.
    Inspect {
        /// Artifact folder.
        dir: PathBuf,
        /// Print JSON for tools instead of a summary.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Show what differs between two artifacts; exit 0 if nothing does.
    Diff {
        /// First artifact folder.
        a: PathBuf,
        /// Second artifact folder.
        b: PathBuf,
    },
    /// Compare a re-run of an artifact's training with the original: identical artifact
    /// digest, or every file and metric that differs; exit 0 only if reproduced.
    Compare {
        /// The original artifact folder.
        original: PathBuf,
        /// The artifact the re-run exported.
        rerun: PathBuf,
    },
    /// Say whether the data file the artifact's data fingerprint names (`source`, a relative
    /// path) is in DATA_DIR, and the fingerprint it must have; exit 1 if it is missing.
    CheckData {
        /// Artifact folder.
        dir: PathBuf,
        /// The folder a re-run reads its data from.
        data_dir: PathBuf,
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
        Command::Verify {
            dir,
            trust,
            max_file_size,
            lineage,
        } => {
            let mut options = VerifyOptions::trusting(trust.trust()?);
            // A command-line check builds nothing on the artifact.
            options.record_lineage = false;
            if let Some(limit) = max_file_size {
                options.max_file_size = limit;
            }
            trust::verify_cmd(&mut out, &dir, &options, lineage.as_deref())
        }
        Command::Sign { dir, key } => {
            let key = linfa_export::PrivateKey::read_pem_file(&key)?;
            trust::sign_cmd(&mut out, &dir, &key)
        }
        Command::Keygen { out: prefix, curve } => trust::keygen_cmd(&mut out, &prefix, curve),
        Command::Inspect { dir, json, trust } => show::inspect_cmd(
            &mut out,
            &dir,
            json,
            &VerifyOptions {
                record_lineage: false,
                ..VerifyOptions::trusting(trust.trust()?)
            },
        ),
        Command::Compare { original, rerun } => show::compare_cmd(&mut out, &original, &rerun),
        Command::CheckData { dir, data_dir } => show::check_data_cmd(&mut out, &dir, &data_dir),
        Command::Diff { a, b } => show::diff_cmd(&mut out, &a, &b),
        Command::Card { dir } => show::card_cmd(&mut out, &dir),
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
