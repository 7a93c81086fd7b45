//! Copying a prebuilt target folder into a session: large outputs hard-linked, small files
//! copied with their modification times, the cells' own crate left out.

use std::fs;
use std::io;
use std::path::Path;

/// Outputs larger than this are hard-linked; smaller ones are copied.
const LINK_THRESHOLD: u64 = 64 * 1024;

/// Whether `name` (a file or folder inside a target folder) belongs to the cells' crate rather
/// than to the stack: evcxr's crate is `ctx`, its loaded copies `libcode_N.so`.
fn belongs_to_cells(name: &str) -> bool {
    name.starts_with("ctx-")
        || name.starts_with("libctx")
        || name.starts_with("libcode_")
        || name == "incremental"
        || name.ends_with(".cargo-lock")
}

/// Copies the tree `from` into `to` (which must not exist), leaving out the cells' crate.
pub(super) fn clone_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        if relative
            .components()
            .any(|c| belongs_to_cells(&c.as_os_str().to_string_lossy()))
        {
            continue;
        }
        let destination = to.join(relative);
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&destination)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(link, &destination)?;
        } else {
            let size = entry.metadata().map_err(io::Error::other)?.len();
            let link = size > LINK_THRESHOLD && fs::hard_link(entry.path(), &destination).is_ok();
            if !link {
                fs::copy(entry.path(), &destination)?;
                let modified = entry.metadata().map_err(io::Error::other)?.modified()?;
                fs::File::options()
                    .write(true)
                    .open(&destination)?
                    .set_modified(modified)?;
            }
        }
    }
    Ok(())
}

pub(super) fn remove_tree(dir: &Path) {
    if let Err(error) = fs::remove_dir_all(dir)
        && error.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {error}", dir.display());
    }
}
