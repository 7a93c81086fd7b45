//! `nb reproduce`: check an exported model's claim by making it again.
//!
//! An export made in a kernel session carries its training record: the source of every cell
//! that ran, in order, with the identity each cell's seed came from. Since a cell's seed depends
//! only on the session seed and that identity, running the record in a fresh kernel, in a copy
//! of the folder the export was made in, must write the same artifact. The artifact digest
//! covers the model, its metrics, its data fingerprint and its provenance, so one comparison
//! settles the claim; when it fails, linfa-export's comparison names each file and metric that
//! differ, and by how much. The re-run works in a copy, so the user's files are never changed,
//! and a copy that did not reproduce is kept for the user to look at.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use jupyter_protocol::{JupyterMessageContent, ReplyStatus};
use linfa_export::{ArtifactTrainingRecord, Reproduction};
use repronote_zmq::client::{ClientError, KernelClient};

use super::folder::copy_folder;
use super::run::RunOptions;

/// What `nb reproduce` needs besides the artifact.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// The kernel to re-run in, its cell timeout, and whether to print progress.
    pub run: RunOptions,
    /// The folder holding what the cells read (data files, parent artifacts); by default the
    /// folder the export was made in, found from where the artifact lies.
    pub data: Option<PathBuf>,
}

/// Why a reproduction could not be attempted or finished.
#[derive(Debug, thiserror::Error)]
pub enum ReproduceError {
    #[error("{artifact}: it does not verify, so there is no claim to check:\n{problems}")]
    Unverified { artifact: PathBuf, problems: String },
    #[error(
        "{artifact}: {why}, so it cannot be re-run; only an export made in a repronote session \
         with its training record can"
    )]
    NoRecord { artifact: PathBuf, why: String },
    #[error(
        "{artifact}: the export was written outside the folder its session worked in, so the \
         re-run's copy cannot be found; export to a path inside the notebook's folder"
    )]
    OutsideItsFolder { artifact: PathBuf },
    #[error(
        "{artifact}: its session started with seed {recorded}, and this kernel's sessions start \
         with seed {ours}; re-run it with the kernel version its manifest names"
    )]
    OtherDefaultSeed {
        artifact: PathBuf,
        recorded: u64,
        ours: u64,
    },
    #[error(
        "the data folder {data} lacks what the training read:\n{missing}\npass the folder that holds it with --data DIR"
    )]
    MissingData { data: PathBuf, missing: String },
    #[error("cannot copy {folder} for the re-run: {reason}")]
    Copy { folder: PathBuf, reason: String },
    #[error("{0}")]
    Read(#[from] linfa_export::VerifyError),
    #[error("the re-run stopped at cell {number} of {total}: {error}")]
    Kernel {
        number: usize,
        total: usize,
        error: ClientError,
    },
    #[error("cannot start the re-run: {0}")]
    Start(ClientError),
    #[error("{0}")]
    Failed(String),
    #[error(
        "the re-run did not write {path} (the artifact the record exports){failures}; its copy \
         of the folder is kept in {kept}"
    )]
    NotWritten {
        path: String,
        failures: String,
        kept: PathBuf,
    },
}

/// A cell of the record that failed in the re-run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCell {
    /// 1-based position in the record.
    pub number: usize,
    pub id: Option<String>,
    pub ename: String,
    pub evalue: String,
}

impl fmt::Display for FailedCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cell {}", self.number)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        write!(f, " failed: {}: {}", self.ename, self.evalue)
    }
}

/// The outcome of a re-run that wrote the artifact again.
#[derive(Debug)]
pub struct Reproduced {
    /// How many recorded cells ran.
    pub cells: usize,
    /// Recorded cells that failed in the re-run (a cell may have failed the first time too).
    pub failed: Vec<FailedCell>,
    /// linfa-export's comparison of the original with the re-run's artifact.
    pub comparison: Reproduction,
    /// The re-run's folder, kept when the artifact differs.
    pub kept: Option<PathBuf>,
}

impl Reproduced {
    /// True when the re-run wrote an artifact with the original's digest.
    pub fn is_reproduced(&self) -> bool {
        self.comparison.is_identical()
    }
}

impl fmt::Display for Reproduced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.comparison)?;
        for failed in &self.failed {
            write!(f, "\nin the re-run, {failed}")?;
        }
        if let Some(kept) = &self.kept {
            write!(f, "\nthe re-run's folder is kept in {}", kept.display())?;
        }
        Ok(())
    }
}

/// An artifact ready to be re-run: verified, with its record and the folder it was made in.
#[derive(Debug)]
struct Claim {
    artifact: PathBuf,
    record: ArtifactTrainingRecord,
    /// Where the export was written, relative to its session's folder.
    relative: String,
    data: PathBuf,
}

