//! Seeding: every session has a seed, every cell a seed derived from it, and entropy that would
//! make a run unrepeatable is refused before the cell is compiled.
//!
//! - The session seed is [`DEFAULT_SEED`] until a cell says `:seed N`; `:seed` alone shows it.
//! - A cell's seed is the first 8 bytes (little endian) of
//!   `sha256("linfa-kernel cell seed v1" ‖ session seed as 8 LE bytes ‖ cell identity)`, where the
//!   identity is the cell's source. Not JupyterLab's `cellId`: nbclient, `nb run` and most
//!   clients send none, and the same notebook must train the same models in all of them (a
//!   notebook without stored ids even gets new ids in every JupyterLab session). So re-running a
//!   cell gives it the same seed, an edited cell is a new cell with a new seed, and two cells
//!   with the same text draw the same numbers (`rng()` gives a cell several streams). Another
//!   session seed gives other seeds. Only a re-run of a record made when seeds came from ids
//!   passes that id as the identity. Cells read their seed with `cell_seed()`.
//! - Calls that draw from the operating system ([`ENTROPY_SOURCES`]) are found in the cell's
//!   tokens (not in strings or comments) and refused with the call named and its seeded
//!   replacement. `:allow_entropy` lifts the refusal for the rest of the session, which is then
//!   marked non-reproducible, with the reason.
//!
//! Source rules cannot reach randomness inside dependencies (std's `HashMap` keys): the
//! evaluation process answers those from the cell's seed (`evaluation_process::entropy`).

use ra_ap_rustc_lexer::{FrontmatterAllowed, TokenKind, tokenize};
use sha2::{Digest, Sha256};

/// The seed of a session that never ran `:seed`.
pub const DEFAULT_SEED: u64 = 42;

const DERIVATION_TAG: &[u8] = b"linfa-kernel cell seed v1";

/// The seed of one cell in a session seeded with `session_seed`.
pub fn cell_seed(session_seed: u64, cell_identity: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(DERIVATION_TAG)
        .chain_update(session_seed.to_le_bytes())
        .chain_update(cell_identity.as_bytes())
        .finalize();
    u64::from_le_bytes(
        digest[..8]
            .try_into()
            .expect("a sha256 digest has 32 bytes"),
    )
}

/// A call that takes its randomness from the operating system, and what to write instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntropySource {
    /// The tokens that make the call, in order (path separators included).
    pub tokens: &'static [&'static str],
    /// How the user wrote it, for the message.
    pub call: &'static str,
    pub replacement: &'static str,
    /// Refused only inside the arguments of a seeding call (`seed_from_u64(..)`, ...): the
    /// clock is fine for timing, not as a seed.
    pub only_as_seed: bool,
    /// Not refused when the cell also contains these tokens: the call that gives the
    /// algorithm its seed (FastIca's `random_state(..)`).
    pub unless_cell_has: &'static [&'static str],
}

const SEEDED_RNG: &str = "rng() (a rand_xoshiro::Xoshiro256PlusPlus seeded from this cell's seed)";

/// Every call refused while entropy is not allowed.
pub const ENTROPY_SOURCES: &[EntropySource] = &[
    EntropySource {
        tokens: &["thread_rng", "("],
        call: "thread_rng()",
        replacement: SEEDED_RNG,
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["rand", "::", "random"],
        call: "rand::random",
        replacement: "a value drawn from the cell's seeded generator: rng().r#gen()",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["rand", "::", "rng", "("],
        call: "rand::rng()",
        replacement: SEEDED_RNG,
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["OsRng"],
        call: "OsRng",
        replacement: SEEDED_RNG,
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["::", "random", "("],
        call: "ndarray_rand's Array::random(shape, distribution)",
        replacement: "Array::random_using(shape, distribution, &mut rng())",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["make_dataset", "("],
        call: "linfa_datasets::generate::make_dataset (it draws with ndarray_rand's unseeded Array::random)",
        replacement: "DatasetBase::new(Array::random_using((rows, features), feature_distribution, \
                      &mut rng()), Array::random_using((rows, targets), target_distribution, &mut rng()))",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["from_entropy"],
        call: "from_entropy()",
        replacement: "seed_from_u64(cell_seed())",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["from_os_rng"],
        call: "from_os_rng()",
        replacement: "seed_from_u64(cell_seed())",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["EnsembleLearnerParams", "::", "new"],
        call: "EnsembleLearnerParams::new",
        replacement: "EnsembleLearnerParams::new_fixed_rng(model, rng())",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["AdaBoostParams", "::", "new"],
        call: "AdaBoostParams::new",
        replacement: "AdaBoostParams::new_fixed_rng(rng())",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["KMeansInit", "::", "KMeansPara"],
        call: "KMeansInit::KMeansPara",
        replacement: "KMeansInit::KMeansPlusPlus (KMeansPara's result depends on thread scheduling)",
        only_as_seed: false,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["SystemTime", "::", "now"],
        call: "SystemTime::now() as a seed",
        replacement: "the notebook's seed (`:seed N`) or cell_seed(); wall-clock time differs every run",
        only_as_seed: true,
        unless_cell_has: &[],
    },
    EntropySource {
        tokens: &["FastIca", "::", "params"],
        call: "FastIca::params() without random_state",
        replacement: FAST_ICA_SEEDED,
        only_as_seed: false,
        unless_cell_has: &["random_state", "("],
    },
    EntropySource {
        tokens: &["FastIcaParams", "::", "new"],
        call: "FastIcaParams::new() without random_state",
        replacement: FAST_ICA_SEEDED,
        only_as_seed: false,
        unless_cell_has: &["random_state", "("],
    },
    EntropySource {
        tokens: &["FastIcaParams", "::", "default"],
        call: "FastIcaParams::default() without random_state",
        replacement: FAST_ICA_SEEDED,
        only_as_seed: false,
        unless_cell_has: &["random_state", "("],
    },
];

