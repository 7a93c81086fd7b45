//! The top layer: what people and other programs do with artifacts.
//!
//! Comparing two manifests (`diff`), checking a re-run against the original (`reproduce`),
//! saying which data file a re-run lacks (`data_folder`), turning an artifact into a
//! repository that relaunches its environment (`relaunch`), and showing artifacts and their
//! cards in a notebook (`notebook`). Each works on verified artifacts through the layers
//! below and nothing below depends on any of them: they are uses of the library, not parts of
//! what an artifact is. (The card's text is written at export, so its renderer is format,
//! `format::card`; reading a card back for display is here.)

pub(crate) mod data_folder;
pub(crate) mod diff;
pub(crate) mod notebook;
pub(crate) mod numeric_diff;
pub(crate) mod relaunch;
pub(crate) mod reproduce;
