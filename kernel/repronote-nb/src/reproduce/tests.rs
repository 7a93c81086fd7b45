use super::*;

#[test]
fn the_session_folder_is_the_artifact_path_without_its_export_path() {
    assert_eq!(
        session_folder(Path::new("/work/notebooks/models/tree"), "models/tree"),
        Path::new("/work/notebooks")
    );
    assert_eq!(
        session_folder(Path::new("/work/notebooks/tree"), "tree"),
        Path::new("/work/notebooks")
    );
    // Moved under another name: the folder it lies in.
    assert_eq!(
        session_folder(Path::new("/downloads/their-tree"), "tree"),
        Path::new("/downloads")
    );
}

#[test]
fn a_failed_cell_names_its_place_and_identity() {
    let failed = FailedCell {
        number: 3,
        id: Some("02-04".to_owned()),
        ename: "panic".to_owned(),
        evalue: "boom".to_owned(),
    };
    assert_eq!(failed.to_string(), "cell 3 (02-04) failed: panic: boom");
}
