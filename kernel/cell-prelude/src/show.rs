//! Rich output for the stack's types, one call each: a plotters chart as SVG, an ndarray array
//! or a linfa dataset as an HTML table, a confusion table, a progress bar that updates in place.
//!
//! Every display also carries a `text/plain` form, so consoles and `nb check` see text.

use std::collections::BTreeSet;
use std::fmt::{Display, Write as _};

use linfa::DatasetBase;
use ndarray::{ArrayBase, Data, Ix1, Ix2};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea, SVGBackend, WHITE};

/// Tables show this many rows, then say how many more there are.
const MAX_ROWS: usize = 20;

/// Draws a chart with plotters and shows it as SVG: `draw` gets a white `width` x `height`
/// drawing area.
///
/// ```ignore
/// plot(640, 400, |area| {
///     let mut chart = ChartBuilder::on(area).margin(10).x_label_area_size(30).y_label_area_size(30)
///         .build_cartesian_2d(0.0..8.0, 0.0..5.0)?;
///     chart.configure_mesh().draw()?;
///     chart.draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), 3, BLUE.filled())))?;
///     Ok(())
/// })?;
/// ```
pub fn plot<F>(width: u32, height: u32, draw: F) -> Result<(), Box<dyn std::error::Error>>
where
    F: for<'a> FnOnce(
        &DrawingArea<SVGBackend<'a>, Shift>,
    ) -> Result<(), Box<dyn std::error::Error>>,
{
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&area).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    crate::display(&[
        ("image/svg+xml", &svg),
        ("text/plain", &format!("<chart {width}x{height}>")),
    ]);
    Ok(())
}

/// Something that can be shown as a table.
pub trait Tabular {
    /// Column names, then rows of cells.
    fn table_columns(&self) -> Vec<String>;
    fn table_rows(&self) -> Vec<Vec<String>>;
}

impl<S, A> Tabular for ArrayBase<S, Ix2>
where
    S: Data<Elem = A>,
    A: Display,
{
    fn table_columns(&self) -> Vec<String> {
        (0..self.ncols()).map(|c| c.to_string()).collect()
    }
    fn table_rows(&self) -> Vec<Vec<String>> {
        self.rows()
            .into_iter()
            .map(|row| row.iter().map(ToString::to_string).collect())
            .collect()
    }
}

impl<S, A> Tabular for ArrayBase<S, Ix1>
where
    S: Data<Elem = A>,
    A: Display,
{
    fn table_columns(&self) -> Vec<String> {
        vec!["value".to_owned()]
    }
    fn table_rows(&self) -> Vec<Vec<String>> {
        self.iter().map(|v| vec![v.to_string()]).collect()
    }
}

impl<R, T, F, L> Tabular for DatasetBase<ArrayBase<R, Ix2>, ArrayBase<T, Ix1>>
where
    R: Data<Elem = F>,
    T: Data<Elem = L>,
    F: Display,
    L: Display,
{
    fn table_columns(&self) -> Vec<String> {
        let mut names = self.feature_names().to_vec();
        if names.len() != self.records.ncols() {
            names = (0..self.records.ncols()).map(|c| c.to_string()).collect();
        }
        names.push("target".to_owned());
        names
    }
    fn table_rows(&self) -> Vec<Vec<String>> {
        self.records
            .rows()
            .into_iter()
            .zip(self.targets.iter())
            .map(|(row, target)| {
                let mut cells: Vec<String> = row.iter().map(ToString::to_string).collect();
                cells.push(target.to_string());
                cells
            })
            .collect()
    }
}

