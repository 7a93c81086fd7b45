//! The C math functions, answered the same on every CPU.
//!
//! Rust's `f64::exp`, `ln`, `powf`, `sin`... compile to calls of the C library's `exp`, `log`,
//! `pow`, `sin`, and so do the stack's (`nm -u` on its rlibs lists `exp`, `expf`, `log`,
//! `logf`, `log10`, `pow`, `powf`, `cbrt` and `sincos`, the call LLVM makes of a `sin` and a
//! `cos` of one value). glibc picks an FMA version of each where the CPU has FMA, and macOS has
//! its own library: a logistic regression or a Gaussian mixture then differs in its last bits
//! from one machine to the next. This binary defines every one of
//! [`PORTABLE_MATH_FUNCTIONS`] and exports them (see `build.rs`), which puts them ahead of the
//! C library's for every library the process loads, as with `getrandom` (see `entropy`).
//!
//! In the portable profile they answer from the `libm` crate: pure Rust, whose only
//! CPU-specific parts are exact operations (`sqrt`, `fma`), so the same bits on every machine.
//! In the native profile ([`select`]) they forward to the C library's own function, found with
//! `dlsym(RTLD_NEXT, name)`, and cost one predictable branch more than a direct call.
//!
//! Not covered: LLVM folds a call whose arguments are constants while compiling, with the
//! compiling machine's library; `black_box` or a value read at run time avoids it.

#![allow(unsafe_code)] // defining C functions that libraries call, and finding the C library's

use std::ffi::{CStr, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use repronote_prelude::numerics::NumericProfile;
#[cfg(test)]
use repronote_prelude::numerics::PORTABLE_MATH_FUNCTIONS;

/// Set in the native profile: every function forwards to the C library's.
static NATIVE: AtomicBool = AtomicBool::new(false);

/// Makes the functions answer for `profile` from now on; returns the address of each (see
/// [`linked`]).
pub fn select(profile: NumericProfile) -> usize {
    NATIVE.store(profile == NumericProfile::Native, Ordering::Relaxed);
    linked()
}

/// The definition of `name` that the C library gives, the one this binary's hides.
fn next_definition(name: &CStr) -> Option<*mut c_void> {
    // SAFETY: `name` is a valid C string; RTLD_NEXT searches the objects loaded after this one.
    let address = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
    if !address.is_null() {
        return Some(address);
    }
    // When every math function the binary calls is defined here, the linker leaves the math
    // library out of it (`--as-needed`): open it.
    static LIBM: OnceLock<usize> = OnceLock::new();
    let handle = *LIBM.get_or_init(|| {
        // SAFETY: opening the C math library runs only its own initialisers.
        unsafe { libc::dlopen(c"libm.so.6".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) as usize }
    });
    if handle == 0 {
        tracing::warn!("cannot open libm.so.6: the native profile answers from the libm crate");
        return None;
    }
    // SAFETY: a handle dlopen returned, and a valid C string.
    let address = unsafe { libc::dlsym(handle as *mut c_void, name.as_ptr()) };
    (!address.is_null()).then_some(address)
}

/// The C library's `$name`, as a function pointer of type `$ty`, looked up once.
macro_rules! c_library_function {
    ($name:ident: $ty:ty) => {{
        static NEXT: OnceLock<Option<$ty>> = OnceLock::new();
        *NEXT.get_or_init(|| {
            let name =
                CStr::from_bytes_with_nul(concat!(stringify!($name), "\0").as_bytes()).ok()?;
            // SAFETY: the C library's function of this name has this signature.
            next_definition(name)
                .map(|address| unsafe { std::mem::transmute::<*mut c_void, $ty>(address) })
        })
    }};
}

/// Defines the exported C function `$name`, answering from `libm::$name` in the portable
/// profile and from the C library's `$name` in the native one.
macro_rules! math_functions {
    ($($name:ident($($arg:ident: $ty:ty),+) -> $ret:ty;)+) => {
        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($($arg: $ty),+) -> $ret {
                if NATIVE.load(Ordering::Relaxed)
                    && let Some(next) = c_library_function!($name: extern "C" fn($($ty),+) -> $ret)
                {
                    return next($($arg),+);
                }
                libm::$name($($arg),+)
            }
        )+

        /// Every function defined here, by name, with its address.
        fn defined() -> Vec<(&'static str, usize)> {
            vec![$((stringify!($name), $name as *const () as usize)),+]
        }
    };
}

