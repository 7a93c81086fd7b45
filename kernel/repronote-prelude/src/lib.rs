// The prelude every kernel session has before the first cell: the crate
// `repronote-prelude`. With the preloaded stack it is a prebuilt dependency that the session
// imports with one `use`; without the stack this file is evaluated as cell text, so it stays
// plain Rust with `//` comments and, outside the `rand` feature, std only.
//
// Cells use it to show rich output while they run, and to ask for input:
//   display_html("<b>done</b>");
//   let bar = display_updatable(&[("text/plain", "0%")]);  bar.update(&[("text/plain", "50%")]);
//   clear_output(true);
//   let name = input("Your name? ");
// and for randomness that repeats: cell_seed(), and rng() with the stack. With the stack, one
// call shows a chart or a table:
//   plot(640, 400, |area| { /* plotters drawing on `area` */ Ok(()) })?;
//   table(&linfa_datasets::iris());   confusion_table(&predicted, &truth);
//   confusion_chart(&predicted, &truth)?;  // the same counts as squares
//   let bar = progress("epochs", 10);  bar.set(3, "loss 0.25");
//   regions(0.0..7.5, 0.0..2.8, (150, 80), |x, y| class_at(x, y))  // decision regions to draw

// contract: begin (evaluated as cell text, contract.rs comes first, whole, instead of this)
pub mod contract;
use contract::{CELL_SEED_FILE_ENV, FLUSH_FIFO_ENV, MarkerKind, hex_payload, marker_line};
// contract: end

// stack only: begin (left out when this file is evaluated as cell text)
pub mod numerics;
#[cfg(feature = "provenance")]
pub mod provenance;
#[cfg(feature = "rand")]
mod seeded_rng;
#[cfg(feature = "rand")]
pub use seeded_rng::rng;
#[cfg(feature = "display")]
mod regions;
#[cfg(feature = "display")]
pub use regions::{Region, regions};
#[cfg(feature = "display")]
mod show;
#[cfg(feature = "display")]
pub use show::{
    ConfusionCounts, Progress, Tabular, confusion_chart, confusion_table, plot, progress, table,
};
// stack only: end

/// This cell's seed: derived by the kernel from the session seed (`:seed N`) and the cell's
/// identity, the same every time the cell runs. Seed generators with it, e.g.
/// `Xoshiro256PlusPlus::seed_from_u64(cell_seed())`.
pub fn cell_seed() -> u64 {
    std::env::var(CELL_SEED_FILE_ENV)
        .ok()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| text.trim().parse().ok())
        .expect("the kernel hands every cell a seed; restart the kernel if this fails")
}

/// A display that can be replaced later with [`DisplayHandle::update`].
#[derive(Debug, Clone)]
pub struct DisplayHandle {
    id: String,
}

impl DisplayHandle {
    /// The `display_id` the frontend knows this display by.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Replaces what this display shows.
    pub fn update(&self, bundle: &[(&str, &str)]) {
        repronote_emit(MarkerKind::Update, &self.id, bundle);
    }

    /// Replaces what this display shows with HTML.
    pub fn update_html(&self, html: &str) {
        self.update(&[("text/html", html), ("text/plain", html)]);
    }
}

/// Shows a MIME bundle, e.g. `display(&[("text/html", "<b>hi</b>"), ("text/plain", "hi")])`.
pub fn display(bundle: &[(&str, &str)]) {
    repronote_emit(MarkerKind::Display, "-", bundle);
}

/// Shows a MIME bundle that can be updated in place later.
pub fn display_updatable(bundle: &[(&str, &str)]) -> DisplayHandle {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let handle = DisplayHandle {
        id: format!("linfa-{}-{nanos:x}", std::process::id()),
    };
    repronote_emit(MarkerKind::Display, &handle.id, bundle);
    handle
}

/// Shows HTML.
pub fn display_html(html: &str) {
    display(&[("text/html", html), ("text/plain", html)]);
}

/// Shows an SVG image (for example a plotters chart rendered to a string).
pub fn display_svg(svg: &str) {
    // Frontends render SVG only in trusted notebooks; elsewhere they show the plain text.
    display(&[
        ("image/svg+xml", svg),
        (
            "text/plain",
            "[SVG image: run the cell, or trust the notebook, to see it]",
        ),
    ]);
}

