//! Number literals kept by one cell and used as another type by a later one.
//!
//! In a program, `let min_points = 3;` is a `usize` when a later line passes it to
//! `Optics::params`: rustc infers a literal's type from the whole function. A notebook keeps
//! the variable when its cell runs, before any later cell exists, so the kernel writes the
//! default (`i32`, `f64`), and the later cell fails with "expected `usize`, found `i32`". That
//! is how linfa's own examples fail when pasted cell by cell.
//!
//! So the kernel remembers the bindings it typed from a literal's default, with their
//! initializer when it is literals only (`3`, `vec![(10, 0.5, 1, "a")]`). When a later cell
//! fails with such a mismatch and uses one of them, the kernel asks rustc which type that cell
//! needs (the initializer, then the cell, checked together), defines the variable again with
//! that type from the same literals, and runs the cell again: what rustc would have inferred
//! had both been one program. Each binding is retyped once per definition.

use std::collections::HashMap;
use std::path::Path;

use evcxr::{CommandContext, EvalCallbacks};

use super::super::type_probe;

/// The default types a retyped literal can replace, as rustc quotes them in its errors.
const DEFAULT_TYPES: [&str; 2] = ["`i32`", "`f64`"];

/// The errors a literal's default type causes: a mismatch (`expected `usize`, found `i32``), or
/// a missing impl (`Vec<usize>` cannot be collected from `i32`s).
const DEFAULT_ERRORS: [&str; 2] = ["E0308", "E0277"];

/// Kept variables typed from a literal's default, by name, with their initializer.
#[derive(Debug, Default)]
pub(super) struct LiteralBindings {
    initializers: HashMap<String, String>,
}

impl LiteralBindings {
    /// After `code` ran: forget what it bound again (with a type or without), remember what of
    /// it was typed from a default (`defaulted`) and is literals only, not `mut`.
    pub(super) fn record(&mut self, code: &str, defaulted: &[String]) {
        for name in type_probe::bound_names(code) {
            self.initializers.remove(&name);
        }
        for (name, initializer) in type_probe::literal_initializers(code) {
            if defaulted.contains(&name) {
                self.initializers.insert(name, initializer);
            }
        }
    }

    /// When `error` is a mismatch a literal's default explains and `code` uses a remembered
    /// binding, defines that binding again with the type `code` needs. Whether any was.
    pub(super) fn retype_for(
        &mut self,
        context: &mut CommandContext,
        code: &str,
        error: &evcxr::Error,
        callbacks: &mut EvalCallbacks,
        probe_flag: &Path,
        stack_crates: &[String],
    ) -> bool {
        let evcxr::Error::CompilationErrors(errors) = error else {
            return false;
        };
        let explained = errors.iter().any(|error| {
            error
                .code()
                .is_some_and(|code| DEFAULT_ERRORS.contains(&code))
                && DEFAULT_TYPES.iter().any(|ty| error.rendered().contains(ty))
        });
        if !explained {
            return false;
        }
        let used: Vec<(String, String)> = self
            .initializers
            .iter()
            .filter(|(name, _)| type_probe::mentions(code, name))
            .map(|(name, initializer)| (name.clone(), initializer.clone()))
            .collect();
        let mut retyped = false;
        for (name, initializer) in used {
            self.initializers.remove(&name);
            // The probe goes after everything, the cell's last expression included (a `for`
            // loop that uses the binding is one): rustc reports a literal's type as far as it
            // has checked.
            let together = format!("let {name} = {initializer};\n{code}\n;");
            let end = together.len();
            let probe = type_probe::probes_code(&together, &[name.as_str()], end, stack_crates);
            let Some(ty) = super::typing::probe_type(context, &probe, probe_flag)
                .and_then(|ty| type_probe::with_static_references(&ty))
                .filter(|ty| type_probe::unwritable(ty).is_none())
            else {
                continue;
            };
            let definition = format!("let {name}: {ty} = {initializer};");
            match context.execute_with_callbacks(&definition, callbacks) {
                Ok(_) => {
                    tracing::info!("retyped `{name}` as `{ty}` for a later cell's use");
                    retyped = true;
                }
                Err(error) => tracing::debug!("retyping `{name}` as `{ty}` failed: {error}"),
            }
        }
        retyped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_bindings_typed_from_a_default_are_remembered_until_rebound() {
        let mut bindings = LiteralBindings::default();
        bindings.record(
            "let min_points = 3;\nlet configs = vec![(10, 0.5, \"a\")];\nlet n = data.len();",
            &[
                "min_points".to_owned(),
                "configs".to_owned(),
                "n".to_owned(),
            ],
        );
        let mut names: Vec<&String> = bindings.initializers.keys().collect();
        names.sort();
        assert_eq!(names, ["configs", "min_points"]);
        assert_eq!(bindings.initializers["configs"], "vec![(10, 0.5, \"a\")]");
        bindings.record("let min_points = compute();", &[]);
        assert!(!bindings.initializers.contains_key("min_points"));
        // Bound again with a type, or in a pattern: the old literal is no longer its value.
        bindings.record("let (configs, other): (Vec<u8>, u8) = (vec![], 1);", &[]);
        assert!(bindings.initializers.is_empty());
    }

    #[test]
    fn a_mut_literal_is_not_remembered_since_a_later_cell_may_change_it() {
        let mut bindings = LiteralBindings::default();
        bindings.record("let mut count = 3;", &["count".to_owned()]);
        assert!(bindings.initializers.is_empty());
    }

    #[test]
    fn a_name_is_found_as_a_word_only() {
        assert!(type_probe::mentions(
            "Optics::params(min_points)",
            "min_points"
        ));
        assert!(!type_probe::mentions("let min_points_2 = 1;", "min_points"));
    }
}