math_functions! {
    acos(x: f64) -> f64;
    acosf(x: f32) -> f32;
    asin(x: f64) -> f64;
    asinf(x: f32) -> f32;
    atan(x: f64) -> f64;
    atanf(x: f32) -> f32;
    atan2(y: f64, x: f64) -> f64;
    atan2f(y: f32, x: f32) -> f32;
    cbrt(x: f64) -> f64;
    cbrtf(x: f32) -> f32;
    cos(x: f64) -> f64;
    cosf(x: f32) -> f32;
    cosh(x: f64) -> f64;
    coshf(x: f32) -> f32;
    exp(x: f64) -> f64;
    expf(x: f32) -> f32;
    exp2(x: f64) -> f64;
    exp2f(x: f32) -> f32;
    expm1(x: f64) -> f64;
    expm1f(x: f32) -> f32;
    hypot(x: f64, y: f64) -> f64;
    hypotf(x: f32, y: f32) -> f32;
    log(x: f64) -> f64;
    logf(x: f32) -> f32;
    log10(x: f64) -> f64;
    log10f(x: f32) -> f32;
    log1p(x: f64) -> f64;
    log1pf(x: f32) -> f32;
    log2(x: f64) -> f64;
    log2f(x: f32) -> f32;
    pow(x: f64, y: f64) -> f64;
    powf(x: f32, y: f32) -> f32;
    sin(x: f64) -> f64;
    sinf(x: f32) -> f32;
    sinh(x: f64) -> f64;
    sinhf(x: f32) -> f32;
    tan(x: f64) -> f64;
    tanf(x: f32) -> f32;
    tanh(x: f64) -> f64;
    tanhf(x: f32) -> f32;
}

/// Defines the exported `sincos`-style function `$name`: C's form writes both results through
/// pointers, `libm`'s returns them.
macro_rules! sincos_functions {
    ($($name:ident: $ty:ty;)+) => {
        $(
            /// # Safety
            /// `sin` and `cos` point to writable values, as C's `sincos` requires.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn $name(x: $ty, sin: *mut $ty, cos: *mut $ty) {
                if NATIVE.load(Ordering::Relaxed)
                    && let Some(next) =
                        c_library_function!($name: unsafe extern "C" fn($ty, *mut $ty, *mut $ty))
                {
                    // SAFETY: the caller's pointers, passed on as they came.
                    return unsafe { next(x, sin, cos) };
                }
                let (s, c) = libm::$name(x);
                // SAFETY: the caller promises both pointers are writable.
                unsafe {
                    *sin = s;
                    *cos = c;
                }
            }
        )+

        /// The `sincos` functions defined here, by name, with their addresses.
        fn defined_sincos() -> Vec<(&'static str, usize)> {
            vec![$((stringify!($name), $name as *const () as usize)),+]
        }
    };
}

sincos_functions! {
    sincos: f64;
    sincosf: f32;
}

/// Keeps every function in the binary, though nothing in it names them: the sum of their
/// addresses.
pub fn linked() -> usize {
    defined()
        .into_iter()
        .chain(defined_sincos())
        .fold(0usize, |sum, (_, address)| sum.wrapping_add(address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    #[test]
    fn every_listed_function_is_defined_and_nothing_else() {
        let mut defined: Vec<&str> = defined()
            .into_iter()
            .chain(defined_sincos())
            .map(|(name, _)| name)
            .collect();
        let mut listed = PORTABLE_MATH_FUNCTIONS.to_vec();
        defined.sort_unstable();
        listed.sort_unstable();
        assert_eq!(defined, listed);
    }

    #[test]
    fn portable_answers_are_libms_and_native_ones_the_c_librarys() {
        let x = black_box(0.7_f64);
        select(NumericProfile::Portable);
        assert_eq!(exp(x).to_bits(), libm::exp(x).to_bits());
        assert_eq!(pow(x, 3.3).to_bits(), libm::pow(x, 3.3).to_bits());
        let (mut s, mut c) = (0.0, 0.0);
        // SAFETY: two writable values.
        unsafe { sincos(x, &mut s, &mut c) };
        assert_eq!((s, c), libm::sincos(x));
        select(NumericProfile::Native);
        let native = next_definition(c"exp").expect("the C library defines exp");
        // SAFETY: glibc's `exp`.
        let c_exp =
            unsafe { std::mem::transmute::<*mut c_void, extern "C" fn(f64) -> f64>(native) };
        assert_eq!(exp(x).to_bits(), c_exp(x).to_bits());
        assert_ne!(
            native as usize, exp as *const () as usize,
            "the C library's, not this one"
        );
        select(NumericProfile::Portable);
    }
}