/// Re-runs `artifact`'s training record in a fresh kernel and compares what it exports.
pub async fn reproduce(
    artifact: &Path,
    options: &ReproduceOptions,
) -> Result<Reproduced, ReproduceError> {
    let mut all = reproduce_all(&[artifact.to_owned()], options).await;
    all.pop().expect("one result per artifact").1
}

/// [`reproduce`] for several artifacts: those made in one session (each record the start of
/// another's, with the same data folder) share one re-run, the longest record's. One result per
/// artifact, in the order given.
pub async fn reproduce_all(
    artifacts: &[PathBuf],
    options: &ReproduceOptions,
) -> Vec<(PathBuf, Result<Reproduced, ReproduceError>)> {
    let mut results: Vec<Option<Result<Reproduced, ReproduceError>>> =
        artifacts.iter().map(|_| None).collect();
    let mut claims = Vec::new();
    for (index, artifact) in artifacts.iter().enumerate() {
        match claim(artifact, options) {
            Ok(claim) => claims.push((index, claim)),
            Err(error) => results[index] = Some(Err(error)),
        }
    }
    claims.sort_by_key(|(_, claim)| std::cmp::Reverse(claim.record.cells.len()));
    let mut runs: Vec<Vec<(usize, Claim)>> = Vec::new();
    for (index, claim) in claims {
        let shared = runs.iter_mut().find(|run| {
            let longest = &run[0].1;
            longest.data == claim.data
                && longest.record.seed == claim.record.seed
                && longest.record.cells.starts_with(&claim.record.cells)
        });
        match shared {
            Some(run) => run.push((index, claim)),
            None => runs.push(vec![(index, claim)]),
        }
    }
    for run in runs {
        for (index, result) in rerun(&run, options).await {
            results[index] = Some(result);
        }
    }
    artifacts
        .iter()
        .cloned()
        .zip(
            results
                .into_iter()
                .map(|r| r.expect("every artifact has a result")),
        )
        .collect()
}