/// linfa-ica seeds FastICA from the OS unless it is given a seed.
const FAST_ICA_SEEDED: &str = "FastIca::params().random_state(cell_seed() as usize)";

/// The entropy sources a cell uses, in order of appearance (each once).
pub fn entropy_in(code: &str) -> Vec<&'static EntropySource> {
    let words = significant_tokens(code);
    let seeding = inside_seeding_call(&words);
    let has = |tokens: &[&str]| words.windows(tokens.len()).any(|window| window == tokens);
    let mut found: Vec<(usize, &'static EntropySource)> = ENTROPY_SOURCES
        .iter()
        .filter(|source| source.unless_cell_has.is_empty() || !has(source.unless_cell_has))
        .filter_map(|source| {
            words
                .windows(source.tokens.len())
                .enumerate()
                .find(|(at, window)| {
                    window.iter().copied().eq(source.tokens.iter().copied())
                        && (!source.only_as_seed || seeding[*at])
                })
                .map(|(at, _)| (at, source))
        })
        .collect();
    found.sort_by_key(|(at, _)| *at);
    // One call, one refusal: `rand::random(` also contains ndarray_rand's `::random(`.
    let mut covered_until = 0;
    found
        .into_iter()
        .filter(|(at, source)| {
            let overlaps = *at < covered_until;
            covered_until = covered_until.max(at + source.tokens.len());
            !overlaps
        })
        .map(|(_, source)| source)
        .collect()
}

/// For each token: is it inside the arguments of a call whose name speaks of a seed
/// (`seed_from_u64`, `from_seed`, `with_seed`, `random_state`, ...)?
fn inside_seeding_call(words: &[&str]) -> Vec<bool> {
    let mut open: Vec<bool> = Vec::new();
    let mut inside = Vec::with_capacity(words.len());
    for (at, word) in words.iter().enumerate() {
        match *word {
            "(" => {
                let callee = at.checked_sub(1).map_or("", |before| words[before]);
                let seeds = callee.contains("seed") || callee == "random_state";
                open.push(seeds);
            }
            ")" => {
                open.pop();
            }
            _ => {}
        }
        inside.push(open.iter().any(|&seeds| seeds));
    }
    inside
}

/// The cell's tokens without whitespace, comments, literals and turbofish generic arguments
/// (`FastIcaParams::<f64>::default` reads as `FastIcaParams::default`); `::` joined into one
/// token.
fn significant_tokens(code: &str) -> Vec<&str> {
    let words = tokens_of(code);
    let mut kept = Vec::with_capacity(words.len());
    let mut at = 0;
    while at < words.len() {
        if words[at] == "::" && words.get(at + 1) == Some(&"<") {
            let mut depth = 0usize;
            at += 1;
            while at < words.len() {
                match words[at] {
                    "<" => depth += 1,
                    ">" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                at += 1;
                if depth == 0 {
                    break;
                }
            }
            continue;
        }
        kept.push(words[at]);
        at += 1;
    }
    kept
}

fn tokens_of(code: &str) -> Vec<&str> {
    let mut words: Vec<&str> = Vec::new();
    let mut offset = 0;
    for token in tokenize(code, FrontmatterAllowed::No) {
        let text = &code[offset..offset + token.len as usize];
        offset += token.len as usize;
        match token.kind {
            TokenKind::Whitespace
            | TokenKind::LineComment { .. }
            | TokenKind::BlockComment { .. }
            | TokenKind::Literal { .. } => {}
            TokenKind::Colon if words.last() == Some(&":") => {
                words.pop();
                words.push("::");
            }
            _ => words.push(text),
        }
    }
    words
}

/// A kernel magic line that belongs to seeding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedingMagic {
    ShowSeed,
    SetSeed(u64),
    AllowEntropy,
    /// `:replay`: re-run the cells that completed, to rebuild what an interrupt lost.
    Replay,
}

/// Why a magic line could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{line}`: {problem}")]
pub struct MagicError {
    pub line: String,
    pub problem: String,
}

/// Takes the seeding magics out of a cell: returns them and the rest of the cell, line numbers
/// kept (a magic line becomes an empty line, so compiler messages still point at the right one).
pub fn take_magics(code: &str) -> Result<(Vec<SeedingMagic>, String), MagicError> {
    let mut magics = Vec::new();
    let mut rest = Vec::new();
    for line in code.split('\n') {
        let mut words = line.split_whitespace();
        let magic = match words.next() {
            Some(":seed") => match (words.next(), words.next()) {
                (None, _) => SeedingMagic::ShowSeed,
                (Some(value), None) => {
                    SeedingMagic::SetSeed(parse_seed(value).ok_or_else(|| {
                        MagicError {
                            line: line.trim().to_owned(),
                            problem:
                                "the seed must be a whole number from 0 to 18446744073709551615"
                                    .to_owned(),
                        }
                    })?)
                }
                _ => {
                    return Err(MagicError {
                        line: line.trim().to_owned(),
                        problem: "write `:seed` to show the seed or `:seed N` to set it".to_owned(),
                    });
                }
            },
            Some(":allow_entropy") => SeedingMagic::AllowEntropy,
            Some(":replay") => SeedingMagic::Replay,
            _ => {
                rest.push(line);
                continue;
            }
        };
        magics.push(magic);
        rest.push("");
    }
    Ok((magics, rest.join("\n")))
}

fn parse_seed(text: &str) -> Option<u64> {
    text.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests;
