//! Exports the binary's `getrandom` to the libraries it loads: the evaluation process (this
//! binary, re-executed by evcxr) answers std's entropy requests from the cell's seed
//! (`repronote-evcxr`'s `evaluation_process::entropy`), and a symbol defined in an executable is
//! seen by shared objects only when exported.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bin=repronote=-Wl,--export-dynamic-symbol=getrandom");
}
