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
