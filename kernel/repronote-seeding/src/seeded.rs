//! The seeding policy in front of an interpreter: magics, entropy refusal, per-cell seeds.
//!
//! Every cell passes through here before it is compiled ([`crate::policy`] has the rules).
//! `:seed`, `:seed N` and `:allow_entropy` are answered here and taken out of the cell (their
//! lines stay, empty, so compiler messages keep their line numbers); a cell that calls an
//! entropy source is refused without being compiled; every other cell gets its seed.
//!
//! Because every cell's seed depends only on the session seed and the cell's identity, running
//! the cells that completed once more rebuilds the same values. `:replay` does that after an
//! interrupt or a crash of the evaluation process has lost the session's variables, and the
//! error of such a cell offers it.

use std::sync::Arc;

use crate::policy::{self, SeedingMagic};
use crate::provenance::SessionProvenance;
use repronote_core::interpreter::{
    Cell, CellError, CellErrorKind, Completions, Executed, Interpreter, Interrupt, MimeBundle,
    Outputs, StreamName,
};
use repronote_prelude::numerics::NumericProfile;

/// An interpreter whose cells follow the seeding policy.
pub struct Seeded {
    inner: Box<dyn Interpreter>,
    /// The session seed, whether it is reproducible, and the cells that ran: what exports
    /// made in this session record.
    provenance: SessionProvenance,
    /// Every cell that completed, in order, with the session seed it ran under: what `:replay`
    /// runs again.
    completed: Vec<CompletedCell>,
    /// Set while `:replay` runs, so the cells it runs are not listed as completed twice.
    replaying: bool,
}

/// A cell that ran to its end.
#[derive(Debug, Clone)]
struct CompletedCell {
    code: String,
    id: Option<String>,
    session_seed: u64,
}

impl std::fmt::Debug for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seeded")
            .field("provenance", &self.provenance)
            .finish_non_exhaustive()
    }
}

impl Seeded {
    pub fn new(inner: Box<dyn Interpreter>) -> Self {
        Self::with_numerics(inner, NumericProfile::default())
    }

    /// A session whose provenance records `profile`, the kernel's numeric profile.
    pub fn with_numerics(inner: Box<dyn Interpreter>, profile: NumericProfile) -> Self {
        Self {
            inner,
            provenance: SessionProvenance::new(policy::DEFAULT_SEED).with_numerics(profile),
            completed: Vec::new(),
            replaying: false,
        }
    }

    fn status(&self) -> String {
        let mut text = format!(
            "Session seed: {} (each cell's seed is derived from it: cell_seed()).\n",
            self.provenance.seed()
        );
        if let Some(reason) = self.provenance.non_reproducible_reason() {
            text.push_str(&format!("This session is NOT reproducible: {reason}.\n"));
        }
        text
    }

    fn apply(&mut self, magic: &SeedingMagic, outputs: &Outputs) {
        match magic {
            SeedingMagic::ShowSeed | SeedingMagic::Replay => {}
            SeedingMagic::SetSeed(seed) => self.provenance.set_seed(*seed),
            SeedingMagic::AllowEntropy => {
                self.provenance
                    .mark_non_reproducible("entropy was allowed with `:allow_entropy`");
                outputs.stream(
                    StreamName::Stderr,
                    "Entropy allowed: calls that draw from the operating system now run, and \
                     this session is marked non-reproducible.\n",
                );
            }
        }
        outputs.stream(StreamName::Stdout, self.status());
    }
}

fn refusal(sources: &[&policy::EntropySource]) -> CellError {
    let first = sources[0];
    let mut traceback = Vec::new();
    for source in sources {
        traceback.push(format!(
            "`{}` draws its randomness from the operating system, so this notebook would give \
             different results on every run.",
            source.call
        ));
        traceback.push(format!("  use instead: {}", source.replacement));
    }
    traceback.push(
        "If you really need it, run `:allow_entropy`; the session is then marked \
         non-reproducible."
            .to_owned(),
    );
    CellError {
        kind: CellErrorKind::EntropyRefused,
        evalue: format!("`{}` is not seeded; use {}", first.call, first.replacement),
        traceback,
    }
}

