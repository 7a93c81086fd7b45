//! Tables, charts, confusion counts and progress bars, as a notebook would show them.

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
fn the_confusion_chart_draws_a_square_and_a_count_per_pair() {
    let counts = ConfusionCounts::of(&[(0, 0), (0, 1), (1, 1), (1, 1)]);
    assert_eq!(counts.counts, [[1, 1], [0, 2]]);
    let (width, height) = counts.chart_size();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        counts.draw(&area).unwrap();
        area.present().unwrap();
    }
    assert_eq!(svg.matches("<rect").count(), 4, "{svg}");
    assert!(
        svg.contains("\n2\n</text>") && svg.contains("\n0\n</text>"),
        "{svg}"
    );
    assert!(svg.contains("accuracy 0.750 (3 of 4)"), "{svg}");
}

#[test]
fn progress_has_a_bar_and_a_text() {
    let (html, text) = render_progress("epochs", 3, 10, "loss 0.25");
    assert!(html.contains("<progress value='3' max='10'>"));
    assert_eq!(text, "epochs: 3/10 loss 0.25");
}
