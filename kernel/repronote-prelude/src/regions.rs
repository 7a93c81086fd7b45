//! Decision regions of a classifier, for plotters: which class a model predicts over a 2-D
//! slice of its input space. Cells of one class that touch along a row merge into one
//! rectangle, so a fine grid still makes a small SVG (a 150 × 80 grid over iris is a few
//! hundred rectangles, not 12,000).

use std::ops::Range;

/// A rectangle of the plane, in data coordinates, and the class predicted inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// The lower-left corner.
    pub from: (f64, f64),
    /// The upper-right corner.
    pub to: (f64, f64),
    pub class: usize,
}

/// Cuts `x` × `y` into `steps.0` × `steps.1` cells, asks `classify` for the class at each cell's
/// centre, and returns the cells as rectangles, merged along rows.
///
/// ```ignore
/// let colours = [RED, GREEN, BLUE];
/// chart.draw_series(
///     regions(0.0..7.5, 0.0..2.8, (150, 80), |x, y| model.predict(&array![[x, y]])[0])
///         .into_iter()
///         .map(|r| Rectangle::new([r.from, r.to], colours[r.class].mix(0.2).filled())),
/// )?;
/// ```
pub fn regions(
    x: Range<f64>,
    y: Range<f64>,
    steps: (usize, usize),
    mut classify: impl FnMut(f64, f64) -> usize,
) -> Vec<Region> {
    let (columns, rows) = (steps.0.max(1), steps.1.max(1));
    let width = (x.end - x.start) / columns as f64;
    let height = (y.end - y.start) / rows as f64;
    let mut merged = Vec::new();
    for row in 0..rows {
        let bottom = y.start + row as f64 * height;
        let centre_y = bottom + height / 2.0;
        let mut run: Option<(usize, usize)> = None; // (first column, class)
        for column in 0..=columns {
            let class = (column < columns)
                .then(|| classify(x.start + (column as f64 + 0.5) * width, centre_y));
            match (run, class) {
                (Some((_, current)), Some(class)) if class == current => {}
                (previous, class) => {
                    if let Some((first, current)) = previous {
                        merged.push(Region {
                            from: (x.start + first as f64 * width, bottom),
                            to: (x.start + column as f64 * width, bottom + height),
                            class: current,
                        });
                    }
                    run = class.map(|class| (column, class));
                }
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_one_class_merge_along_rows() {
        // Class 1 right of x = 5, class 0 left of it: one rectangle each per row.
        let found = regions(0.0..10.0, 0.0..2.0, (10, 2), |x, _| usize::from(x > 5.0));
        assert_eq!(
            found,
            [
                Region {
                    from: (0.0, 0.0),
                    to: (5.0, 1.0),
                    class: 0
                },
                Region {
                    from: (5.0, 0.0),
                    to: (10.0, 1.0),
                    class: 1
                },
                Region {
                    from: (0.0, 1.0),
                    to: (5.0, 2.0),
                    class: 0
                },
                Region {
                    from: (5.0, 1.0),
                    to: (10.0, 2.0),
                    class: 1
                },
            ]
        );
    }

    #[test]
    fn each_cell_is_classified_at_its_centre() {
        let mut asked = Vec::new();
        let found = regions(0.0..2.0, 0.0..1.0, (2, 1), |x, y| {
            asked.push((x, y));
            asked.len()
        });
        assert_eq!(asked, [(0.5, 0.5), (1.5, 0.5)]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].from, (1.0, 0.0));
    }
}
