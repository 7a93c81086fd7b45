// The contract between the kernel and the processes it starts: the one place that names the
// environment variables they share and the marker lines a running cell writes to the kernel.
//
// Why here: the prelude runs inside the evaluation process and is the writer of most markers;
// the kernel (repronote-evcxr), the notebook tooling and linfa-export depend on this crate for
// the same names, so a renamed variable or marker cannot drift between writer and reader.
// Without the preloaded stack this file is evaluated as cell text ahead of the prelude, so it
// stays std only, with `//` comments.

/// Names the file that holds the running cell's seed (written by the kernel before each cell).
pub const CELL_SEED_FILE_ENV: &str = "REPRONOTE_CELL_SEED_FILE";
/// Names the FIFO on which the output relay asks the prelude's flusher to flush stdout.
pub const FLUSH_FIFO_ENV: &str = "REPRONOTE_FLUSH_FIFO";
/// Names the file holding the session's provenance, which linfa-export reads on every export.
pub const PROVENANCE_FILE_ENV: &str = "REPRONOTE_PROVENANCE_FILE";
/// Names the file holding the session's training record (the source and identity of every cell
/// the provenance lists), which linfa-export copies into an export so `nb reproduce` can re-run it.
pub const TRAINING_RECORD_FILE_ENV: &str = "REPRONOTE_TRAINING_RECORD_FILE";
/// Names the file where linfa-export lists the artifacts this session loaded after verifying
/// them: the parents every later export of the session records as its lineage.
pub const LINEAGE_FILE_ENV: &str = "REPRONOTE_LINEAGE_FILE";
/// Set by the kernel for cargo's rustc wrapper: the cells' crate is compiled through this binary.
pub const RUSTC_WRAPPER_ENV: &str = "REPRONOTE_RUSTC_WRAPPER";
/// `off` (the default) or `thin`: rustc's crate-local LTO for cells.
pub const CELL_LTO_ENV: &str = "REPRONOTE_CELL_LTO";
/// Where prebuilt stacks and sessions are kept (default: the user's cache folder).
pub const CACHE_ENV: &str = "REPRONOTE_CACHE";
/// Names the session folder of a kernel, so that tools it starts find the same stack.
pub const SESSION_ENV: &str = "REPRONOTE_SESSION";

/// How a session with the preloaded stack brings the prelude into scope.
pub const STACK_IMPORT: &str = "use repronote_prelude::*;";

/// Starts every marker line: a record separator, then a word no program prints by chance.
pub const MARKER: &str = "\u{1e}LINFA ";

/// What a marker line says. Written with [`marker_line`], read back with [`MarkerKind::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// `display ID mime=hex ...` (`ID` is `-` for a display that is never updated).
    Display,
    /// `update ID mime=hex ...`
    Update,
    /// `clear 1|0` (wait for new output or not).
    Clear,
    /// `stdout hex`: stdout text without a newline, flushed because the cell paused.
    Stdout,
    /// `stderr hex`
    Stderr,
    /// `panic`: the cell panicked; the message came just before on stderr.
    Panic,
    /// `flusher`: the prelude's flusher runs.
    Flusher,
    /// `flushed`: the flusher flushed stdout on the relay's request.
    Flushed,
}

impl MarkerKind {
    const ALL: [MarkerKind; 8] = [
        MarkerKind::Display,
        MarkerKind::Update,
        MarkerKind::Clear,
        MarkerKind::Stdout,
        MarkerKind::Stderr,
        MarkerKind::Panic,
        MarkerKind::Flusher,
        MarkerKind::Flushed,
    ];

    /// The word that names this kind on the line.
    pub fn word(self) -> &'static str {
        match self {
            MarkerKind::Display => "display",
            MarkerKind::Update => "update",
            MarkerKind::Clear => "clear",
            MarkerKind::Stdout => "stdout",
            MarkerKind::Stderr => "stderr",
            MarkerKind::Panic => "panic",
            MarkerKind::Flusher => "flusher",
            MarkerKind::Flushed => "flushed",
        }
    }

    /// The kind named by `word`, or `None` for a word this version does not know.
    pub fn parse(word: &str) -> Option<MarkerKind> {
        MarkerKind::ALL.into_iter().find(|kind| kind.word() == word)
    }
}

/// A marker line (without its newline): the marker, the kind's word, then `words`, each
/// after one space.
pub fn marker_line(kind: MarkerKind, words: &[&str]) -> String {
    let mut line = format!("{MARKER}{}", kind.word());
    for word in words {
        line.push(' ');
        line.push_str(word);
    }
    line
}

/// Bytes as lowercase hex: marker payloads are hex, so a marker is always one line.
pub fn hex_payload(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}
