//! How far apart two models' numbers are, per parameter array.
//!
//! When a re-run does not reproduce an artifact, a reader's first question is whether it is the
//! same model rounded differently (another CPU or math library: relative differences near
//! 1e-16, growing through an iterative fit) or another model. The model's JSON is walked on
//! both sides at once; every number is grouped by its path with array positions left out
//! (`centroids.data`, `params.weights`), and each group reports how many values differ and the
//! largest relative difference `|a - b| / max(|a|, |b|)`. A group whose shape differs (another
//! length, other keys) is reported as such: no number-by-number comparison means anything then.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// One parameter array's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterChange {
    /// The JSON path of the array's numbers, positions left out (`""` for a bare number).
    pub path: String,
    /// How many numbers were compared.
    pub compared: usize,
    /// How many of them differ.
    pub differing: usize,
    /// The largest `|a - b| / max(|a|, |b|)` among them.
    pub largest_relative: f64,
    /// Set when the two sides do not have the same shape here.
    pub shape_differs: bool,
}

impl fmt::Display for ParameterChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(the model)"
        } else {
            &self.path
        };
        if self.shape_differs {
            write!(
                f,
                "parameter {path}: another shape in the re-run (another model, not rounding)"
            )?;
            if self.differing > 0 {
                write!(
                    f,
                    "; where both have values, {} of {} differ, largest relative difference {:.1e}",
                    self.differing, self.compared, self.largest_relative
                )?;
            }
            return Ok(());
        }
        write!(
            f,
            "parameter {path}: {} of {} values differ, largest relative difference {:.1e}",
            self.differing, self.compared, self.largest_relative
        )
    }
}

/// `|a - b| / max(|a|, |b|)`: 0 for equal values, 1 or 2 for opposite signs, infinite when
/// one side is not finite and the other is.
pub fn relative_difference(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    let scale = a.abs().max(b.abs());
    if !scale.is_finite() || scale == 0.0 {
        return f64::INFINITY;
    }
    (a - b).abs() / scale
}

/// The parameter arrays of two models' JSON that differ, by path.
pub fn compare_parameters(original: &Value, rerun: &Value) -> Vec<ParameterChange> {
    let mut groups: BTreeMap<String, ParameterChange> = BTreeMap::new();
    walk(original, rerun, String::new(), &mut groups);
    groups
        .into_values()
        .filter(|group| group.differing > 0 || group.shape_differs)
        .collect()
}

fn group<'a>(
    groups: &'a mut BTreeMap<String, ParameterChange>,
    path: &str,
) -> &'a mut ParameterChange {
    groups
        .entry(path.to_owned())
        .or_insert_with(|| ParameterChange {
            path: path.to_owned(),
            compared: 0,
            differing: 0,
            largest_relative: 0.0,
            shape_differs: false,
        })
}

fn walk(a: &Value, b: &Value, path: String, groups: &mut BTreeMap<String, ParameterChange>) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let entry = group(groups, &path);
            entry.compared += 1;
            let relative = relative_difference(x, y);
            if relative > 0.0 {
                entry.differing += 1;
                entry.largest_relative = entry.largest_relative.max(relative);
            }
        }
        (Value::Array(xs), Value::Array(ys)) => {
            if xs.len() != ys.len() {
                group(groups, &path).shape_differs = true;
            }
            for (x, y) in xs.iter().zip(ys) {
                walk(x, y, path.clone(), groups);
            }
        }
        (Value::Object(xs), Value::Object(ys)) => {
            if xs.len() != ys.len() || xs.keys().any(|key| !ys.contains_key(key)) {
                group(groups, &path).shape_differs = true;
            }
            for (key, x) in xs {
                if let Some(y) = ys.get(key) {
                    let inner = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(x, y, inner, groups);
                }
            }
        }
        (x, y) if x == y => {}
        _ => group(groups, &path).shape_differs = true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn last_bit_differences_are_told_apart_from_another_model() {
        let original = json!({"centroids": {"dim": [2, 2], "data": [1.0, 2.0, 3.0, 4.0]}, "k": 2});
        let rounded = json!({"centroids": {"dim": [2, 2], "data": [1.0, 2.000000000000001, 3.0, 4.0]}, "k": 2});
        let changes = compare_parameters(&original, &rounded);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "centroids.data");
        assert_eq!((changes[0].compared, changes[0].differing), (4, 1));
        assert!(changes[0].largest_relative < 1e-15 && changes[0].largest_relative > 0.0);
        assert!(
            changes[0].to_string().contains("1 of 4 values differ"),
            "{}",
            changes[0]
        );

        let other =
            json!({"centroids": {"dim": [3, 2], "data": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, "k": 3});
        let changes = compare_parameters(&original, &other);
        let data = changes.iter().find(|c| c.path == "centroids.data").unwrap();
        assert!(data.shape_differs);
        assert!(data.to_string().contains("another shape"));
        assert!(
            changes
                .iter()
                .any(|c| c.path == "k" && (c.largest_relative - 1.0 / 3.0).abs() < 1e-12)
        );
    }

    #[test]
    fn identical_models_have_no_change_and_relative_difference_is_symmetric() {
        let model = json!({"w": [0.5, -1.5, 0.0], "name": "x"});
        assert!(compare_parameters(&model, &model).is_empty());
        assert_eq!(relative_difference(2.0, 1.0), relative_difference(1.0, 2.0));
        assert_eq!(relative_difference(0.0, 0.0), 0.0);
        assert_eq!(relative_difference(1.0, -1.0), 2.0);
        assert!(relative_difference(f64::INFINITY, 1.0).is_infinite());
    }
}