/// Shows an array or a dataset as a table (the first rows, and how many there are).
pub fn table(value: &impl Tabular) {
    let (html, text) = render_table(&value.table_columns(), &value.table_rows());
    crate::display(&[("text/html", &html), ("text/plain", &text)]);
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The table as HTML and as text.
pub fn render_table(columns: &[String], rows: &[Vec<String>]) -> (String, String) {
    let mut html = String::from("<table><thead><tr><th></th>");
    let mut text = format!("#\t{}\n", columns.join("\t"));
    for column in columns {
        let _ = write!(html, "<th>{}</th>", escape(column));
    }
    html.push_str("</tr></thead><tbody>");
    for (index, row) in rows.iter().take(MAX_ROWS).enumerate() {
        let _ = write!(html, "<tr><th>{index}</th>");
        for cell in row {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        html.push_str("</tr>");
        let _ = writeln!(text, "{index}\t{}", row.join("\t"));
    }
    html.push_str("</tbody></table>");
    let summary = format!("{} rows × {} columns", rows.len(), columns.len());
    let more = rows.len().saturating_sub(MAX_ROWS);
    if more > 0 {
        let _ = write!(html, "<p>… {more} more rows ({summary})</p>");
        let _ = writeln!(text, "… {more} more rows ({summary})");
    } else {
        let _ = write!(html, "<p>{summary}</p>");
        let _ = writeln!(text, "{summary}");
    }
    (html, text)
}

/// Shows how often each true label (rows) was predicted as each label (columns), with the
/// correct counts in bold, and returns the accuracy.
pub fn confusion_table<L, P, T>(predicted: P, truth: T) -> f64
where
    L: Display + Ord + Clone,
    P: IntoIterator<Item = L>,
    T: IntoIterator<Item = L>,
{
    let pairs: Vec<(L, L)> = truth.into_iter().zip(predicted).collect();
    let (html, text, accuracy) = render_confusion(&pairs);
    crate::display(&[("text/html", &html), ("text/plain", &text)]);
    accuracy
}

/// The confusion table of (truth, predicted) pairs as HTML and text, and the accuracy.
pub fn render_confusion<L: Display + Ord + Clone>(pairs: &[(L, L)]) -> (String, String, f64) {
    let labels: Vec<L> = pairs
        .iter()
        .flat_map(|(t, p)| [t.clone(), p.clone()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let count = |t: &L, p: &L| pairs.iter().filter(|(a, b)| a == t && b == p).count();
    let correct = pairs.iter().filter(|(t, p)| t == p).count();
    let accuracy = if pairs.is_empty() {
        0.0
    } else {
        correct as f64 / pairs.len() as f64
    };
    let mut html = String::from("<table><thead><tr><th>true \\ predicted</th>");
    let mut text = String::from("true \\ predicted");
    for label in &labels {
        let _ = write!(html, "<th>{}</th>", escape(&label.to_string()));
        let _ = write!(text, "\t{label}");
    }
    html.push_str("</tr></thead><tbody>");
    text.push('\n');
    for truth in &labels {
        let _ = write!(html, "<tr><th>{}</th>", escape(&truth.to_string()));
        let _ = write!(text, "{truth}");
        for predicted in &labels {
            let n = count(truth, predicted);
            if truth == predicted {
                let _ = write!(html, "<td><b>{n}</b></td>");
            } else {
                let _ = write!(html, "<td>{n}</td>");
            }
            let _ = write!(text, "\t{n}");
        }
        html.push_str("</tr>");
        text.push('\n');
    }
    let _ = write!(
        html,
        "</tbody></table><p>accuracy {accuracy:.3} ({correct} of {})</p>",
        pairs.len()
    );
    let _ = writeln!(
        text,
        "accuracy {accuracy:.3} ({correct} of {})",
        pairs.len()
    );
    (html, text, accuracy)
}

/// A progress bar shown once and updated in place (for training loops).
#[derive(Debug)]
pub struct Progress {
    handle: crate::DisplayHandle,
    label: String,
    total: usize,
}

/// Shows a progress bar for `total` steps.
pub fn progress(label: &str, total: usize) -> Progress {
    let (html, text) = render_progress(label, 0, total, "");
    let handle = crate::display_updatable(&[("text/html", &html), ("text/plain", &text)]);
    Progress {
        handle,
        label: label.to_owned(),
        total,
    }
}

impl Progress {
    /// Moves the bar to `done` steps, with a note such as the current loss.
    pub fn set(&self, done: usize, note: &str) {
        let (html, text) = render_progress(&self.label, done, self.total, note);
        self.handle
            .update(&[("text/html", &html), ("text/plain", &text)]);
    }
}

fn render_progress(label: &str, done: usize, total: usize, note: &str) -> (String, String) {
    let html = format!(
        "<div>{} <progress value='{done}' max='{total}'></progress> {done}/{total} {}</div>",
        escape(label),
        escape(note)
    );
    (
        html,
        format!("{label}: {done}/{total} {note}")
            .trim_end()
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_show_the_first_rows_and_count_the_rest() {
        let rows: Vec<Vec<String>> = (0..25).map(|i| vec![i.to_string(), "<b>".into()]).collect();
        let (html, text) = render_table(&["x".into(), "y".into()], &rows);
        assert!(html.contains("<th>x</th><th>y</th>"));
        assert!(html.contains("<td>19</td><td>&lt;b&gt;</td>"));
        assert!(!html.contains("<td>20</td>"));
        assert!(html.contains("5 more rows (25 rows × 2 columns)"));
        assert!(text.starts_with("#\tx\ty\n0\t0\t<b>\n"));
    }

    #[test]
    fn arrays_and_datasets_are_tabular() {
        let array = ndarray::array![[1.5, 2.0], [3.0, 4.0]];
        assert_eq!(array.table_columns(), ["0", "1"]);
        assert_eq!(array.table_rows(), [["1.5", "2"], ["3", "4"]]);
        let dataset = linfa::Dataset::new(array, ndarray::array![0usize, 1])
            .with_feature_names(vec!["length", "width"]);
        assert_eq!(dataset.table_columns(), ["length", "width", "target"]);
        assert_eq!(dataset.table_rows()[1], ["3", "4", "1"]);
    }

    #[test]
    fn the_confusion_table_counts_pairs() {
        let pairs = [(0, 0), (0, 1), (1, 1), (1, 1), (2, 2)];
        let (html, text, accuracy) = render_confusion(&pairs);
        assert!((accuracy - 0.8).abs() < 1e-12);
        assert!(html.contains("<tr><th>0</th><td><b>1</b></td><td>1</td><td>0</td></tr>"));
        assert!(text.contains("accuracy 0.800 (4 of 5)"));
    }

    #[test]
    fn progress_has_a_bar_and_a_text() {
        let (html, text) = render_progress("epochs", 3, 10, "loss 0.25");
        assert!(html.contains("<progress value='3' max='10'>"));
        assert_eq!(text, "epochs: 3/10 loss 0.25");
    }
}
