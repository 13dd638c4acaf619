"""The runner's model process (job_runner/vlm_service.py): real processes, a tiny random Florence-2 built here,
offline. Callers in other processes reach it through a pickled VlmClient, as document workers do.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the vlm extra is not installed: pip install -e '.[vlm]'")
pytest.importorskip("transformers", reason="the vlm extra is not installed: pip install -e '.[vlm]'")

from PIL import Image

from invoice_reader.vlm import VlmError, VlmPage
from job_runner.vlm_service import ModelProcess, VlmClient, VlmUnavailable

REPO = Path(__file__).resolve().parents[1]
TOKENS = 16

# A worker in another process: unpickles the client, says it is ready, reads on "go", prints what it got.
CALLER = """
import json, pickle, sys
from PIL import Image
client = pickle.loads(bytes.fromhex(sys.argv[1]))
images = [Image.new("L", (64, 64), 255), Image.new("L", (80, 60), 0)]
print("ready", flush=True)
sys.stdin.readline()
pages = client.ocr_with_region(images, max_new_tokens=int(sys.argv[2]))
print(json.dumps([[type(p).__name__, p.generate_s, p.batch_size] for p in pages]), flush=True)
"""

# A runner that dies without closing its model process.
DYING_RUNNER = """
import os, sys
from job_runner.vlm_service import ModelProcess
model = ModelProcess(sys.argv[1], device="cpu")
status = model.start()
print(status["state"], status["pid"], model.client().address, flush=True)
os._exit(0)
"""



@pytest.fixture(scope="module")
def service(florence_folder):
    model = ModelProcess(str(florence_folder), device="cpu", max_batch=4, num_beams=1)
    assert model.start()["state"] == "ready"
    yield model
    model.close()


def page(width=64, height=64):
    return Image.new("L", (width, height), 255)


def gone(pid: int) -> bool:
    """Whether the process has exited: all its threads (a killed process's main thread is a zombie while the
    others still exit). A zombie whose parent is gone counts: nobody here may reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X") and len(threads) <= 1


def wait_until(condition, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def socket_dirs() -> set[str]:
    return {str(path) for path in Path(tempfile.gettempdir()).glob("invoice-vlm-*")}


def model_children() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.name == "vlm-model"}


# -- serving -----------------------------------------------------------------------------------------------


def test_a_pickled_client_reads_pages_and_the_model_loads_on_first_use(service):
    before = service.status()
    assert before["state"] == "ready"
    assert before["device"] is None
    assert before["pid"] > 0

    client = pickle.loads(pickle.dumps(service.client()))
    pages = client.ocr_with_region([page(), page(80, 60)], max_new_tokens=TOKENS)

    assert len(pages) == 2
    assert all(isinstance(p, VlmPage) and p.generate_s > 0 and p.raw_text for p in pages)
    after = service.status()
    assert after["state"] == "loaded"
    assert after["device"] == "cpu"
    assert after["pid"] == before["pid"]
    assert after["pages"] - before["pages"] == 2
    assert client.ocr_with_region([]) == []


