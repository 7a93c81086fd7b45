"""The preloaded linfa stack, driven through a real Jupyter client.

A fresh kernel trains models with no `:dep` line, in cells written as a student writes them:
top-level `let` for data, model and predictions, no type annotations. Speed is measured in
bench/kernel_startup.py, not here.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, execute, ok

# One student notebook, cell by cell.
STUDENT_CELLS = [
    "use linfa::prelude::*;\nuse linfa_clustering::KMeans;\nuse linfa_trees::DecisionTree;",
    "let data = linfa_datasets::iris();",
    "let model = KMeans::params(3).fit(&data).unwrap();",
    "let preds = model.predict(&data);",
    "let tree = DecisionTree::params().max_depth(Some(3)).fit(&data).unwrap();",
    "let accuracy = tree.predict(&data).confusion_matrix(&data).unwrap().accuracy();",
    # rust-analyzer cannot type the chain, and rustc names a primitive only in its label.
    "let inertia = KMeans::params(3).fit(&data).unwrap().inertia();",
]


def refusal(kc, code) -> str:
    """The error a cell gets, as the notebook shows it (it must fail)."""
    run = execute(kc, code)
    assert run.status == "error", f"{code!r} was expected to fail"
    return run.reply["content"]["evalue"] + "\n" + "\n".join(run.reply["content"]["traceback"])


def test_a_fresh_kernel_trains_linfa_models_without_dep_lines(kc):
    runs = [ok(kc, cell) for cell in STUDENT_CELLS]
    # The stack was prebuilt: no cell compiled a dependency.
    for cell, run in zip(STUDENT_CELLS, runs):
        assert "Compiling" not in run.text("stderr"), f"{cell!r} built dependencies:\n{run.text('stderr')}"
    # The bindings persisted with the types rustc found, and later cells use them.
    assert ok(kc, "model.centroids().dim()").result_text() == "(3, 4)"
    assert ok(kc, "preds.len()").result_text() == "150"
    accuracy = float(ok(kc, "accuracy").result_text())
    assert 0.9 < accuracy <= 1.0
    assert ok(kc, "data.nsamples()").result_text() == "150"
    assert ok(kc, "inertia > 0.0").result_text() == "true"


def test_every_preloaded_crate_is_usable(kc):
    code = """
use linfa::prelude::*;
let table = linfa_datasets::winequality();
let diabetes = linfa_datasets::diabetes();
let linnerud = linfa_datasets::linnerud();
let sizes = (table.nsamples(), diabetes.nsamples(), linnerud.nsamples());
let a = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
use rand::{Rng, SeedableRng};
use ndarray_rand::RandomExt;
let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(cell_seed());
let noise: f64 = rng.r#gen();
let random = ndarray::Array2::<f64>::random_using(
    (2, 2), ndarray_rand::rand_distr::Uniform::new(0.0, 1.0), &mut rng);