/// Verifies `artifact` and finds its record and data folder.
fn claim(artifact: &Path, options: &ReproduceOptions) -> Result<Claim, ReproduceError> {
    let report = linfa_export::verify(artifact);
    if !report.is_ok() {
        return Err(ReproduceError::Unverified {
            artifact: artifact.to_owned(),
            problems: report
                .problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    let record = training_record(artifact)?;
    let relative =
        record
            .artifact_path
            .clone()
            .ok_or_else(|| ReproduceError::OutsideItsFolder {
                artifact: artifact.to_owned(),
            })?;
    let ours = repronote_seeding::policy::DEFAULT_SEED;
    if record.seed != ours {
        return Err(ReproduceError::OtherDefaultSeed {
            artifact: artifact.to_owned(),
            recorded: record.seed,
            ours,
        });
    }
    let data = match &options.data {
        Some(data) => data.clone(),
        None => session_folder(artifact, &relative),
    };
    let missing = linfa_export::missing_data(artifact, &data)?;
    if !missing.is_empty() {
        return Err(ReproduceError::MissingData {
            data,
            missing: missing
                .iter()
                .map(|m| format!("  {m}"))
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    Ok(Claim {
        artifact: artifact.to_owned(),
        record,
        relative,
        data,
    })
}

/// Runs the first (longest) claim's record once, in a copy of the data folder without the
/// artifacts themselves, and compares every claim's artifact with what the run wrote.
async fn rerun(
    run: &[(usize, Claim)],
    options: &ReproduceOptions,
) -> Vec<(usize, Result<Reproduced, ReproduceError>)> {
    let longest = &run[0].1;
    let every = |error: &dyn Fn() -> ReproduceError| {
        run.iter()
            .map(|(index, _)| (*index, Err(error())))
            .collect::<Vec<_>>()
    };
    let copy = std::env::temp_dir().join(format!("repronote-reproduce-{}", uuid::Uuid::new_v4()));
    let copied = std::fs::create_dir_all(&copy)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            let skip: Vec<&Path> = run.iter().map(|(_, c)| c.artifact.as_path()).collect();
            copy_folder(&longest.data, &copy, &skip)
        });
    if let Err(reason) = copied {
        let _ = std::fs::remove_dir_all(&copy);
        return every(&|| ReproduceError::Copy {
            folder: longest.data.clone(),
            reason: reason.clone(),
        });
    }
    let failed = match run_record(&longest.record, &copy, &options.run).await {
        Ok(failed) => failed,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&copy);
            let message = error.to_string();
            return every(&|| ReproduceError::Failed(message.clone()));
        }
    };
    let mut keep = false;
    let mut results = Vec::new();
    for (index, claim) in run {
        let rerun = copy.join(&claim.relative);
        let result = if !rerun.join(linfa_export::MANIFEST_FILE).is_file() {
            keep = true;
            Err(ReproduceError::NotWritten {
                path: claim.relative.clone(),
                failures: failed.iter().map(|f| format!("; {f}")).collect(),
                kept: copy.clone(),
            })
        } else {
            match linfa_export::compare_reproduction(&claim.artifact, &rerun) {
                Ok(comparison) => {
                    let identical = comparison.is_identical();
                    keep |= !identical;
                    Ok(Reproduced {
                        cells: claim.record.cells.len(),
                        failed: failed.clone(),
                        comparison,
                        kept: (!identical).then(|| copy.clone()),
                    })
                }
                Err(error) => Err(ReproduceError::Read(error)),
            }
        };
        results.push((*index, result));
    }
    if !keep {
        let _ = std::fs::remove_dir_all(&copy);
    }
    results
}

/// The artifact's training record, or why it has none.
fn training_record(artifact: &Path) -> Result<ArtifactTrainingRecord, ReproduceError> {
    let no_record = |why: &str| ReproduceError::NoRecord {
        artifact: artifact.to_owned(),
        why: why.to_owned(),
    };
    match linfa_export::read_training_record(artifact)? {
        Some(record) if !record.cells.is_empty() => Ok(record),
        Some(_) => Err(no_record("its training record lists no cell")),
        None => {
            let manifest = linfa_export::read_manifest(artifact)?;
            Err(match manifest.training_record {
                Some(linfa_export::TrainingRecordStatus::Withheld) => {
                    no_record("its author withheld the training record (private code)")
                }
                _ => no_record(
                    "it carries no training record (it was exported outside a kernel session)",
                ),
            })
        }
    }
}

/// The folder the export was made in: the artifact's path without the `relative` path it was
/// exported to, or, when the artifact has been moved under another name, the folder it lies in.
fn session_folder(artifact: &Path, relative: &str) -> PathBuf {
    let absolute = std::path::absolute(artifact).unwrap_or_else(|_| artifact.to_owned());
    let mut folder = absolute.clone();
    for component in Path::new(relative).components().rev() {
        if folder.file_name() != Some(component.as_os_str()) {
            return absolute
                .parent()
                .map(Path::to_owned)
                .unwrap_or_else(|| PathBuf::from("."));
        }
        folder.pop();
    }
    folder
}

/// Runs every recorded cell with its identity in a fresh kernel working in `folder`; returns
/// the cells that failed.
async fn run_record(
    record: &ArtifactTrainingRecord,
    folder: &Path,
    options: &RunOptions,
) -> Result<Vec<FailedCell>, ReproduceError> {
    let started = Instant::now();
    let mut client = KernelClient::start(&options.kernel, folder)
        .await
        .map_err(ReproduceError::Start)?;
    let total = record.cells.len();
    let mut failed = Vec::new();
    let mut outcome = Ok(());
    for (index, cell) in record.cells.iter().enumerate() {
        let number = index + 1;
        let cell_started = Instant::now();
        let execution = match client
            .execute_cell(
                &cell.source,
                cell.id.as_deref(),
                false,
                options.cell_timeout,
            )
            .await
        {
            Ok(execution) => execution,
            Err(error) => {
                outcome = Err(ReproduceError::Kernel {
                    number,
                    total,
                    error,
                });
                break;
            }
        };
        let error = match execution.reply {
            JupyterMessageContent::ExecuteReply(reply) if reply.status != ReplyStatus::Ok => Some(
                reply
                    .error
                    .map(|e| (e.ename, e.evalue))
                    .unwrap_or_else(|| ("error".to_owned(), format!("{:?}", reply.status))),
            ),
            _ => None,
        };
        if options.progress {
            eprintln!(
                "[{number}/{total}] recorded cell{}: {} in {:.1} s",
                cell.id
                    .as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default(),
                if error.is_some() { "FAILED" } else { "ok" },
                cell_started.elapsed().as_secs_f64()
            );
        }
        if let Some((ename, evalue)) = error {
            failed.push(FailedCell {
                number,
                id: cell.id.clone(),
                ename,
                evalue,
            });
        }
    }
    if options.progress {
        eprintln!("re-ran in {:.1} s", started.elapsed().as_secs_f64());
    }
    client.shutdown().await;
    outcome.map(|()| failed)
}

#[cfg(test)]
mod tests;
