//! Exports symbols of the binary to the libraries it loads. A symbol defined in an executable is
//! seen by shared objects only when exported, and the evaluation process (this binary,
//! re-executed by evcxr) answers two kinds of calls of every cell and of the stack:
//! - `getrandom`, from the cell's seed (`repronote-evcxr`'s `evaluation_process::entropy`), so
//!   std's `HashMap` order repeats;
//! - the transcendental math functions (`exp`, `log`, `pow`, `sin`, ...), from the `libm` crate
//!   in the portable numeric profile (`evaluation_process::portable_math`), so they round the
//!   same on every CPU.
use repronote_prelude::numerics::PORTABLE_MATH_FUNCTIONS;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for symbol in std::iter::once("getrandom").chain(PORTABLE_MATH_FUNCTIONS.iter().copied()) {
        println!("cargo:rustc-link-arg-bin=repronote=-Wl,--export-dynamic-symbol={symbol}");
    }
}
