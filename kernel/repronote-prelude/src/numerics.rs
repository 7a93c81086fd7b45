//! The numeric profile of a session: whether a cell's floating-point results are the same bits
//! on every CPU (`portable-v1`, the default) or whatever the machine's fastest routines give
//! (`native`, the opt-out).
//!
//! Why it exists: two things in the stack round differently from one CPU to another, both chosen
//! at run time. matrixmultiply picks a fused multiply-add gemm kernel where the CPU has FMA, and
//! glibc's libm picks FMA versions of `exp`, `log`, `pow`, `sin`... A model trained on a laptop
//! then differs in its last bits on Binder, and `nb reproduce` fails for no fault of the author.
//! The portable profile pins both: matrixmultiply is built allowing only its unfused kernels (its
//! compile-time `MMTEST_FEATURE` list names `avx` alone: the AVX kernel where the CPU has AVX,
//! the plain Rust fallback elsewhere, aarch64 included; both add each element's products in the
//! same order, with a separate multiply and add, over the same blocks, so they give the same
//! bits), and the evaluation process answers the transcendental functions
//! from the `libm` crate (pure Rust, the same code on every machine) in place of the C library.
//!
//! One definition for the kernel (stack key, evaluation process), linfa-export (the manifest's
//! provenance) and `nb reproduce` (comparing like with like). std only.

/// Chooses the profile for a kernel: `portable` (the default, also `portable-v1`) or `native`.
pub const NUMERICS_ENV: &str = "REPRONOTE_NUMERICS";

/// The compile-time variable matrixmultiply reads to restrict the gemm kernels it may select.
pub const GEMM_FEATURES_ENV: &str = "MMTEST_FEATURE";

/// Its value in the portable profile: of the features matrixmultiply's kernels need (`avx`,
/// `fma`, `avx2`, `avx512f`, `neon`), only `avx`, whose kernel does not fuse a multiply and an
/// add. The FMA kernels (x86-64's and aarch64's NEON one) are left out.
pub const PORTABLE_GEMM_FEATURES: &str = "avx";

/// The C math functions the evaluation process answers itself in the portable profile: every
/// one Rust's `f64`/`f32` methods call that is not exact in IEEE 754 (`sqrt`, `floor`, `fma`...
/// are, and stay native). `sincos` is what LLVM makes of a `sin` and a `cos` of the same value.
pub const PORTABLE_MATH_FUNCTIONS: &[&str] = &[
    "acos", "acosf", "asin", "asinf", "atan", "atanf", "atan2", "atan2f", "cbrt", "cbrtf", "cos",
    "cosf", "cosh", "coshf", "exp", "expf", "exp2", "exp2f", "expm1", "expm1f", "hypot", "hypotf",
    "log", "logf", "log10", "log10f", "log1p", "log1pf", "log2", "log2f", "pow", "powf", "sin",
    "sinf", "sincos", "sincosf", "sinh", "sinhf", "tan", "tanf", "tanh", "tanhf",
];

/// How a session's floating-point results relate to the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumericProfile {
    /// The same bits on every CPU: the unfused gemm kernels and the `libm` crate's functions.
    #[default]
    Portable,
    /// The machine's fastest routines: FMA gemm kernels and the C library's math, which differ
    /// in their last bits between CPUs and operating systems.
    Native,
}

/// A value of [`NUMERICS_ENV`] that names no profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl std::fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{NUMERICS_ENV}={:?} names no numeric profile: use `portable` (the same bits on \
             every CPU, the default) or `native` (the fastest routines of this machine)",
            self.0
        )
    }
}

impl std::error::Error for UnknownProfile {}

impl NumericProfile {
    /// The name recorded in provenance and manifests.
    pub fn name(self) -> &'static str {
        match self {
            NumericProfile::Portable => "portable-v1",
            NumericProfile::Native => "native",
        }
    }

    /// The profile a value of [`NUMERICS_ENV`] names; empty means the default.
    pub fn parse(text: &str) -> Result<Self, UnknownProfile> {
        match text.trim() {
            "" | "portable" | "portable-v1" => Ok(NumericProfile::Portable),
            "native" => Ok(NumericProfile::Native),
            other => Err(UnknownProfile(other.to_owned())),
        }
    }

    /// The profile this process was asked for in [`NUMERICS_ENV`].
    pub fn from_env() -> Result<Self, UnknownProfile> {
        Self::parse(&std::env::var(NUMERICS_ENV).unwrap_or_default())
    }

    /// The value of [`GEMM_FEATURES_ENV`] the stack is built with; `None`: left unset.
    pub fn gemm_features(self) -> Option<&'static str> {
        match self {
            NumericProfile::Portable => Some(PORTABLE_GEMM_FEATURES),
            NumericProfile::Native => None,
        }
    }

    /// What the profile pins, in words, for the record.
    pub fn pins(self) -> Vec<String> {
        match self {
            NumericProfile::Portable => vec![
                format!(
                    "2-D products: matrixmultiply's unfused gemm kernels only, the same bits on \
                     every CPU ({GEMM_FEATURES_ENV}={PORTABLE_GEMM_FEATURES} when the stack was \
                     built)"
                ),
                format!(
                    "transcendental functions: the libm crate's, for {}",
                    PORTABLE_MATH_FUNCTIONS.join(", ")
                ),
            ],
            NumericProfile::Native => Vec::new(),
        }
    }
}