def test_callers_in_several_processes_and_threads_share_one_model(service):
    before = service.status()
    client_hex = pickle.dumps(service.client()).hex()
    callers = [
        subprocess.Popen(
            [sys.executable, "-c", CALLER, client_hex, str(TOKENS)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for caller in callers:
        assert caller.stdout.readline().strip() == "ready"
    results, errors = [], []

    def call():
        try:
            results.append(service.client().ocr_with_region([page()], max_new_tokens=TOKENS))
        except Exception as e:  # noqa: BLE001 - a failure would otherwise vanish with the thread
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for caller in callers:
        caller.stdin.write("go\n")
        caller.stdin.flush()
    for thread in threads:
        thread.start()
    answers = [json.loads(caller.communicate(timeout=60)[0]) for caller in callers]
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert all(caller.returncode == 0 for caller in callers)
    assert all(len(answer) == 2 and all(name == "VlmPage" and s > 0 for name, s, _ in answer) for answer in answers)
    assert [len(pages) for pages in results] == [1, 1]
    after = service.status()
    assert after["pid"] == before["pid"]
    assert after["pages"] - before["pages"] == 8
    batches = after["batches"] - before["batches"]
    sizes = [size for answer in answers for _, _, size in answer] + [p.batch_size for r in results for p in r]
    print(f"8 pages in {batches} generate calls; batch size per page: {sizes}")
    # A worker's 2 pages go into one generate call (they reach the model's queue together), so fewer calls than pages.
    assert batches < 8
    assert max(sizes) <= 4


def test_client_repr_hides_the_key():
    client = VlmClient(address="/tmp/x/model.sock", authkey=b"secret" * 5)

    assert "secret" not in repr(client)
    assert pickle.loads(pickle.dumps(client)) == client


# -- failures ------------------------------------------------------------------------------------------------


def test_a_missing_model_folder_fails_on_first_page_and_close_stops_the_process(tmp_path, florence_folder):
    missing = tmp_path / "no-such-model"
    model = ModelProcess(str(missing), device="cpu")
    try:
        assert model.start()["state"] == "ready"  # the model is loaded on the first page
        client = model.client()
        for _ in range(2):  # the load error is remembered: the second page gets it at once
            with pytest.raises(VlmError, match="could not be loaded") as raised:
                client.ocr_with_region([page()], max_new_tokens=TOKENS)
            assert not isinstance(raised.value, VlmUnavailable)
            assert str(missing) in str(raised.value)
        status = model.status()
        assert status["state"] == "failed"
        assert str(missing) in status["detail"]
        pid, socket_dir = status["pid"], os.path.dirname(client.address)
        assert os.path.isdir(socket_dir)
    finally:
        model.close()

    assert gone(pid)
    assert not os.path.exists(socket_dir)
    assert model.client() is None
    assert model.status()["state"] == "stopped"
    assert model.status()["pid"] is None
    model.close()  # idempotent
    with pytest.raises(VlmUnavailable):
        client.ocr_with_region([page()], max_new_tokens=TOKENS)


def test_no_model_configured_is_unavailable_and_leaves_no_process():
    dirs_before, children_before = socket_dirs(), model_children()
    model = ModelProcess("")
    try:
        status = model.start()
    finally:
        model.close()

    assert status["state"] == "unavailable"
    assert status["detail"] == "VLM off: FLORENCE_MODEL is not set"
    assert status["pid"] is None
    assert model.client() is None
    assert model_children() <= children_before
    assert socket_dirs() <= dirs_before


def test_a_killed_model_process_is_restarted_for_the_next_client_at_most_once_per_interval(florence_folder, caplog):
    model = ModelProcess(str(florence_folder), device="cpu", num_beams=1, torch_threads=1)
    try:
        model.start()
        old_client = model.client()
        assert len(old_client.ocr_with_region([page()], max_new_tokens=TOKENS)) == 1
        old_pid = model.status()["pid"]

        os.kill(old_pid, signal.SIGKILL)
        assert wait_until(lambda: gone(old_pid))
        with pytest.raises(VlmUnavailable, match="cannot be reached"):
            old_client.ocr_with_region([page()], max_new_tokens=TOKENS)

        with caplog.at_level(logging.WARNING, logger="job_runner"):
            new_client = model.client()
        assert f"VLM model process {old_pid} died (SIGKILL)" in caplog.text
        assert new_client is not None and new_client != old_client
        new_pid = model.status()["pid"]
        assert new_pid not in (None, old_pid)
        assert len(new_client.ocr_with_region([page(), page()], max_new_tokens=TOKENS)) == 2

        # A second death within RESTART_INTERVAL_S: no restart yet.
        os.kill(new_pid, signal.SIGKILL)
        assert wait_until(lambda: gone(new_pid))
        assert model.client() is None
        status = model.status()
        assert status["state"] == "failed"
        assert "SIGKILL" in status["detail"] and "out of memory" in status["detail"]
        assert status["pid"] is None
    finally:
        model.close()


def test_the_model_process_exits_when_its_runner_dies(florence_folder):
    # Its model process inherits the runner's stdout: read the one line, not up to the end of the pipe.
    runner = subprocess.Popen(
        [sys.executable, "-c", DYING_RUNNER, str(florence_folder)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    line = runner.stdout.readline()
    assert runner.wait(timeout=60) == 0
    runner.stdout.close()
    state, pid, address = line.split()
    assert state == "ready"
    assert wait_until(lambda: gone(int(pid)), timeout_s=10), "the model process outlived its runner"
    assert wait_until(lambda: not os.path.exists(os.path.dirname(address)), timeout_s=5)
