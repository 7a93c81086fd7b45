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
        Self {
            inner,
            provenance: SessionProvenance::new(policy::DEFAULT_SEED),
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
mod tests {
    use super::*;
    use repronote_core::interpreter::{CellEvent, plain_text};

    /// Answers every cell with the seed it was given.
    struct EchoSeed;

    struct Never;
    impl Interrupt for Never {
        fn interrupt(&self) {}
    }

    impl Interpreter for EchoSeed {
        fn execute(&mut self, cell: &Cell, _: &Outputs) -> Result<Executed, CellError> {
            Ok(Executed {
                result: Some(plain_text(format!("{:?} {}", cell.seed, cell.code))),
                page: None,
            })
        }
        fn complete(&mut self, _: &str, _: usize) -> Completions {
            Completions::default()
        }
        fn inspect(&mut self, _: &str, _: usize, _: u8) -> Option<MimeBundle> {
            None
        }
        fn interrupter(&self) -> Arc<dyn Interrupt> {
            Arc::new(Never)
        }
    }

    fn run(seeded: &mut Seeded, cell: Cell) -> (Result<Executed, CellError>, String) {
        let (events, mut queue) = tokio::sync::mpsc::unbounded_channel();
        let outputs = Outputs::new(events, Default::default());
        let result = seeded.execute(&cell, &outputs);
        let mut text = String::new();
        while let Ok(CellEvent::Output(repronote_core::interpreter::CellOutput::Stream {
            text: t,
            ..
        })) = queue.try_recv()
        {
            text.push_str(&t);
        }
        (result, text)
    }

    fn result_text(result: Result<Executed, CellError>) -> String {
        result.unwrap().result.unwrap()["text/plain"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn cells_get_the_seed_of_their_identity() {
        let mut seeded = Seeded::new(Box::new(EchoSeed));
        let with_id = Cell {
            code: "x".into(),
            id: Some("cell-1".into()),
            ..Cell::default()
        };
        let expected = policy::cell_seed(policy::DEFAULT_SEED, "cell-1");
        assert_eq!(
            result_text(run(&mut seeded, with_id.clone()).0),
            format!("Some({expected}) x")
        );
        let (_, shown) = run(&mut seeded, Cell::new(":seed 7"));
        assert!(shown.contains("Session seed: 7"), "{shown}");
        let expected = policy::cell_seed(7, "cell-1");
        assert_eq!(
            result_text(run(&mut seeded, with_id).0),
            format!("Some({expected}) x")
        );
        let without_id = policy::cell_seed(7, "y");
        assert_eq!(
            result_text(run(&mut seeded, Cell::new("y")).0),
            format!("Some({without_id}) y")
        );
    }

    #[test]
    fn entropy_is_refused_until_allowed_and_then_marked() {
        let mut seeded = Seeded::new(Box::new(EchoSeed));
        let error = run(&mut seeded, Cell::new("let r = rand::thread_rng();"))
            .0
            .unwrap_err();
        assert_eq!(error.kind.name(), "EntropyRefused");
        assert!(error.evalue.contains("thread_rng()"));
        assert!(error.evalue.contains("use rng()"));
        let (result, shown) = run(
            &mut seeded,
            Cell::new(":allow_entropy\nlet r = rand::thread_rng();"),
        );
        assert!(result.is_ok());
        assert!(shown.contains("NOT reproducible"), "{shown}");
        let (_, shown) = run(&mut seeded, Cell::new(":seed"));
        assert!(shown.contains("NOT reproducible"), "{shown}");
    }

    #[test]
    fn magic_lines_keep_the_cells_line_numbers() {
        let mut seeded = Seeded::new(Box::new(EchoSeed));
        let text = result_text(run(&mut seeded, Cell::new(":seed 3\nlet x = 1;")).0);
        assert!(text.ends_with(" \nlet x = 1;"), "{text:?}");
        let error = run(&mut seeded, Cell::new(":seed many")).0.unwrap_err();
        assert_eq!(error.kind.name(), "MagicError");
        assert!(error.evalue.contains(":seed many"));
    }

    /// The seed and code of every cell a [`Recorder`] ran.
    type Ran = Arc<std::sync::Mutex<Vec<(Option<u64>, String)>>>;

    /// Records the seed and code of every cell it runs; `interrupt me` is interrupted.
    struct Recorder(Ran);

    impl Interpreter for Recorder {
        fn execute(&mut self, cell: &Cell, _: &Outputs) -> Result<Executed, CellError> {
            if cell.code == "interrupt me" {
                return Err(CellError {
                    kind: CellErrorKind::Interrupted,
                    evalue: "the cell was interrupted".into(),
                    traceback: vec![],
                });
            }
            self.0.lock().unwrap().push((cell.seed, cell.code.clone()));
            Ok(Executed::default())
        }
        fn complete(&mut self, _: &str, _: usize) -> Completions {
            Completions::default()
        }
        fn inspect(&mut self, _: &str, _: usize, _: u8) -> Option<MimeBundle> {
            None
        }
        fn interrupter(&self) -> Arc<dyn Interrupt> {
            Arc::new(Never)
        }
    }

    #[test]
    fn replay_runs_the_completed_cells_again_with_their_seeds() {
        let ran = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut seeded = Seeded::new(Box::new(Recorder(ran.clone())));
        let cell = |code: &str, id: &str| Cell {
            code: code.into(),
            id: Some(id.into()),
            ..Cell::default()
        };
        run(&mut seeded, cell("let a = 1;", "a")).0.unwrap();
        run(&mut seeded, cell(":seed 7\nlet b = 2;", "b"))
            .0
            .unwrap();
        run(&mut seeded, cell(":seed 9", "c")).0.unwrap();
        let before = ran.lock().unwrap().clone();
        let error = run(&mut seeded, cell("interrupt me", "d")).0.unwrap_err();
        assert!(
            error.evalue.contains("`:replay`") && error.evalue.contains("3 cells"),
            "{}",
            error.evalue
        );
        let (result, said) = run(&mut seeded, Cell::new(":replay"));
        result.unwrap();
        assert!(
            said.contains("Replaying cell 1 of 3 (a): let a = 1;")
                && said.contains("Replaying cell 2 of 3 (b): :seed 7"),
            "{said}"
        );
        let after = ran.lock().unwrap()[before.len()..].to_vec();
        assert_eq!(after, before, "the same cells ran with the same seeds");
        let (_, shown) = run(&mut seeded, Cell::new(":seed"));
        assert!(shown.contains("Session seed: 9"), "{shown}");
        // The interrupted cell left the record; the replayed ones joined it, in order.
        let record: repronote_prelude::provenance::TrainingRecord =
            serde_json::from_str(&seeded.provenance.training_record_json()).unwrap();
        let ids: Vec<_> = record.cells.iter().map(|c| c.id.as_deref()).collect();
        assert_eq!(
            ids,
            [
                Some("a"),
                Some("b"),
                Some("c"),
                Some("a"),
                Some("b"),
                Some("c"),
                None
            ]
        );
        let error = run(&mut seeded, Cell::new(":replay\nlet x = 1;"))
            .0
            .unwrap_err();
        assert!(error.evalue.contains("cell of its own"), "{}", error.evalue);
    }
}
