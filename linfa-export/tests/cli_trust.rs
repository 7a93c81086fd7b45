//! The real `linfa-export` binary: `keygen`, `sign`, and `verify`/`inspect` with a pinned
//! digest or a required key. Refusals exit 1, usage errors 2.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{export_tiny, flip_byte, forge, run, s, stderr, stdout};

/// Runs `args` and checks the exit code, showing the output when it differs.
fn expect_exit(args: &[&str], code: i32) -> Output {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// `keygen --out <tmp>/<name>`: (private, public, fingerprint).
fn keygen(tmp: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let prefix = tmp.join(name);
    let out = expect_exit(&["keygen", "--out", s(&prefix)], 0);
    let text = stdout(&out);
    let fingerprint = text
        .lines()
        .find_map(|l| l.strip_prefix("key fingerprint "))
        .expect("fingerprint line")
        .to_owned();
    let private = tmp.join(format!("{name}.private.pem"));
    let public = tmp.join(format!("{name}.public.pem"));
    (private, public, fingerprint)
}

#[test]
fn keygen_writes_a_private_and_a_public_pem_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public, fingerprint) = keygen(tmp.path(), "alice");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&private), 0o600);
    assert_eq!(mode(&public), 0o644);
    let pem = fs::read_to_string(&public).unwrap();
    assert_eq!(fingerprint, linfa_export::sha256_hex(pem.as_bytes()));
    let again = expect_exit(&["keygen", "--out", s(&tmp.path().join("alice"))], 2);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    expect_exit(
        &[
            "keygen",
            "--out",
            s(&tmp.path().join("bob")),
            "--curve",
            "p384",
        ],
        0,
    );
    expect_exit(
        &[
            "keygen",
            "--out",
            s(&tmp.path().join("eve")),
            "--curve",
            "p521",
        ],
        2,
    );
}

#[test]
fn a_signed_artifact_verifies_with_its_key_and_says_what_was_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let dir = s(&report.dir);
    let (private, public, fingerprint) = keygen(tmp.path(), "alice");

    let out = expect_exit(&["verify", dir], 0);
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].starts_with("trust: consistency only"), "{lines:?}");

    let out = expect_exit(&["sign", dir, "--key", s(&private)], 0);
    assert!(stdout(&out).contains(&fingerprint), "{}", stdout(&out));
    let out = expect_exit(&["verify", dir, "--public-key", s(&public)], 0);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("trust: signed by key {fingerprint}")),
        "{text}"
    );
    let out = expect_exit(
        &[
            "verify",
            dir,
            "--public-key",
            s(&public),
            "--expect",
            report.digest(),
        ],
        0,
    );
    assert!(stdout(&out).contains("trust: pinned digest, and signed by key"));
    // Without a key, the signature is mentioned but not taken for a check.
    let out = expect_exit(&["verify", dir], 0);
    let text = stdout(&out);
    assert!(
        text.contains("consistency only") && text.contains("was not checked"),
        "{text}"
    );

    let out = expect_exit(&["inspect", dir], 0);
    assert!(stdout(&out).contains(&format!("Signature        model.sig by key {fingerprint}")));
    let out = expect_exit(&["inspect", "--json", dir, "--public-key", s(&public)], 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["signature"]["key_fingerprint"], fingerprint.as_str());
    assert_eq!(doc["signature"]["checked"], true);
    assert_eq!(doc["assurance"]["signer"], fingerprint.as_str());
}

#[test]
fn a_pinned_digest_that_differs_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let other = "ab".repeat(32);
    let out = expect_exit(&["verify", s(&report.dir), "--expect", &other], 1);
    let text = stdout(&out);
    assert!(
        text.contains(&other) && text.contains(report.digest()),
        "{text}"
    );
    assert!(text.contains("pinned digest"), "{text}");
    let out = expect_exit(&["verify", s(&report.dir), "--expect", "123"], 2);
    assert!(
        stderr(&out).contains("not an artifact digest"),
        "{}",
        stderr(&out)
    );
    let out = expect_exit(
        &[
            "verify",
            s(&report.dir),
            "--expect",
            &report.digest().to_uppercase(),
        ],
        0,
    );
    assert!(stdout(&out).contains("trust: pinned digest"));
}

