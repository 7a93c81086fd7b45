//! What a kernel published for a cell, as the notebook stores it.
//!
//! Follows what Jupyter clients do: consecutive stream text of one stream is one output;
//! `clear_output` empties the cell (at once, or with `wait` just before the next output);
//! `update_display_data` replaces every output shown under that `display_id`, in any cell.

use std::collections::HashMap;

use jupyter_protocol::media::MediaType;
use jupyter_protocol::messaging::{JupyterMessageContent, Stdio};
use nbformat::v4::{Cell, DisplayData, ErrorOutput, ExecuteResult, MultilineString, Output};

/// Where the outputs shown under each `display_id` are: (cell index, output index).
#[derive(Debug, Default)]
pub struct Displays {
    shown: HashMap<String, Vec<(usize, usize)>>,
}

/// Adds what was published for cell `index` to `cells[index]`'s outputs.
pub fn record(
    cells: &mut [Cell],
    index: usize,
    messages: Vec<JupyterMessageContent>,
    displays: &mut Displays,
) {
    let mut clear_before_next = false;
    for message in messages {
        if let JupyterMessageContent::UpdateDisplayData(update) = message {
            let Some(places) = update
                .transient
                .display_id
                .as_ref()
                .and_then(|id| displays.shown.get(id))
            else {
                continue;
            };
            for &(cell, output) in places {
                if let Some(Output::DisplayData(shown)) =
                    outputs_of(&mut cells[cell]).and_then(|outputs| outputs.get_mut(output))
                {
                    shown.data = update.data.clone();
                    shown.metadata = update.metadata.clone();
                }
            }
            continue;
        }
        let Some(outputs) = outputs_of(&mut cells[index]) else {
            return;
        };
        if let JupyterMessageContent::ClearOutput(clear) = &message {
            if clear.wait {
                clear_before_next = true;
            } else {
                outputs.clear();
            }
            continue;
        }
        if std::mem::take(&mut clear_before_next) {
            outputs.clear();
        }
        match message {
            JupyterMessageContent::StreamContent(stream) => {
                let name = match stream.name {
                    Stdio::Stdout => "stdout",
                    Stdio::Stderr => "stderr",
                };
                match outputs.last_mut() {
                    Some(Output::Stream { name: last, text }) if last == name => {
                        text.0.push_str(&stream.text);
                    }
                    _ => outputs.push(Output::Stream {
                        name: name.to_owned(),
                        text: MultilineString(stream.text),
                    }),
                }
            }
            JupyterMessageContent::DisplayData(display) => {
                if let Some(id) = display.transient.and_then(|t| t.display_id) {
                    displays
                        .shown
                        .entry(id)
                        .or_default()
                        .push((index, outputs.len()));
                }
                outputs.push(Output::DisplayData(DisplayData {
                    data: display.data,
                    metadata: display.metadata,
                }));
            }
            JupyterMessageContent::ExecuteResult(result) => {
                outputs.push(Output::ExecuteResult(ExecuteResult {
                    execution_count: result.execution_count,
                    data: result.data,
                    metadata: result.metadata,
                }));
            }
            JupyterMessageContent::ErrorOutput(error) => outputs.push(Output::Error(ErrorOutput {
                ename: error.ename,
                evalue: error.evalue,
                traceback: error.traceback,
            })),
            _ => {}
        }
    }
}

fn outputs_of(cell: &mut Cell) -> Option<&mut Vec<Output>> {
    match cell {
        Cell::Code { outputs, .. } => Some(outputs),
        _ => None,
    }
}

/// A cell's outputs as text, for comparing two runs: streams, the plain-text form of results
/// and displays, and errors.
pub fn text_of(outputs: &[Output]) -> String {
    let mut text = String::new();
    for output in outputs {
        match output {
            Output::Stream { name, text: t } => {
                text.push_str(&format!("[{name}] {}", t.0));
            }
            Output::DisplayData(DisplayData { data, .. })
            | Output::ExecuteResult(ExecuteResult { data, .. }) => {
                for media in &data.content {
                    if let MediaType::Plain(plain) = media {
                        text.push_str(&format!("[result] {plain}\n"));
                    }
                }
            }
            Output::Error(error) => {
                text.push_str(&format!("[error] {}: {}\n", error.ename, error.evalue));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::media::Media;
    use jupyter_protocol::messaging::{
        ClearOutput, DisplayData as Shown, StreamContent, Transient, UpdateDisplayData,
    };

    fn code_cell() -> Cell {
        serde_json::from_value(serde_json::json!({
            "cell_type": "code", "id": uuid::Uuid::new_v4().to_string(), "metadata": {},
            "execution_count": null, "source": "", "outputs": []
        }))
        .unwrap()
    }

    fn stream(name: Stdio, text: &str) -> JupyterMessageContent {
        JupyterMessageContent::StreamContent(StreamContent {
            name,
            text: text.to_owned(),
        })
    }

    fn plain(text: &str) -> Media {
        Media::new(vec![MediaType::Plain(text.to_owned())])
    }

    #[test]
    fn streams_merge_per_name_and_clear_output_waits() {
        let printed = || {
            vec![
                stream(Stdio::Stdout, "a"),
                stream(Stdio::Stdout, "b\n"),
                stream(Stdio::Stderr, "warn\n"),
                stream(Stdio::Stdout, "c\n"),
            ]
        };
        let mut displays = Displays::default();
        let mut cells = vec![code_cell()];
        record(&mut cells, 0, printed(), &mut displays);
        let Cell::Code { outputs, .. } = &cells[0] else {
            unreachable!()
        };
        assert_eq!(outputs.len(), 3);
        assert_eq!(text_of(outputs), "[stdout] ab\n[stderr] warn\n[stdout] c\n");
        let mut cleared = printed();
        cleared.push(JupyterMessageContent::ClearOutput(ClearOutput {
            wait: true,
        }));
        cleared.push(stream(Stdio::Stdout, "after\n"));
        let mut cells = vec![code_cell()];
        record(&mut cells, 0, cleared, &mut displays);
        let Cell::Code { outputs, .. } = &cells[0] else {
            unreachable!()
        };
        assert_eq!(text_of(outputs), "[stdout] after\n");
    }

    #[test]
    fn updates_replace_the_display_in_an_earlier_cell() {
        let mut cells = vec![code_cell(), code_cell()];
        let mut displays = Displays::default();
        let mut shown = Shown::new(plain("0%"));
        shown.transient = Some(Transient {
            display_id: Some("bar".to_owned()),
        });
        record(
            &mut cells,
            0,
            vec![JupyterMessageContent::DisplayData(shown)],
            &mut displays,
        );
        let update = UpdateDisplayData::new(plain("100%"), "bar");
        record(
            &mut cells,
            1,
            vec![JupyterMessageContent::UpdateDisplayData(update)],
            &mut displays,
        );
        let Cell::Code { outputs, .. } = &cells[0] else {
            unreachable!()
        };
        assert_eq!(text_of(outputs), "[result] 100%\n");
        let Cell::Code { outputs, .. } = &cells[1] else {
            unreachable!()
        };
        assert!(outputs.is_empty());
    }
}
