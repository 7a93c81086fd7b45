//! The cache and sessions on real folders: publish, clone, replace, clean up.

use super::session::remove_abandoned_sessions;
use super::*;
use repronote_prelude::numerics::NumericProfile;

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// A target folder as cargo leaves it after building the stack and two cells.
fn fake_build(target: &Path) {
    let deps = target.join("x86_64-unknown-linux-gnu/debug/deps");
    write(&deps.join("liblinfa-1234.rlib"), &vec![7; 100_000]);
    write(&deps.join("linfa-1234.d"), b"deps");
    write(&deps.join("libctx-99.so"), b"cell");
    write(&deps.join("libcode_2.so"), b"cell");
    write(
        &target.join("x86_64-unknown-linux-gnu/debug/.fingerprint/linfa-1234/lib-linfa"),
        b"fp",
    );
    write(
        &target.join("x86_64-unknown-linux-gnu/debug/.fingerprint/ctx-99/lib-ctx"),
        b"fp",
    );
    write(
        &target.join("x86_64-unknown-linux-gnu/debug/incremental/ctx-1/s"),
        b"inc",
    );
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (fs::metadata(a).unwrap(), fs::metadata(b).unwrap());
    a.ino() == b.ino() && a.dev() == b.dev()
}

#[test]
fn publish_then_start_a_session_shares_large_outputs_and_drops_the_cells() {
    let root = tempfile::tempdir().unwrap();
    let cache = StackCache::at(root.path().join("cache"));
    let key = StackKey::for_this_kernel("rustc test", NumericProfile::Portable);
    assert_eq!(cache.status(&key), TemplateStatus::Missing);

    let builder = Session::in_dir(root.path().join("builder")).unwrap();
    fake_build(&builder.target_dir());
    let template = cache
        .publish(
            &key,
            &builder.target_dir(),
            &serde_json::json!({"key": key.as_str()}),
        )
        .unwrap();
    assert_eq!(cache.status(&key), TemplateStatus::Ready(template.clone()));
    let debug = "x86_64-unknown-linux-gnu/debug";
    assert!(
        template
            .join(debug)
            .join("deps/liblinfa-1234.rlib")
            .is_file()
    );
    assert!(!template.join(debug).join("deps/libctx-99.so").exists());
    assert!(!template.join(debug).join("deps/libcode_2.so").exists());
    assert!(!template.join(debug).join("incremental").exists());
    assert!(!template.join(debug).join(".fingerprint/ctx-99").exists());
    let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
    assert_eq!(
        mtime(&template.join(debug).join("deps/linfa-1234.d")),
        mtime(&builder.target_dir().join(debug).join("deps/linfa-1234.d")),
        "copies keep their modification time"
    );

    let session = Session::in_dir(root.path().join("session")).unwrap();
    session.start_from(&template).unwrap();
    let linked = session
        .target_dir()
        .join(debug)
        .join("deps/liblinfa-1234.rlib");
    assert!(same_file(
        &linked,
        &template.join(debug).join("deps/liblinfa-1234.rlib")
    ));
    let fingerprint = session
        .target_dir()
        .join(debug)
        .join(".fingerprint/linfa-1234/lib-linfa");
    assert!(!same_file(
        &fingerprint,
        &template
            .join(debug)
            .join(".fingerprint/linfa-1234/lib-linfa")
    ));
    // cargo may rewrite what was copied, and that leaves the template as it was.
    fs::write(&fingerprint, b"rewritten").unwrap();
    assert_eq!(
        fs::read(
            template
                .join(debug)
                .join(".fingerprint/linfa-1234/lib-linfa")
        )
        .unwrap(),
        b"fp"
    );
    assert!(!session.target_dir().join(".published").exists());

    let session_dir = root.path().join("session");
    drop(session);
    assert!(!session_dir.exists(), "a session removes its folder");
}

#[test]
fn a_build_for_another_key_is_reported_stale_and_replaced() {
    let root = tempfile::tempdir().unwrap();
    let cache = StackCache::at(root.path().to_owned());
    let old = StackKey::for_this_kernel("rustc old", NumericProfile::Portable);
    let new = StackKey::for_this_kernel("rustc new", NumericProfile::Portable);
    let builder = Session::in_dir(root.path().join("b")).unwrap();
    fake_build(&builder.target_dir());
    cache
        .publish(&old, &builder.target_dir(), &serde_json::json!({}))
        .unwrap();
    assert_eq!(
        cache.status(&new),
        TemplateStatus::Stale {
            found: vec![format!("stack-{old}")]
        }
    );
    cache
        .publish(&new, &builder.target_dir(), &serde_json::json!({}))
        .unwrap();
    assert!(matches!(cache.status(&new), TemplateStatus::Ready(_)));
    assert!(!root.path().join(format!("stack-{old}")).exists());
    // Publishing a key that is already there keeps the first build.
    cache
        .publish(&new, &builder.target_dir(), &serde_json::json!({}))
        .unwrap();
    let leftovers: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".publishing"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_other_profiles_build_is_kept_and_a_build_from_before_profiles_is_replaced() {
    let root = tempfile::tempdir().unwrap();
    let cache = StackCache::at(root.path().to_owned());
    let portable = StackKey::for_this_kernel("rustc 1", NumericProfile::Portable);
    let native = StackKey::for_this_kernel("rustc 1", NumericProfile::Native);
    let builder = Session::in_dir(root.path().join("b")).unwrap();
    fake_build(&builder.target_dir());
    let before_profiles = root.path().join("stack-0123456789abcdef");
    fs::create_dir_all(&before_profiles).unwrap();
    cache
        .publish(&native, &builder.target_dir(), &serde_json::json!({}))
        .unwrap();
    assert_eq!(cache.status(&portable), TemplateStatus::Missing);
    cache
        .publish(&portable, &builder.target_dir(), &serde_json::json!({}))
        .unwrap();
    assert!(matches!(cache.status(&native), TemplateStatus::Ready(_)));
    assert!(matches!(cache.status(&portable), TemplateStatus::Ready(_)));
    assert!(!before_profiles.exists());
}

#[test]
fn the_lint_crate_is_kept_for_its_key_and_replaced_for_another() {
    let root = tempfile::tempdir().unwrap();
    let cache = StackCache::at(root.path().to_owned());
    let old = StackKey::for_this_kernel("rustc old", NumericProfile::Portable);
    let new = StackKey::for_this_kernel("rustc new", NumericProfile::Portable);
    let first = cache.lint_dir(&old).unwrap();
    write(&first.join("target/kept"), b"checked");
    assert_eq!(cache.lint_dir(&old).unwrap(), first);
    assert!(first.join("target/kept").is_file());
    let second = cache.lint_dir(&new).unwrap();
    assert!(second.is_dir() && !first.exists());
    assert_eq!(
        cache.status(&new),
        TemplateStatus::Missing,
        "not a stack build"
    );
}

#[test]
fn sessions_of_dead_kernels_are_removed() {
    let root = tempfile::tempdir().unwrap();
    let sessions = root.path().join("sessions");
    // No process has a pid this large (Linux caps pids at 2^22).
    let dead = sessions.join("999999999-abc");
    let alive = sessions.join(format!("{}-abc", std::process::id()));
    fs::create_dir_all(&dead).unwrap();
    fs::create_dir_all(&alive).unwrap();
    remove_abandoned_sessions(&sessions);
    assert!(!dead.exists());
    assert!(alive.exists());
}