let json = serde_json::to_string(&a).unwrap();
let mut svg = String::new();
{
    use plotters::prelude::*;
    let root = SVGBackend::with_string(&mut svg, (80, 60)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    root.present().unwrap();
}
let fingerprint = linfa_export::DataFingerprint::from_arrays(&a, &ndarray::array![1, 2]);
"""
    ok(kc, code)
    assert ok(kc, "sizes").result_text() == "(1599, 441, 20)"
    assert ok(kc, "svg.contains(\"<svg\")").result_text() == "true"
    assert ok(kc, "json.starts_with('{')").result_text() == "true"
    assert ok(kc, "random.dim()").result_text() == "(2, 2)"
    assert ok(kc, "(0.0..1.0).contains(&noise)").result_text() == "true"
    shown = ok(kc, ":stack").result_text()
    assert "linfa 0.8.1" in shown and "ndarray 0.16.1" in shown and "Build key" in shown, shown


def complete(kc, code: str) -> dict:
    kc.complete(code, len(code))
    reply = kc.get_shell_msg(timeout=30)
    assert reply["header"]["msg_type"] == "complete_reply", reply
    return reply["content"]


def test_completion_knows_the_stack_and_the_types_of_kept_variables(kc):
    # rust-analyzer in the kernel sees std only; the stack comes from the kernel's index.
    found = complete(kc, "linfa_clustering::KMe")
    assert "KMeans" in found["matches"], found
    assert found["cursor_start"] == len("linfa_clustering::") and found["cursor_end"] == len("linfa_clustering::KMe")
    ok(kc, "use linfa::prelude::*;\nlet data = linfa_datasets::iris();\n"
           "let model = linfa_clustering::KMeans::params(3).fit(&data).unwrap();")
    methods = complete(kc, "model.")["matches"]
    assert {"predict", "centroids"} <= set(methods), methods
    assert "split_with_ratio" in complete(kc, "data.spl")["matches"]
    # std still comes from rust-analyzer.
    assert "HashMap" in complete(kc, "std::collections::Hash")["matches"]
    kc.inspect("linfa_clustering::KMeans", len("linfa_clustering::KMe"))
    shown = kc.get_shell_msg(timeout=30)["content"]
    assert shown["found"], shown
    assert "struct linfa_clustering::KMeans" in shown["data"]["text/plain"], shown


def test_rust_analyzer_is_given_std_for_completion_and_evcxr_keeps_its_settings(kernel):
    # evcxr's rust-analyzer starts without std: RUST_SRC_PATH points at a link in the kernel's
    # session folder, and the kernel points the link at the toolchain's library when it is
    # idle or asked to complete (kernel/repronote-evcxr/src/interpreter/evcxr/deferred_std.rs).
    km, kc = kernel
    cache = os.environ.get("REPRONOTE_CACHE", os.path.expanduser("~/.cache/repronote"))
    [session] = glob.glob(os.path.join(cache, "sessions", f"{km.provisioner.process.pid}-*"))
    assert "HashMap" in complete(kc, "std::collections::Hash")["matches"]
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], cwd=os.path.join(session, "crate"),
                             capture_output=True, text=True, check=True).stdout.strip()
    library = os.path.join(sysroot, "lib", "rustlib", "src", "rust", "library")
    assert os.readlink(os.path.join(session, "rust-analyzer-library")) == library
    # The reload left evcxr's optimisation level as it was: `:opt` toggles 2 to 0 and back.
    assert ok(kc, ":opt").result_text().strip() == "Optimization: 0"
    assert ok(kc, ":opt").result_text().strip() == "Optimization: 2"
    # The variable is for rust-analyzer in the kernel, not for cells.
    assert ok(kc, 'std::env::var_os("RUST_SRC_PATH").is_none()').result_text() == "true"


def test_a_dep_line_still_adds_a_crate(kc):
    # itoa is in the stack's lock (serde_json uses it): this resolves and builds offline.
    ok(kc, ':dep itoa = "1"')
    assert ok(kc, "itoa::Buffer::new().format(42).to_owned()").result_text() == '"42"'


def test_a_closure_binding_says_which_binding_and_what_to_write(kc):
    message = refusal(kc, "let double = |x: f64| x * 2.0;")
    assert "`double`" in message
    assert "Box" in message
    # The kernel is still usable, and the bad binding did not survive.
    assert ok(kc, "1 + 1").result_text() == "2"


def test_a_borrowing_binding_says_what_to_keep_instead(kc):
    ok(kc, "let flowers = linfa_datasets::iris();")
    message = refusal(kc, "let names = flowers.feature_names();")
    assert "`names`" in message and "Keep an owned copy" in message, message
    ok(kc, "let names: Vec<String> = flowers.feature_names().iter().map(|s| s.to_string()).collect();")
    assert ok(kc, "names.len()").result_text() == "4"


def test_a_binding_only_a_later_cell_could_type_gets_a_note_with_the_annotation(kc):
    ok(kc, "use linfa::prelude::*;\nuse linfa_trees::DecisionTree;")
    message = refusal(kc, "let params = DecisionTree::params().max_depth(Some(4));")
    assert "a later cell cannot settle the type of `params`" in message, message
    assert "let params: DecisionTreeParams<_, _> = ...;" in message, message
    # Written as the note says, in one cell, it works, and the model is kept.
    ok(kc, "let params = DecisionTree::params().max_depth(Some(4));\n"
           "let tree = params.fit(&linfa_datasets::iris()).unwrap();")
    assert ok(kc, "(1..=4).contains(&tree.max_depth())").result_text() == "true"


def test_a_kernel_without_a_prebuilt_stack_builds_it_in_the_first_cell_and_publishes_it():
    cache = tempfile.mkdtemp(prefix="repronote-cache-")
    env = dict(os.environ, REPRONOTE_CACHE=cache)
    try:
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
        try:
            # The cell that waits for the build uses the stack's prelude (`rng()`) as well.
            first = "use linfa::prelude::*;\nlet (train, _) = linfa_datasets::iris().shuffle(&mut rng()).split_with_ratio(0.8);\ntrain.nsamples()"
            run = ok(kc, first, timeout=1200)
            stderr = run.text("stderr")
            assert "has not been built on this machine yet" in stderr
            assert "Compiling linfa" in stderr, "cargo's progress is shown in the notebook"
            assert "later kernels start with it" in stderr
            assert run.result_text() == "120"
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        published = [name for name in os.listdir(cache) if name.startswith("stack-")]
        assert len(published) == 1, os.listdir(cache)
        assert os.path.isfile(os.path.join(cache, published[0], "stack.json"))

        # The next kernel starts from it: its first linfa cell compiles no dependency.
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
        try:
            run = ok(kc, "use linfa::prelude::*;\nlet data = linfa_datasets::iris();\ndata.nsamples()")
            assert "Compiling" not in run.text("stderr"), run.text("stderr")
            assert run.result_text() == "150"
        finally:
            kc.stop_channels()
            # A polite shutdown: the kernel removes its session folder (the first kernel's,
            # killed above, was removed when this one started).
            km.shutdown_kernel()
        sessions = os.path.join(cache, "sessions")
        assert os.listdir(sessions) == [], "a kernel removes its session folder when it ends"
    finally:
        shutil.rmtree(cache, ignore_errors=True)
