"""The kernel's robustness promises, tried with a real client and raw sockets.

Bad input must be refused without losing the session: a forged signature is never executed,
garbage frames and malformed content leave the kernel answering, a panic keeps earlier
variables, an endless loop can be interrupted, a crashed evaluation process is replaced.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
import time
import uuid

import pytest
import zmq
from jupyter_client.session import Session

from conftest import execute, start_kernel


def connection(km) -> dict:
    with open(km.connection_file) as f:
        return json.load(f)


def raw_shell(km) -> zmq.Socket:
    info = connection(km)
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
    socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    return socket


def signed(session: Session, msg_type: str, content: dict) -> list[bytes]:
    message = session.msg(msg_type, content)
    return session.serialize(message)


def alive(kc) -> None:
    result = execute(kc, "40 + 2")
    assert result.status == "ok", result.reply
    assert result.result_text() == "42"


def test_a_forged_signature_is_never_executed(kernel):
    km, kc = kernel
    marker = os.path.join(tempfile.mkdtemp(), "forged-ran")
    forger = Session(key=b"not-the-connection-key", signature_scheme="hmac-sha256")
    socket = raw_shell(km)
    code = f'std::fs::write("{marker}", "ran").unwrap();'
    socket.send_multipart(signed(forger, "execute_request", {
        "code": code, "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
    }))
    assert socket.poll(5000) == 0, "a forged request got an answer"
    alive(kc)
    assert not os.path.exists(marker), "the forged cell was executed"
    socket.close()


def test_an_unsigned_message_is_dropped(kernel):
    km, kc = kernel
    socket = raw_shell(km)
    unsigned = Session(key=b"", signature_scheme="hmac-sha256")
    socket.send_multipart(signed(unsigned, "kernel_info_request", {}))
    assert socket.poll(3000) == 0
    alive(kc)
    socket.close()


@pytest.mark.parametrize(
    "frames",
    [
        [b"hello"],
        [b"<IDS|MSG>"],
        [b"<IDS|MSG>", b"sig", b"{"],
        [b"<IDS|MSG>", b"", b"not json", b"{}", b"{}", b"{}"],
        [b"\xff\xfe" * 1000],
    ],
    ids=["no-delimiter", "delimiter-only", "too-few-frames", "bad-json", "binary"],
)
def test_garbage_frames_leave_the_kernel_answering(kernel, frames):
    km, kc = kernel
    socket = raw_shell(km)
    socket.send_multipart(frames)
    assert socket.poll(1000) == 0
    alive(kc)
    socket.close()


def test_signed_but_malformed_content_gets_an_error_reply(kernel):
    km, kc = kernel
    session = Session(key=connection(km)["key"].encode(), signature_scheme="hmac-sha256")
    socket = raw_shell(km)
    socket.send_multipart(signed(session, "execute_request", {"no_code_here": True}))
    assert socket.poll(10000), "no reply to a malformed request"
    _, reply = session.feed_identities(socket.recv_multipart())
    reply = session.deserialize(reply)
    assert reply["msg_type"] == "execute_reply"
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "InvalidMessage"
    assert "code" in reply["content"]["evalue"]
    alive(kc)
    socket.close()


def test_an_oversized_message_is_refused_and_the_kernel_answers(kernel):
    km, kc = kernel
    session = Session(key=connection(km)["key"].encode(), signature_scheme="hmac-sha256")
    socket = raw_shell(km)
    huge = "// " + "x" * (65 * 1024 * 1024)  # over the kernel's 64 MiB limit
    socket.send_multipart(signed(session, "execute_request", {
        "code": huge, "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
    }))
    assert socket.poll(5000) == 0, "an oversized request was answered"
    alive(kc)
    socket.close()


def test_an_unknown_message_type_is_ignored(kernel):
    km, kc = kernel
    kc.shell_channel.send(kc.session.msg("teleport_request", {"where": "moon"}))
    alive(kc)


def test_a_panic_is_an_error_and_earlier_variables_survive(kc):
    assert execute(kc, "let kept = 41;").status == "ok"
    panicked = execute(kc, 'let lost = 1; panic!("model diverged");')
    assert panicked.status == "error"
    assert panicked.reply["content"]["ename"] == "panic"
    assert panicked.reply["content"]["evalue"] == "model diverged"
    errors = panicked.of_type("error")
    assert len(errors) == 1 and errors[0]["content"]["evalue"] == "model diverged"
    assert "panicked" not in panicked.stdout()
    after = execute(kc, "kept + 1")
    assert after.status == "ok" and after.result_text() == "42"


def test_a_compile_error_points_at_the_cells_own_lines(kc):
    failed = execute(kc, 'let a = 1;\nlet b: u8 = "two";')
    assert failed.status == "error"
    content = failed.reply["content"]
    assert content["ename"] == "CompilationError"
    assert content["evalue"] == "mismatched types"
    traceback = "\n".join(content["traceback"])
    assert "cell line 2" in traceback
    assert 'let b: u8 = "two";' in traceback


def test_interrupt_stops_an_endless_loop_and_the_kernel_answers_the_next_cell(kernel):
    km, kc = kernel
    msg_id = kc.execute("loop { std::hint::spin_loop(); }")
    time.sleep(5)  # compiled and spinning
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    alive(kc)


def test_replay_after_an_interrupt_gives_back_the_same_fitted_model():
    """The variables an interrupt lost come back from `:replay`: the cells that completed run
    again with their seeds, so a seeded KMeans fit is bit-identical to the lost one."""
    km, kc = start_kernel()
    try:
        cells = [
            "use linfa::prelude::*;\nlet iris = linfa_datasets::iris();",
            "let model = linfa_clustering::KMeans::params_with_rng(3, rng()).fit(&iris).unwrap();",
        ]
        for code in cells:
            assert execute(kc, code).status == "ok"
        digest = "linfa_export::sha256_hex(serde_json::to_string(&model).unwrap().as_bytes())"
        before = execute(kc, digest).result_text()
        msg_id = kc.execute("loop { std::hint::spin_loop(); }")
        time.sleep(5)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=60)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["ename"] == "Interrupted"
        assert ":replay" in reply["content"]["evalue"], reply["content"]["evalue"]
        assert execute(kc, "model.centroids()").status == "error", "the interrupt lost it"
        replayed = execute(kc, ":replay", timeout=600)
        assert replayed.status == "ok", replayed.reply
        said = replayed.stdout()
        assert "Replaying cell 1 of" in said and ": let model = " in said, said
        after = execute(kc, digest).result_text()
        assert before is not None and after == before
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize(
    "code, signal",
    [
        ("std::process::abort();", "SIGABRT"),
        ("unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };", "SIG"),
    ],
    ids=["abort", "segfault"],
)
def test_a_crashing_cell_restarts_the_evaluation_process(kc, code, signal):
    assert execute(kc, "let before_crash = 1;").status == "ok"
    died = execute(kc, code)
    assert died.status == "error"
    assert died.reply["content"]["ename"] == "EvaluationProcessDied"
    assert signal in died.reply["content"]["evalue"]
    assert "Re-run the cells" in "\n".join(died.reply["content"]["traceback"])
    alive(kc)
    assert execute(kc, "before_crash").status == "error", "variables cannot survive a crash"
    # The new evaluation process has its flusher again: text without a newline still arrives.
    assert execute(kc, 'print!("after the crash");').stdout() == "after the crash"


def test_restart_gives_a_fresh_session(kernel):
    km, kc = kernel
    assert execute(kc, "let before_restart = 7;").status == "ok"
    km.restart_kernel()
    kc.wait_for_ready(timeout=60)
    fresh = execute(kc, "before_restart", timeout=300)
    assert fresh.status == "error"
    assert fresh.reply["content"]["execution_count"] == 1
    alive(kc)


def test_stdout_streams_while_the_cell_runs(kc):
    run = execute(
        kc,
        'for i in 0..3 { println!("epoch {i}"); std::thread::sleep(std::time::Duration::from_millis(800)); }',
    )
    assert run.status == "ok"
    assert run.stdout() == "epoch 0\nepoch 1\nepoch 2\n"
    assert len(run.stream()) >= 2, "all output arrived at once"
    assert run.stream()[-1]["received_at"] - run.stream()[0]["received_at"] > 1.0


def test_a_dependency_build_shows_its_progress_in_the_notebook(kc):
    # scopeguard is not part of the preloaded stack, so cargo has to build it.
    run = execute(kc, ':dep scopeguard = "1"\n*scopeguard::guard(41, |_| ()) + 1', timeout=600)
    assert run.status == "ok", run.reply["content"]
    assert run.result_text() == "42"
    assert "Compiling scopeguard" in run.text("stderr")


def test_a_unit_value_is_not_shown_as_a_result(kc):
    run = execute(kc, "for _ in 0..2 {}")
    assert run.status == "ok"
    assert run.of_type("execute_result") == []


def test_print_without_newline_shows_up_before_the_cell_ends(kc):
    run = execute(
        kc,
        'print!("training"); std::thread::sleep(std::time::Duration::from_millis(1500)); print!(" done");',
    )
    assert run.status == "ok"
    assert run.stdout() == "training done"
    assert run.stream()[0]["content"]["text"] == "training"
    assert run.stream()[-1]["received_at"] - run.stream()[0]["received_at"] > 1.0


def test_each_stream_keeps_its_order_and_all_of_it_arrives_before_the_reply(kc):
    # stdout and stderr are two pipes: lines written microseconds apart on different streams
    # may swap places, but each stream keeps its order and nothing trails past the cell.
    run = execute(kc, 'for i in 0..50 { println!("out {i}"); eprintln!("err {i}"); }')
    assert run.text("stdout") == "".join(f"out {i}\n" for i in range(50))
    assert run.text("stderr") == "".join(f"err {i}\n" for i in range(50))


def test_updatable_display_is_updated_in_place(kc):
    run = execute(
        kc,
        'let bar = display_updatable(&[("text/plain", "0%")]); bar.update(&[("text/plain", "100%")]);',
    )
    assert run.status == "ok"
    shown = run.of_type("display_data")[0]
    updated = run.of_type("update_display_data")[0]
    display_id = shown["content"]["transient"]["display_id"]
    assert updated["content"]["transient"]["display_id"] == display_id
    assert updated["content"]["data"]["text/plain"] == "100%"


def test_input_is_asked_of_the_frontend(kc):
    msg_id = kc.execute('let name = input("Your name? "); println!("hello {name}");', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=120)
    assert request["msg_type"] == "input_request"
    assert request["content"]["prompt"] == "Your name? "
    assert request["parent_header"]["msg_id"] == msg_id
    kc.input("Ada")
    reply = kc.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok"
    assert execute(kc, 'println!("{name}");').stdout() == "Ada\n"


def test_silent_executions_publish_nothing_and_keep_the_counter(kc):
    before = execute(kc, "1").reply["content"]["execution_count"]
    silent = execute(kc, 'println!("hidden"); 5', silent=True)
    assert silent.outputs == []
    assert silent.reply["content"]["execution_count"] == before
    assert execute(kc, "2").reply["content"]["execution_count"] == before + 1


def test_user_expressions_are_evaluated(kc):
    run = execute(kc, "let epochs = 3;", user_expressions={"doubled": "epochs * 2", "broken": "nope"})
    expressions = run.reply["content"]["user_expressions"]
    assert expressions["doubled"]["status"] == "ok"
    assert expressions["doubled"]["data"]["text/plain"] == "6"
    assert expressions["broken"]["status"] == "error"


def test_heartbeat_echoes_what_it_receives(kernel):
    km, _ = kernel
    info = connection(km)
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
    payload = uuid.uuid4().bytes
    socket.send(payload)
    assert socket.poll(5000)
    assert socket.recv() == payload
    socket.close()


def test_comm_info_is_answered(kc):
    kc.comm_info()
    reply = kc.get_shell_msg(timeout=30)
    assert reply["msg_type"] == "comm_info_reply"
    assert reply["content"] == {"status": "ok", "comms": {}}


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_shutdown_ends_the_evaluation_process_and_cleans_up():
    from conftest import start_kernel

    km, kc = start_kernel()
    pid = km.provisioner.process.pid
    fifos = glob.glob(os.path.join(tempfile.gettempdir(), f"repronote-{pid}-*.fifo"))
    children = child_pids(pid)
    assert fifos and children
    kc.stop_channels()
    km.shutdown_kernel()
    assert not [f for f in fifos if os.path.exists(f)]
    deadline = time.monotonic() + 10
    while any(running(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if running(c)], "the evaluation process outlived the kernel"


def test_without_a_rust_toolchain_the_kernel_answers_and_says_why(tmp_path):
    from jupyter_client.manager import start_new_kernel

    from conftest import KERNEL_NAME

    env = {key: value for key, value in os.environ.items() if key not in ("PATH", "RUSTUP_TOOLCHAIN")}
    env["PATH"] = str(tmp_path)  # no cargo, no rustc
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, env=env, startup_timeout=60)
    try:
        failed = execute(kc, "1 + 1", timeout=120)
        assert failed.status == "error"
        content = failed.reply["content"]
        assert content["ename"] == "KernelError"
        assert "Rust evaluator is not running" in content["evalue"]
        kc.kernel_info()
        assert kc.get_shell_msg(timeout=30)["msg_type"] == "kernel_info_reply"
    finally:
        kc.stop_channels()
        km.shutdown_kernel()


def test_a_bad_cell_lto_setting_is_named_with_what_to_use():
    from jupyter_client.manager import start_new_kernel

    from conftest import KERNEL_NAME

    env = dict(os.environ, REPRONOTE_CELL_LTO="fat")
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, env=env, startup_timeout=60)
    try:
        failed = execute(kc, "1 + 1", timeout=120)
        assert failed.status == "error"
        message = failed.reply["content"]["evalue"] + "\n".join(failed.reply["content"]["traceback"])
        assert "REPRONOTE_CELL_LTO is `fat`" in message
        assert "`off`" in message and "`thin`" in message
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
