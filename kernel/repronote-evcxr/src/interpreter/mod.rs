//! The evcxr interpreter and what it needs around it. The trait and its vocabulary come from
//! the core ([`repronote_core::interpreter`]); they are re-exported here so the modules below
//! speak of `Interpreter`, `Outputs` and `Cell` as the core does.

pub mod evcxr;
pub mod evcxr_stack;
pub(crate) mod reserved_words;
pub(crate) mod result_alias;
pub mod stack_completion;
pub mod stack_index;
pub(crate) mod type_probe;

pub use repronote_core::interpreter::*;
