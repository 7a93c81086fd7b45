//! The seeding policy in front of an interpreter: magics, entropy refusal, per-cell seeds.
//!
//! Every cell passes through here before it is compiled ([`crate::policy`] has the rules).
//! `:seed`, `:seed N` and `:allow_entropy` are answered here and taken out of the cell (their
//! lines stay, empty, so compiler messages keep their line numbers); a cell that calls an
//! entropy source is refused without being compiled; every other cell gets its seed.

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
            SeedingMagic::ShowSeed => {}
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

impl Interpreter for Seeded {
    fn execute(&mut self, cell: &Cell, outputs: &Outputs) -> Result<Executed, CellError> {
        let (magics, code) = policy::take_magics(&cell.code).map_err(|error| CellError {
            kind: CellErrorKind::MagicError,
            evalue: error.to_string(),
            traceback: vec![error.to_string()],
        })?;
        for magic in &magics {
            self.apply(magic, outputs);
        }
        if self.provenance.is_reproducible() {
            let sources = policy::entropy_in(&code);
            if !sources.is_empty() {
                return Err(refusal(&sources));
            }
        }
        self.provenance.record_cell(&cell.code);
        if code.trim().is_empty() {
            return Ok(Executed::default());
        }
        let identity = cell.id.as_deref().unwrap_or(&code);
        let seeded = Cell {
            seed: Some(policy::cell_seed(self.provenance.seed(), identity)),
            code,
            id: cell.id.clone(),
            provenance: Some(self.provenance.to_json()),
        };
        let result = self.inner.execute(&seeded, outputs);
        if matches!(&result, Err(error) if error.kind == CellErrorKind::CompilationError) {
            // Nothing of it ran.
            self.provenance.forget_last_cell();
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
}
