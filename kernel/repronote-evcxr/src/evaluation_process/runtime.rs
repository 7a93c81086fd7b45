//! The loop that loads and runs cells, each on a thread of its own.
//!
//! evcxr compiles every cell into a shared object and tells this process, one line on stdin
//! each, `LOAD_AND_RUN <shared object> <function>`; the function takes the variable store (an
//! opaque pointer owned by the cells' code) and returns it, and the process answers with
//! [`EXECUTION_COMPLETE`] on stdout. evcxr's own runtime calls the function on the main thread;
//! this one gives every cell a new thread, started after [`entropy::begin_cell`], because std
//! takes a thread's `HashMap` keys once per thread: on a new thread they come from the cell's
//! seed, so a cell that runs again builds the same maps in the same order (see `entropy`).
//!
//! Cells run one at a time, the main thread waiting for each, so the values they keep in the
//! store are never used by two threads at once. A value tied to the thread that made it (a
//! thread-local handle) does not survive its cell; the seeding rules already refuse the common
//! one, `thread_rng()`.

#![allow(unsafe_code)] // loading a compiled cell and calling into it is what this module is for

use std::ffi::c_void;
use std::io::BufRead;

use super::{entropy, portable_math};
use crate::prelude::CELL_SEED_FILE_ENV;
use repronote_prelude::numerics::NumericProfile;

/// What evcxr waits for after each cell.
pub const EXECUTION_COMPLETE: &str = "EVCXR_EXECUTION_COMPLETE";
/// A cell's thread gets the stack a main thread has by default, and room to spare.
const CELL_STACK_BYTES: usize = 64 * 1024 * 1024;
/// The seed of code that runs before the kernel has written a cell seed (the prelude).
const SEED_BEFORE_THE_FIRST_CELL: u64 = 0;

/// The compiled cell's entry point, as evcxr generates it.
type CellFunction = extern "C" fn(*mut c_void) -> *mut c_void;

/// The variable store travels to the cell's thread and back; only one thread holds it at a time.
struct VariableStore(*mut c_void);
// SAFETY: the store is handed to exactly one cell thread and taken back when it ends; no two
// threads ever use it at once (see the module docs).
unsafe impl Send for VariableStore {}

#[derive(Debug, thiserror::Error)]
enum RuntimeError {
    #[error("cannot read the instruction from the kernel: {0}")]
    Read(#[from] std::io::Error),
    #[error("unrecognised instruction `{0}` (expected `LOAD_AND_RUN <library> <function>`)")]
    Unrecognised(String),
    #[error("cannot load the compiled cell {path}: {source}")]
    Load {
        path: String,
        source: libloading::Error,
    },
    #[error("the compiled cell {path} has no function `{function}`: {source}")]
    Symbol {
        path: String,
        function: String,
        source: libloading::Error,
    },
    #[error("cannot start a thread for the cell: {0}")]
    Spawn(std::io::Error),
    #[error("the cell's thread ended without returning")]
    Lost,
}

/// Runs cells until the kernel closes stdin. Never returns.
pub fn run() -> ! {
    std::hint::black_box(entropy::linked());
    // The kernel sets the profile's name in this process's environment (see `Session::enter`).
    std::hint::black_box(portable_math::select(
        NumericProfile::from_env().unwrap_or_default(),
    ));
    let mut store = VariableStore(std::ptr::null_mut());
    // Loaded cells stay loaded: their thread-local destructors and the values they left in the
    // store point into them.
    let mut loaded: Vec<libloading::Library> = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let outcome = line
            .map_err(RuntimeError::from)
            .and_then(|line| run_instruction(&line, store, &mut loaded));
        match outcome {
            Ok(returned) => {
                store = returned;
                println!("{EXECUTION_COMPLETE}");
            }
            Err(error) => {
                eprintln!("repronote evaluation process: {error}");
                std::process::exit(99);
            }
        }
    }
    std::process::exit(0);
}

fn run_instruction(
    line: &str,
    store: VariableStore,
    loaded: &mut Vec<libloading::Library>,
) -> Result<VariableStore, RuntimeError> {
    let (path, function) = parse_instruction(line)?;
    // SAFETY: the library is a cell evcxr just compiled for this process; loading it runs no
    // code of the user's beyond what the cell itself will run.
    let library =
        unsafe { libloading::Library::new(path) }.map_err(|source| RuntimeError::Load {
            path: path.to_owned(),
            source,
        })?;
    // SAFETY: evcxr generates this function with exactly this signature.
    let cell: CellFunction = unsafe { library.get::<CellFunction>(function.as_bytes()) }
        .map(|symbol| *symbol)
        .map_err(|source| RuntimeError::Symbol {
            path: path.to_owned(),
            function: function.to_owned(),
            source,
        })?;
    loaded.push(library);
    entropy::begin_cell(current_cell_seed());
    let thread = std::thread::Builder::new()
        .name("cell".to_owned())
        .stack_size(CELL_STACK_BYTES)
        .spawn(move || {
            let store = store;
            VariableStore(cell(store.0))
        })
        .map_err(RuntimeError::Spawn)?;
    thread.join().map_err(|_| RuntimeError::Lost)
}

/// `LOAD_AND_RUN <library> <function>`; the library's path may contain spaces, the function's
/// name cannot.
fn parse_instruction(line: &str) -> Result<(&str, &str), RuntimeError> {
    line.strip_prefix("LOAD_AND_RUN ")
        .and_then(|rest| rest.rsplit_once(' '))
        .filter(|(path, function)| !path.trim().is_empty() && !function.is_empty())
        .ok_or_else(|| RuntimeError::Unrecognised(line.to_owned()))
}

/// The seed the kernel wrote for the cell about to run (the file `cell_seed()` reads).
fn current_cell_seed() -> u64 {
    std::env::var_os(CELL_SEED_FILE_ENV)
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(SEED_BEFORE_THE_FIRST_CELL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_parsed_strictly() {
        assert_eq!(
            parse_instruction("LOAD_AND_RUN /tmp/a.so run_user_code_3").unwrap(),
            ("/tmp/a.so", "run_user_code_3")
        );
        assert_eq!(
            parse_instruction("LOAD_AND_RUN /home/a b/c.so f").unwrap(),
            ("/home/a b/c.so", "f")
        );
        for bad in [
            "",
            "LOAD_AND_RUN",
            "LOAD_AND_RUN /tmp/a.so",
            "RUN /tmp/a.so f",
        ] {
            let error = parse_instruction(bad).unwrap_err().to_string();
            assert!(
                error.contains("LOAD_AND_RUN <library> <function>"),
                "{error}"
            );
        }
    }
}