/// Shows Markdown.
pub fn display_markdown(markdown: &str) {
    display(&[("text/markdown", markdown), ("text/plain", markdown)]);
}

/// Asks the notebook's user for a line of text (an input box appears under the cell).
pub fn input(prompt: &str) -> String {
    repronote_read_line(prompt, false)
}

/// Like [`input`], with the typed text hidden.
pub fn input_password(prompt: &str) -> String {
    repronote_read_line(prompt, true)
}

fn repronote_read_line(prompt: &str, password: bool) -> String {
    use std::io::Write;
    // evcxr answers these two request lines by asking the frontend, then writes the answer to
    // this process's stdin.
    let request = if password {
        "EVCXR_INPUT_REQUEST_PASSWORD"
    } else {
        "EVCXR_INPUT_REQUEST"
    };
    repronote_write_line(&format!("{request}:{}", prompt.replace(':', " ")));
    let _ = std::io::stdout().lock().flush();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\n', '\r']).to_owned()
}

/// Clears the cell's output; with `wait`, only once new output arrives (no flicker).
pub fn clear_output(wait: bool) {
    repronote_write_line(&marker_line(
        MarkerKind::Clear,
        &[if wait { "1" } else { "0" }],
    ));
}

fn repronote_emit(kind: MarkerKind, id: &str, bundle: &[(&str, &str)]) {
    let words: Vec<String> = bundle
        .iter()
        .map(|(mime, payload)| format!("{mime}={}", hex_payload(payload.as_bytes())))
        .collect();
    let mut all: Vec<&str> = vec![id];
    all.extend(words.iter().map(String::as_str));
    repronote_write_line(&marker_line(kind, &all));
}

fn repronote_write_line(line: &str) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Whatever the cell printed without a newline goes out first, as its own text.
    let _ = out.flush();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Keeps the cell's stdout moving: flushes it every few milliseconds, and on the relay's request
/// (a byte on the flush FIFO) flushes and confirms, so output never trails the end of a cell.
/// Returns whether it runs.
pub fn repronote_start_flusher() -> bool {
    use std::io::{Read, Write};
    let Ok(fifo_path) = std::env::var(FLUSH_FIFO_ENV) else {
        return false;
    };
    let Ok(mut fifo) = std::fs::File::open(&fifo_path) else {
        return false;
    };
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(std::time::Duration::from_millis(30));
            let _ = std::io::stdout().lock().flush();
        }
    });
    std::thread::spawn(move || {
        let mut request = [0u8; 1];
        while fifo.read_exact(&mut request).is_ok() {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let _ = out.flush();
            let _ = writeln!(out, "{}", marker_line(MarkerKind::Flushed, &[]));
            let _ = out.flush();
        }
    });
    repronote_write_line(&marker_line(MarkerKind::Flusher, &[]));
    true
}

/// Shows a cell's final expression. evcxr first compiles `(expr).evcxr_display()` and, when
/// the type has no such method, compiles the cell a second time to print its `Debug` form; this
/// method gives every `Debug` type that form at once, so the cell compiles once. A type's own
/// `evcxr_display` (an inherent method) still takes precedence.
pub trait LinfaKernelShow {
    fn evcxr_display(&self);
}

impl<T: std::fmt::Debug + ?Sized> LinfaKernelShow for T {
    fn evcxr_display(&self) {
        use std::io::Write;
        let text = format!("{self:?}");
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let _ = out.write_all(b"EVCXR_BEGIN_CONTENT text/plain\n");
        let _ = out.write_all(text.as_bytes());
        let _ = out.write_all(b"\nEVCXR_END_CONTENT\n");
        let _ = out.flush();
    }
}

/// The error type of a `Result` alias: `<linfa_svm::error::Result<()> as ResultAliasError>::Error`
/// is `SvmError`. A cell that imports a crate's one-parameter `Result` alias gets, in its place,
/// a two-parameter alias whose second parameter defaults to this, so `Result<T>` in the cell
/// still means the crate's alias while `Result<T, E>` (which evcxr's own generated code writes)
/// keeps working.
pub trait ResultAliasError {
    type Error;
}

impl<T, E> ResultAliasError for std::result::Result<T, E> {
    type Error = E;
}
