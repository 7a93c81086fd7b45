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

/// Shows the same counts as [`confusion_table`] as a chart, one square per (true, predicted)
/// pair, darker for more, and returns the accuracy.
pub fn confusion_chart<L, P, T>(predicted: P, truth: T) -> Result<f64, Box<dyn std::error::Error>>
where
    L: Display + Ord + Clone,
    P: IntoIterator<Item = L>,
    T: IntoIterator<Item = L>,
{
    let pairs: Vec<(L, L)> = truth.into_iter().zip(predicted).collect();
    let counts = ConfusionCounts::of(&pairs);
    let (width, height) = counts.chart_size();
    plot(width, height, |area| counts.draw(area))?;
    Ok(counts.accuracy())
}

/// How often each true label was predicted as each label.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionCounts {
    /// Every label seen, as truth or prediction, in order, as text.
    pub labels: Vec<String>,
    /// `counts[t][p]`: how many of label `t` were predicted as label `p`.
    pub counts: Vec<Vec<usize>>,
}

/// Side of one square of a confusion chart, and the room left for labels, in pixels.
const SQUARE: i32 = 56;
const LABEL_ROOM: i32 = 90;

impl ConfusionCounts {
    pub fn of<L: Display + Ord + Clone>(pairs: &[(L, L)]) -> Self {
        let labels: Vec<L> = pairs
            .iter()
            .flat_map(|(t, p)| [t.clone(), p.clone()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let counts = labels
            .iter()
            .map(|t| {
                labels
                    .iter()
                    .map(|p| pairs.iter().filter(|(a, b)| a == t && b == p).count())
                    .collect()
            })
            .collect();
        Self {
            labels: labels.iter().map(ToString::to_string).collect(),
            counts,
        }
    }

    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    pub fn correct(&self) -> usize {
        (0..self.labels.len()).map(|i| self.counts[i][i]).sum()
    }

    pub fn accuracy(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            total => self.correct() as f64 / total as f64,
        }
    }

    fn chart_size(&self) -> (u32, u32) {
        let n = self.labels.len() as i32;
        let width = LABEL_ROOM + n * SQUARE + 20;
        let height = LABEL_ROOM / 2 + n * SQUARE + 40;
        (width as u32, height as u32)
    }

    /// Squares with their counts, rows for the truth and columns for the prediction.
    fn draw(
        &self,
        area: &DrawingArea<SVGBackend<'_>, Shift>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        use plotters::prelude::{BLACK, BLUE, Color, IntoFont, Rectangle, Text};
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        let top = LABEL_ROOM / 2;
        let most = self
            .counts
            .iter()
            .flatten()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        let font = ("sans-serif", 14).into_font();
        let centred = font.color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
        let right = font.color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        area.draw(&Text::new("predicted", (LABEL_ROOM, 8), font.color(&BLACK)))?;
        area.draw(&Text::new("true", (8, top + 4), font.color(&BLACK)))?;
        for (i, label) in self.labels.iter().enumerate() {
            let offset = i as i32 * SQUARE + SQUARE / 2;
            area.draw(&Text::new(
                label.clone(),
                (LABEL_ROOM + offset, top - 12),
                centred.clone(),
            ))?;
            area.draw(&Text::new(
                label.clone(),
                (LABEL_ROOM - 10, top + offset),
                right.clone(),
            ))?;
        }
        for (t, row) in self.counts.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                let (x, y) = (LABEL_ROOM + p as i32 * SQUARE, top + t as i32 * SQUARE);
                let shade = 0.08 + 0.92 * count as f64 / most as f64;
                area.draw(&Rectangle::new(
                    [(x, y), (x + SQUARE - 2, y + SQUARE - 2)],
                    BLUE.mix(shade).filled(),
                ))?;
                let ink = if shade > 0.5 {
                    plotters::prelude::WHITE
                } else {
                    BLACK
                };
                let text = font.color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                area.draw(&Text::new(
                    count.to_string(),
                    (x + SQUARE / 2, y + SQUARE / 2),
                    text,
                ))?;
            }
        }
        let n = self.labels.len() as i32;
        area.draw(&Text::new(
            format!(
                "accuracy {:.3} ({} of {})",
                self.accuracy(),
                self.correct(),
                self.total()
            ),
            (LABEL_ROOM, top + n * SQUARE + 12),
            font.color(&BLACK),
        ))?;
        Ok(())
    }
}

/// The confusion table of (truth, predicted) pairs as HTML and text, and the accuracy.
pub fn render_confusion<L: Display + Ord + Clone>(pairs: &[(L, L)]) -> (String, String, f64) {
    let confusion = ConfusionCounts::of(pairs);
    let labels = &confusion.labels;
    let correct = confusion.correct();
    let accuracy = confusion.accuracy();
    let mut html = String::from("<table><thead><tr><th>true \\ predicted</th>");
    let mut text = String::from("true \\ predicted");
    for label in labels {
        let _ = write!(html, "<th>{}</th>", escape(label));
        let _ = write!(text, "\t{label}");
    }
    html.push_str("</tr></thead><tbody>");
    text.push('\n');
    for (t, truth) in labels.iter().enumerate() {
        let _ = write!(html, "<tr><th>{}</th>", escape(truth));
        let _ = write!(text, "{truth}");
        for p in 0..labels.len() {
            let n = confusion.counts[t][p];
            if t == p {
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
mod tests;