#[test]
fn each_way_a_signature_fails_is_refused_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let dir = s(&report.dir);
    let (private, public, alice) = keygen(tmp.path(), "alice");
    let (_, stranger, mallory) = keygen(tmp.path(), "mallory");

    let out = expect_exit(&["verify", dir, "--public-key", s(&public)], 1);
    assert!(stdout(&out).contains("model.sig: missing, so the artifact is not signed"));
    let out = expect_exit(&["inspect", dir], 0);
    assert!(stdout(&out).contains("Signature        none: nobody signed this artifact"));

    expect_exit(&["sign", dir, "--key", s(&private)], 0);
    let out = expect_exit(&["verify", dir, "--public-key", s(&stranger)], 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "signed by key {alice}, not by the required key {mallory}"
        )),
        "{text}"
    );

    let sig = report.dir.join("model.sig");
    let original = fs::read(&sig).unwrap();
    fs::write(&sig, &original[..original.len() - 10]).unwrap();
    let out = expect_exit(&["verify", dir, "--public-key", s(&public)], 1);
    assert!(
        stdout(&out).contains("model.sig: not a readable model signature"),
        "{}",
        stdout(&out)
    );
    fs::write(&sig, &original).unwrap();

    flip_byte(&report.dir, "model.json", 5);
    let out = expect_exit(&["verify", dir, "--public-key", s(&public)], 1);
    let text = stdout(&out);
    assert!(text.contains("model.json: sha256 mismatch"), "{text}");
    assert!(text.contains("model.json: changed after signing"), "{text}");
    flip_byte(&report.dir, "model.json", 5);

    fs::write(report.dir.join("added.txt"), "x").unwrap();
    let out = expect_exit(&["verify", dir, "--public-key", s(&public)], 1);
    assert!(stdout(&out).contains("added.txt: not listed in manifest.json"));
    fs::remove_file(report.dir.join("added.txt")).unwrap();
    expect_exit(&["verify", dir, "--public-key", s(&public)], 0);

    let out = expect_exit(
        &[
            "verify",
            dir,
            "--public-key",
            s(&tmp.path().join("none.pem")),
        ],
        2,
    );
    assert!(
        stderr(&out).contains("none.pem: cannot read the key"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_rehashed_forgery_passes_a_plain_verify_only() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let dir = s(&report.dir);
    let (private, public, _) = keygen(tmp.path(), "alice");
    expect_exit(&["sign", dir, "--key", s(&private)], 0);
    forge(&report.dir, |model| {
        model["intercept"] = serde_json::json!(100.0)
    });

    let out = expect_exit(&["verify", dir, "--public-key", s(&public)], 1);
    let text = stdout(&out);
    for needle in [
        "manifest.json: changed after signing",
        "model.json: changed after signing",
        "model.cbor: signed, but no longer in the artifact",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // The author's model.sig, kept by the forger, does not list the forged files.
    let out = expect_exit(&["verify", dir], 1);
    assert!(
        stdout(&out).contains("model.sig lists manifest.json with sha256"),
        "{}",
        stdout(&out)
    );
    // Without it, only a pinned digest or a key tells the forgery apart.
    fs::remove_file(report.dir.join("model.sig")).unwrap();
    let out = expect_exit(&["verify", dir], 0);
    assert!(stdout(&out).contains("2 files"), "{}", stdout(&out));
    let out = expect_exit(&["verify", dir, "--expect", report.digest()], 1);
    assert!(stdout(&out).contains("pinned digest"), "{}", stdout(&out));
    expect_exit(&["verify", dir, "--public-key", s(&public)], 1);
}

#[test]
fn a_broken_signature_fails_a_plain_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let dir = s(&report.dir);
    let (private, _, fingerprint) = keygen(tmp.path(), "alice");
    expect_exit(&["sign", dir, "--key", s(&private)], 0);
    let out = expect_exit(&["verify", dir], 0);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "model.sig by key {fingerprint} lists every file as it is"
        )) && text.contains("the signature itself was not checked"),
        "{text}"
    );

    let sig = report.dir.join("model.sig");
    let original = fs::read(&sig).unwrap();
    flip_byte(&report.dir, "model.sig", 0);
    let out = expect_exit(&["verify", dir], 1);
    let text = stdout(&out);
    assert!(
        text.contains("model.sig does not parse: not a Sigstore bundle")
            && text.contains("re-sign the artifact with `linfa-export sign` or remove model.sig")
            && text.contains(&format!("FAILED {dir}: 1 problem(s)")),
        "{text}"
    );
    fs::write(&sig, &original[..original.len() - 10]).unwrap();
    let out = expect_exit(&["verify", dir], 1);
    assert!(
        stdout(&out).contains("model.sig does not parse"),
        "{}",
        stdout(&out)
    );
    // `sign` repairs it, as the message says.
    expect_exit(&["sign", dir, "--key", s(&private)], 0);
    expect_exit(&["verify", dir], 0);
}

#[test]
fn only_a_verified_artifact_is_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let (private, _, _) = keygen(tmp.path(), "alice");
    flip_byte(&report.dir, "MODEL_CARD.md", 3);
    let out = expect_exit(&["sign", s(&report.dir), "--key", s(&private)], 1);
    assert!(
        stdout(&out).contains("refusing to sign"),
        "{}",
        stdout(&out)
    );
    assert!(!report.dir.join("model.sig").exists());
    let out = expect_exit(
        &[
            "sign",
            s(&report.dir),
            "--key",
            s(&tmp.path().join("x.pem")),
        ],
        2,
    );
    assert!(stderr(&out).contains("cannot read the key"));
}
