//! The lines the evaluation process writes to the kernel, besides plain stdout.
//!
//! evcxr reads the evaluation process's stdout line by line. We keep that single ordered pipe
//! and mark our own lines with a record separator (`\x1e`) and `LINFA`, so a display call, a
//! partial line of output and a stderr line arrive exactly in the order the cell produced them.
//! Payloads are hex so a marker is always one line, whatever the bytes. The cell-side writer
//! is the prelude ([`crate::prelude`]); the relay in [`crate::evaluation_process`] writes the
//! stream and panic markers; [`parse_line`] reads them all back in the kernel.

use repronote_core::interpreter::MimeBundle;
pub use repronote_prelude::contract::MARKER;
use repronote_prelude::contract::{MarkerKind, hex_payload, marker_line};

/// One line from the evaluation process, understood.
#[derive(Clone, Debug, PartialEq)]
pub enum ChildLine {
    /// A complete stdout line (newline not included).
    Stdout(String),
    /// Stdout text without a trailing newline, flushed because the cell paused or ended.
    PartialStdout(String),
    /// Text the cell wrote to stderr (newlines included).
    Stderr(String),
    Display {
        display_id: Option<String>,
        data: MimeBundle,
    },
    UpdateDisplay {
        display_id: String,
        data: MimeBundle,
    },
    ClearOutput {
        wait: bool,
    },
    /// The cell panicked; the message came just before on stderr.
    Panic,
    /// A marker this kernel does not know (from a newer prelude); ignored.
    Unknown(String),
}

/// Encodes the relay's stream markers (`kind` is `Stdout` or `Stderr`), newline included.
pub fn stream_marker(kind: MarkerKind, bytes: &[u8]) -> Vec<u8> {
    let mut line = marker_line(kind, &[&hex_payload(bytes)]).into_bytes();
    line.push(b'\n');
    line
}

/// Reads one line of the evaluation process's stdout.
pub fn parse_line(line: String) -> ChildLine {
    let Some(rest) = line.strip_prefix(MARKER) else {
        return ChildLine::Stdout(line);
    };
    let mut words = rest.split(' ');
    let kind = words.next().and_then(MarkerKind::parse);
    let text = |hex_text: Option<&str>| {
        hex_text
            .and_then(|h| hex::decode(h).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let parsed = match kind {
        Some(MarkerKind::Stdout) => text(words.next()).map(ChildLine::PartialStdout),
        Some(MarkerKind::Stderr) => text(words.next()).map(ChildLine::Stderr),
        Some(MarkerKind::Panic) => Some(ChildLine::Panic),
        Some(MarkerKind::Clear) => Some(ChildLine::ClearOutput {
            wait: words.next() == Some("1"),
        }),
        Some(MarkerKind::Display) => {
            let id = words.next().filter(|id| *id != "-").map(str::to_owned);
            bundle(words).map(|data| ChildLine::Display {
                display_id: id,
                data,
            })
        }
        Some(MarkerKind::Update) => {
            let id = words.next().map(str::to_owned);
            id.zip(bundle(words))
                .map(|(display_id, data)| ChildLine::UpdateDisplay { display_id, data })
        }
        Some(MarkerKind::Flusher | MarkerKind::Flushed) | None => None,
    };
    parsed.unwrap_or_else(|| ChildLine::Unknown(rest.to_owned()))
}

/// `mime=hex mime=hex ...` into a bundle; JSON mime types carry JSON, the rest text.
fn bundle<'a>(words: impl Iterator<Item = &'a str>) -> Option<MimeBundle> {
    let mut data = MimeBundle::new();
    for word in words.filter(|w| !w.is_empty()) {
        let (mime, hex_payload) = word.split_once('=')?;
        let bytes = hex::decode(hex_payload).ok()?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let value = if mime.ends_with("json") {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        } else {
            serde_json::Value::String(text)
        };
        data.insert(mime.to_owned(), value);
    }
    (!data.is_empty()).then_some(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_are_stdout() {
        assert_eq!(
            parse_line("hello".into()),
            ChildLine::Stdout("hello".into())
        );
    }

    #[test]
    fn stream_markers_round_trip() {
        let line = String::from_utf8(stream_marker(MarkerKind::Stderr, b"oops\n")).unwrap();
        assert_eq!(
            parse_line(line.trim_end().to_owned()),
            ChildLine::Stderr("oops\n".into())
        );
    }

    #[test]
    fn display_markers_carry_bundles_and_ids() {
        let line = format!(
            "{MARKER}display bar-1 text/html={} text/plain={}",
            hex::encode("<b>x</b>"),
            hex::encode("x")
        );
        let ChildLine::Display { display_id, data } = parse_line(line) else {
            panic!("not a display");
        };
        assert_eq!(display_id.as_deref(), Some("bar-1"));
        assert_eq!(data["text/html"], "<b>x</b>");
        assert_eq!(data["text/plain"], "x");
    }

    #[test]
    fn broken_markers_are_unknown_not_fatal() {
        let line = format!("{MARKER}display - text/html=zz");
        assert!(matches!(parse_line(line), ChildLine::Unknown(_)));
        let line = format!("{MARKER}brand-new 1 2");
        assert!(matches!(parse_line(line), ChildLine::Unknown(_)));
    }
}
