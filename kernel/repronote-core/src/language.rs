//! What the kernel tells frontends about itself and its language (`kernel_info_reply`).
//!
//! Every field the protocol lists is filled: JupyterLab picks syntax highlighting from
//! `codemirror_mode`, nbconvert picks an exporter from `nbconvert_exporter`, and
//! `jupyter nbconvert --to script` names the file with `file_extension`.

use jupyter_protocol::messaging::{
    CodeMirrorMode, HelpLink, KernelInfoReply, LanguageInfo, ReplyStatus,
};

/// The messaging protocol version this kernel speaks.
pub const PROTOCOL_VERSION: &str = "5.3";

/// The Rust compiler the kernel was built with, which is also the one cells are compiled by.
pub const RUSTC_VERSION: &str = env!("REPRONOTE_RUSTC_VERSION");

/// The kernel's name, as `kernel_info` and every export's provenance report it.
pub const KERNEL_NAME: &str = "repronote";
/// The kernel's version: the workspace's, which every crate of the kernel shares.
pub const KERNEL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: PROTOCOL_VERSION.to_owned(),
        implementation: KERNEL_NAME.to_owned(),
        implementation_version: KERNEL_VERSION.to_owned(),
        language_info: LanguageInfo {
            name: "rust".to_owned(),
            version: RUSTC_VERSION.to_owned(),
            mimetype: Some("text/rust".to_owned()),
            file_extension: Some(".rs".to_owned()),
            pygments_lexer: Some("rust".to_owned()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".to_owned())),
            nbconvert_exporter: Some("script".to_owned()),
        },
        banner: format!(
            "{KERNEL_NAME} {KERNEL_VERSION} (Rust {RUSTC_VERSION}): Rust cells with the linfa stack. Type :help for commands."
        ),
        help_links: vec![
            HelpLink {
                text: "Rust standard library".to_owned(),
                url: "https://doc.rust-lang.org/std/".to_owned(),
            },
            HelpLink {
                text: "linfa".to_owned(),
                url: "https://docs.rs/linfa".to_owned(),
            },
        ],
        debugger: false,
        error: None,
    }
}
