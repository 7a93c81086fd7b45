//! The seed derivation against values computed independently, and every refusal with its
//! replacement.

use super::*;

#[test]
fn cell_seeds_are_stable_and_depend_on_seed_and_cell() {
    assert_eq!(cell_seed(42, "cell-a"), cell_seed(42, "cell-a"));
    assert_ne!(cell_seed(42, "cell-a"), cell_seed(43, "cell-a"));
    assert_ne!(cell_seed(42, "cell-a"), cell_seed(42, "cell-b"));
}

#[test]
fn the_derivation_is_the_documented_one() {
    // int.from_bytes(hashlib.sha256(b"linfa-kernel cell seed v1" + (42).to_bytes(8, "little")
    //     + b"cell-a").digest()[:8], "little"), computed with Python.
    assert_eq!(cell_seed(42, "cell-a"), 5879963103417701900);
}

#[test]
fn entropy_calls_are_found_in_code_not_in_text() {
    let code = r#"
        // thread_rng() in a comment is fine
        let note = "rand::random is fine in a string";
        let mut r = rand::thread_rng();
        let x: f64 = rand::random();
        let m = KMeans::params(3).init_method(KMeansInit::KMeansPara);
    "#;
    let calls: Vec<&str> = entropy_in(code).iter().map(|s| s.call).collect();
    assert_eq!(
        calls,
        ["thread_rng()", "rand::random", "KMeansInit::KMeansPara"]
    );
}

#[test]
fn ndarray_rand_without_a_generator_is_refused() {
    let code = "let a = Array2::random((2, 2), Uniform::new(0.0, 1.0));";
    let calls: Vec<&str> = entropy_in(code).iter().map(|s| s.call).collect();
    assert_eq!(calls, ["ndarray_rand's Array::random(shape, distribution)"]);
    let seeded = "let a = Array2::random_using((2, 2), Uniform::new(0.0, 1.0), &mut rng());";
    assert!(entropy_in(seeded).is_empty());
}

#[test]
fn seeded_code_passes() {
    let code =
        "let mut rng = Xoshiro256PlusPlus::seed_from_u64(cell_seed());\nlet x: f64 = rng.r#gen();";
    assert!(entropy_in(code).is_empty());
    assert!(entropy_in("let rng = my_rng();").is_empty());
    // The prelude's seeded generator is what the refusals recommend.
    assert!(entropy_in("let model = KMeans::params_with_rng(3, rng()).fit(&data);").is_empty());
}

#[test]
fn every_listed_source_is_detected() {
    for source in ENTROPY_SOURCES {
        let code = format!("let _ = seed_from_u64({});", source.tokens.join(""));
        assert_eq!(entropy_in(&code), vec![source], "{}", source.call);
    }
}

#[test]
fn fast_ica_is_refused_unless_it_is_given_a_seed() {
    let unseeded = "let ica = FastIca::params().ncomponents(2).fit(&data).unwrap();";
    let calls: Vec<&str> = entropy_in(unseeded).iter().map(|s| s.call).collect();
    assert_eq!(calls, ["FastIca::params() without random_state"]);
    let seeded = "let ica = FastIca::params().ncomponents(2)\n    .random_state(cell_seed() as usize).fit(&data);";
    assert!(entropy_in(seeded).is_empty());
    assert_eq!(
        entropy_in("let p = FastIcaParams::<f64>::default();").len(),
        1
    );
    assert_eq!(entropy_in("let p = FastIca::<f64>::params();").len(), 1);
    assert_eq!(entropy_in("let p = FastIcaParams::default();").len(), 1);
}

#[test]
fn the_clock_is_refused_as_a_seed_but_not_for_timing() {
    let timing = "let start = SystemTime::now();\ntrain();\nstart.elapsed()";
    assert!(entropy_in(timing).is_empty());
    let seeded = "let rng = Xoshiro256PlusPlus::seed_from_u64(\n    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs());";
    let calls: Vec<&str> = entropy_in(seeded).iter().map(|s| s.call).collect();
    assert_eq!(calls, ["SystemTime::now() as a seed"]);
}

#[test]
fn magics_are_taken_out_and_lines_are_kept() {
    let (magics, rest) = take_magics(":seed 7\nlet x = 1;\n:allow_entropy\nx").unwrap();
    assert_eq!(
        magics,
        [SeedingMagic::SetSeed(7), SeedingMagic::AllowEntropy]
    );
    assert_eq!(rest, "\nlet x = 1;\n\nx");
    assert_eq!(take_magics(":seed").unwrap().0, [SeedingMagic::ShowSeed]);
    assert_eq!(
        take_magics(":seed 1_000").unwrap().0,
        [SeedingMagic::SetSeed(1000)]
    );
    assert!(take_magics(":seed lots").is_err());
    assert!(take_magics(":seed 1 2").is_err());
    assert_eq!(take_magics(":dep rand").unwrap().0, []);
}

#[test]
fn linfa_datasets_unseeded_generator_is_refused_with_a_seeded_replacement() {
    let calls: Vec<&str> = entropy_in(
        "let data = linfa_datasets::generate::make_dataset(100, 3, 1, Uniform::new(0., 1.), Normal::new(0., 1.).unwrap());",
    )
    .iter()
    .map(|source| source.call)
    .collect();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].starts_with("linfa_datasets::generate::make_dataset"),
        "{calls:?}"
    );
    let seeded = "let blobs = linfa_datasets::generate::blobs(100, &centroids, &mut rng());";
    assert!(entropy_in(seeded).is_empty());
}
