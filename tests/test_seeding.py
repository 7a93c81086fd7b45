"""Seeding through a real client: the session seed, per-cell seeds, refused entropy."""

from __future__ import annotations

import queue

import pytest

from conftest import documented_cell_seed, execute


def run_cell(kc, code: str, metadata: dict) -> str:
    """Runs `code` with `metadata` in the execute request; returns the result text."""
    message = kc.session.msg(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "user_expressions": {},
         "allow_stdin": False, "stop_on_error": True},
        metadata=metadata,
    )
    kc.shell_channel.send(message)
    result = None
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=120)
        except queue.Empty:
            raise TimeoutError(code)
        if msg["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        if msg["msg_type"] == "execute_result":
            result = msg["content"]["data"]["text/plain"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return result


def as_jupyterlab(kc, code: str, cell_id: str) -> str:
    """Runs `code` as JupyterLab does, with its `cellId` in the metadata."""
    return run_cell(kc, code, {"cellId": cell_id})


def test_the_session_seed_is_shown(kc):
    shown = execute(kc, ":seed")
    assert shown.status == "ok"
    assert "Session seed: 42" in shown.stdout()


def test_a_cells_seed_comes_from_its_source_whatever_cell_id_the_client_sends(kc):
    """JupyterLab sends a `cellId`, nbclient and `nb run` send none: the same cell must get the
    same seed from all of them, so the same notebook trains the same models."""
    expected = documented_cell_seed(42, "cell_seed()")
    assert int(execute(kc, "cell_seed()").result_text()) == expected
    assert int(as_jupyterlab(kc, "cell_seed()", "cell-7f3a")) == expected
    assert int(as_jupyterlab(kc, "cell_seed()", "another-cell")) == expected
    assert int(as_jupyterlab(kc, "cell_seed() ", "cell-7f3a")) == documented_cell_seed(
        42, "cell_seed() "
    ), "an edited cell is another cell"


def test_a_recorded_seed_identity_is_honoured_for_older_records(kc):
    """`nb reproduce` of a record made when seeds came from JupyterLab's ids sends the id."""
    seed = run_cell(kc, "cell_seed()", {"repronote_seed_identity": "cell-7f3a"})
    assert int(seed) == documented_cell_seed(42, "cell-7f3a")


def test_another_session_seed_gives_other_cell_seeds(kc):
    assert "Session seed: 7" in execute(kc, ":seed 7").stdout()
    assert int(as_jupyterlab(kc, "cell_seed()", "cell-7f3a")) == documented_cell_seed(
        7, "cell_seed()"
    )
    execute(kc, ":seed 42")


def test_rng_replays_per_cell_and_follows_the_seed(kc):
    code = "use rand::Rng;\n(rng().r#gen::<u64>(), rng().r#gen::<u64>())"
    other_cell = code + " // another cell"
    first = as_jupyterlab(kc, code, "cell-rng")
    a, b = (int(x) for x in first.strip("()").split(", "))
    assert a != b, "two calls in one cell give different streams"
    assert as_jupyterlab(kc, code, "cell-rng") == first, "re-running a cell replays its numbers"
    assert execute(kc, code).result_text() == first, "a client without ids gets the same"
    assert as_jupyterlab(kc, other_cell, "other-rng") != first
    execute(kc, ":seed 7")
    assert as_jupyterlab(kc, code, "cell-rng") != first, "another session seed, other numbers"
    execute(kc, ":seed 42")
    # Documented: the k-th call is Xoshiro256PlusPlus::seed_from_u64(cell_seed() + k).
    check = (
        "use rand::{Rng, SeedableRng};\n"
        "let mut expected = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(cell_seed().wrapping_add(1));\n"
        "let _ = rng();\n"
        "rng().r#gen::<u64>() == expected.r#gen::<u64>()"
    )
    assert as_jupyterlab(kc, check, "cell-rng-doc") == "true"


def test_a_bad_seed_is_a_clear_error(kc):
    failed = execute(kc, ":seed forty-two")
    assert failed.status == "error"
    assert failed.reply["content"]["ename"] == "MagicError"
    assert "whole number" in failed.reply["content"]["evalue"]


def test_entropy_is_refused_before_compiling_with_the_seeded_replacement(kc):
    refused = execute(kc, "let mut generator = rand::thread_rng();")
    assert refused.status == "error"
    content = refused.reply["content"]
    assert content["ename"] == "EntropyRefused"
    assert "thread_rng()" in content["evalue"] and "use rng()" in content["evalue"]
    assert any(":allow_entropy" in line for line in content["traceback"])


REFUSED = [
    ("let mut g = rand::thread_rng();", "thread_rng()", "rng()"),
    ("let x: f64 = rand::random();", "rand::random", "rng().r#gen()"),
    ("let mut g = rand::rng();", "rand::rng()", "rng()"),
    ("let mut g = rand::rngs::OsRng;", "OsRng", "rng()"),
    ("let g = rand_xoshiro::Xoshiro256PlusPlus::from_entropy();", "from_entropy()", "seed_from_u64(cell_seed())"),
    ("let g = rand_xoshiro::Xoshiro256PlusPlus::from_os_rng();", "from_os_rng()", "seed_from_u64(cell_seed())"),
    (
        "let a = Array2::<f64>::random((3, 3), Uniform::new(0.0, 1.0));",
        "ndarray_rand's Array::random",
        "random_using(shape, distribution, &mut rng())",
    ),
    (
        "let p = EnsembleLearnerParams::new(DecisionTree::params());",
        "EnsembleLearnerParams::new",
        "new_fixed_rng(model, rng())",
    ),
    ("let p = AdaBoostParams::new();", "AdaBoostParams::new", "new_fixed_rng(rng())"),
    ("let ica = FastIca::params().ncomponents(2);", "FastIca::params() without random_state", "random_state(cell_seed() as usize)"),
    (
        "let m = KMeans::params(3).init_method(KMeansInit::KMeansPara);",
        "KMeansInit::KMeansPara",
        "KMeansPlusPlus",
    ),
    (
        "let g = Xoshiro256PlusPlus::seed_from_u64(\n"
        "    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs());",
        "SystemTime::now() as a seed",
        ":seed N",
    ),
]


@pytest.mark.parametrize("code, call, replacement", REFUSED, ids=[r[1] for r in REFUSED])
def test_each_entropy_source_is_refused_with_its_replacement(kc, code, call, replacement):
    refused = execute(kc, code)
    assert refused.status == "error"
    content = refused.reply["content"]
    assert content["ename"] == "EntropyRefused"
    assert f"`{call}" in content["evalue"], content["evalue"]
    assert replacement in "\n".join(content["traceback"]), content["traceback"]


def test_a_seeded_fast_ica_is_not_refused(kc):
    # linfa-ica is not preloaded; the cell is refused or not before anything is compiled.
    seeded = execute(kc, "let ica = FastIca::params().ncomponents(2).random_state(cell_seed() as usize);")
    assert seeded.reply["content"].get("ename") != "EntropyRefused"


def test_allowing_entropy_marks_the_session_non_reproducible(kc):
    allowed = execute(kc, ":allow_entropy\nfn thread_rng() -> u32 { 4 }\nthread_rng()")
    assert allowed.status == "ok", allowed.reply["content"]
    assert allowed.result_text() == "4"
    assert "non-reproducible" in allowed.text("stderr")
    assert "NOT reproducible" in execute(kc, ":seed").stdout()
