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
pub const RUSTC_VERSION: &str = env!("LINFA_KERNEL_RUSTC_VERSION");

pub fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: PROTOCOL_VERSION.to_owned(),
        implementation: "linfa-kernel".to_owned(),
        implementation_version: env!("CARGO_PKG_VERSION").to_owned(),
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
            "linfa-kernel {} (Rust {RUSTC_VERSION}): Rust cells with the linfa stack. Type :help for commands.",
            env!("CARGO_PKG_VERSION")
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
