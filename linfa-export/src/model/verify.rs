//! The public verification: a check that, when it holds, makes the artifact a parent.
//!
//! [`verify_with`] runs the check of the trust layer (`trust::verify`: consistency, then the
//! policy) and, when the artifact verifies, records it in the session's lineage
//! (`record::lineage`), so a later export names it as a parent. The check and the recording
//! are kept apart on purpose: integrity and trust say what an artifact is and never write to
//! the session; only this layer, which a user calls to build on an artifact, does.

use std::path::Path;

use crate::format::error::Refused;
use crate::format::parent::Parent;
use crate::record::lineage::{self, Use};
use crate::trust::policy::{Trust, Verified};
use crate::trust::verify::{VerifyOptions, VerifyReport, verify_quiet};

/// Verifies the artifact at `dir` with default limits.
pub fn verify(dir: impl AsRef<Path>) -> VerifyReport {
    verify_with(dir, &VerifyOptions::default())
}

/// Verifies the artifact at `dir` with `options` (limits and trust policy).
///
/// When it verifies, the artifact joins the session's lineage (unless this session exported
/// it itself, or `options.record_lineage` is off): a later export names it as a parent. A
/// lineage that cannot be written is a problem in the report
/// ([`VerifyError::SessionLineage`](crate::VerifyError::SessionLineage)).
pub fn verify_with(dir: impl AsRef<Path>, options: &VerifyOptions) -> VerifyReport {
    let dir = dir.as_ref();
    let mut report = verify_quiet(dir, options);
    if options.record_lineage
        && report.is_ok()
        && let Some(manifest) = &report.manifest
    {
        let parent = Parent::of(manifest, &report.assurance, Some(dir));
        if let Err(e) = lineage::record(parent, Use::Verified) {
            report.problems.push(e);
        }
    }
    report
}

/// Verifies the artifact at `dir` under `trust`, with default limits.
///
/// ```no_run
/// use linfa_export::{Trust, verify_trusted};
/// let pinned = Trust::digest("6c5bd3fe0d2fc6e2e5c5b9c4a1f3e3b4d0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5")?;
/// match verify_trusted("models/iris", &pinned) {
///     Ok(verified) => println!("{}: {}", verified.digest(), verified.assurance),
///     Err(refused) => eprintln!("{refused}"),
/// }
/// # Ok::<(), linfa_export::TrustError>(())
/// ```
pub fn verify_trusted(dir: impl AsRef<Path>, trust: &Trust) -> Result<Verified, Refused> {
    verify_with(dir, &VerifyOptions::trusting(trust.clone())).into_result()
}