impl Seeded {
    /// Runs every completed cell again, in order, each under the session seed it first ran
    /// under, then puts the current seed back.
    fn replay(&mut self, outputs: &Outputs) -> Result<Executed, CellError> {
        let cells = self.completed.clone();
        if cells.is_empty() {
            outputs.stream(
                StreamName::Stdout,
                "Nothing to replay: no cell has completed in this session yet.\n",
            );
            return Ok(Executed::default());
        }
        let current_seed = self.provenance.seed();
        self.replaying = true;
        let mut outcome = Ok(());
        for (index, cell) in cells.iter().enumerate() {
            let first_line = cell
                .code
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            outputs.stream(
                StreamName::Stdout,
                format!(
                    "Replaying cell {} of {}{}: {first_line}\n",
                    index + 1,
                    cells.len(),
                    cell.id
                        .as_deref()
                        .map(|id| format!(" ({id})"))
                        .unwrap_or_default()
                ),
            );
            self.provenance.set_seed(cell.session_seed);
            let replayed = Cell {
                code: cell.code.clone(),
                id: cell.id.clone(),
                ..Cell::default()
            };
            if let Err(mut error) = self.execute(&replayed, outputs) {
                error.evalue = format!(
                    "replay stopped at cell {} of {}: {}",
                    index + 1,
                    cells.len(),
                    error.evalue
                );
                outcome = Err(error);
                break;
            }
        }
        self.replaying = false;
        self.provenance.set_seed(current_seed);
        outcome?;
        outputs.stream(
            StreamName::Stdout,
            format!(
                "Replayed {} cells with their seeds: their variables are back.\n",
                cells.len()
            ),
        );
        Ok(Executed::default())
    }

    /// What the error of a cell whose evaluation process was restarted says about `:replay`.
    fn offer_replay(&self, error: &mut CellError) {
        if self.completed.is_empty() || self.replaying {
            return;
        }
        let offer = format!(
            "The variables of earlier cells are lost. Run `:replay` to run the {} cells that \
             completed again, each with its seed: that rebuilds the same values.",
            self.completed.len()
        );
        error.evalue = format!("{}. {offer}", error.evalue.trim_end_matches('.'));
        error.traceback.push(offer);
    }
}

impl Interpreter for Seeded {
    fn execute(&mut self, cell: &Cell, outputs: &Outputs) -> Result<Executed, CellError> {
        let (magics, code) = policy::take_magics(&cell.code).map_err(|error| CellError {
            kind: CellErrorKind::MagicError,
            evalue: error.to_string(),
            traceback: vec![error.to_string()],
        })?;
        if magics.contains(&SeedingMagic::Replay) {
            if magics.len() > 1 || !code.trim().is_empty() || self.replaying {
                let problem = "`:replay` goes in a cell of its own".to_owned();
                return Err(CellError {
                    kind: CellErrorKind::MagicError,
                    evalue: problem.clone(),
                    traceback: vec![problem],
                });
            }
            return self.replay(outputs);
        }
        for magic in &magics {
            self.apply(magic, outputs);
        }
        if self.provenance.is_reproducible() {
            let sources = policy::entropy_in(&code);
            if !sources.is_empty() {
                return Err(refusal(&sources));
            }
        }
        let session_seed = self.provenance.seed();
        self.provenance.record_cell(&cell.code, cell.id.as_deref());
        let completed = CompletedCell {
            code: cell.code.clone(),
            id: cell.id.clone(),
            session_seed,
        };
        if code.trim().is_empty() {
            if !self.replaying {
                self.completed.push(completed);
            }
            return Ok(Executed::default());
        }
        // The seed's identity is the cell's source, whatever the client: JupyterLab's `cellId`
        // is not used, so the same notebook gets the same seeds from every client. Only a
        // re-run of an older record, whose seeds came from ids, passes an identity.
        let identity = cell.id.as_deref().unwrap_or(&code);
        let seeded = Cell {
            seed: Some(policy::cell_seed(self.provenance.seed(), identity)),
            code,
            id: cell.id.clone(),
            provenance: Some(self.provenance.to_json()),
            training_record: Some(self.provenance.training_record_json()),
        };
        let mut result = self.inner.execute(&seeded, outputs);
        match &mut result {
            Ok(_) if !self.replaying => self.completed.push(completed),
            Ok(_) => {}
            // Nothing of it ran.
            Err(error) if error.kind == CellErrorKind::CompilationError => {
                self.provenance.forget_last_cell();
            }
            // What it did was lost with the evaluation process, and a re-run must not repeat
            // a cell that never finished.
            Err(error)
                if matches!(
                    error.kind,
                    CellErrorKind::Interrupted | CellErrorKind::EvaluationProcessDied
                ) =>
            {
                self.provenance.forget_last_cell();
                self.offer_replay(error);
            }
            Err(_) => {}
        }
        result
    }

    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions {
        self.inner.complete(code, cursor_pos)
    }

    fn inspect(&mut self, code: &str, cursor_pos: usize, detail_level: u8) -> Option<MimeBundle> {
        self.inner.inspect(code, cursor_pos, detail_level)
    }

    fn interrupter(&self) -> Arc<dyn Interrupt> {
        self.inner.interrupter()
    }

    fn idle(&mut self) {
        self.inner.idle();
    }
}

#[cfg(test)]
mod tests;
