"""Florence-2 in the runners, end to end: a real runner with its model process (a tiny random Florence-2 built
here, offline), the API's batch response and /health, the runners table; and runners whose model is off or
whose torch cannot be imported, which must still start, work, and say why.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ingest_api.app import create_app
from invoice_processor.db import Invoice, RunnerRow
from tests import pdf_factory

CLI = str(Path(sys.executable).with_name("invoice-processor"))


def upload(api: TestClient, *paths: Path) -> dict:
    response = api.post(
        "/api/v1/invoices/batch-upload",
        files=[("files", (path.name, path.read_bytes(), "application/pdf")) for path in paths],
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    pdf_factory.make_scanned_invoice(path)
    return path


@pytest.fixture(scope="module")
def born_digital(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "invoice.pdf"
    pdf_factory.make_text_invoice(path)
    return path


def test_runner_reads_unsure_pages_with_its_model_process(sessions, folder_store, runner_factory, scan, born_digital,
                                                          tmp_path, monkeypatch, caplog):  # fmt: skip
    pytest.importorskip("torch", reason="the vlm extra is not installed: pip install -e '.[vlm]'")
    pytest.importorskip("transformers", reason="the vlm extra is not installed: pip install -e '.[vlm]'")
    from job_runner.vlm_service import ModelProcess
    from tests.florence import save_tiny_florence

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the model process inherits it
    folder = save_tiny_florence(tmp_path / "tiny")

    caplog.set_level(logging.INFO, logger="job_runner")
    model = ModelProcess(str(folder), device="cpu")
    # Every OCR page counts as unsure (confidence under 100): the scan goes to the model, the text layer never.
    runner = runner_factory(folder_store, model=model, vlm_mode="fallback", vlm_min_ocr_confidence=100)
    with TestClient(create_app(sessions, folder_store)) as api:
        body = upload(api, scan, born_digital)
        health = api.get("/health").json()

    assert body["successful"] == 2, body
    scanned, digital = body["results"]
    assert scanned["timings"]["vlm"] > 0 and scanned["timings"]["ocr"] > 0
    assert "vlm" not in digital["timings"]
    with sessions() as session:
        invoice = session.get(Invoice, scanned["invoice_id"])
        report = invoice.validation["vlm"]
        assert report["mode"] == "fallback" and report["reasons"] == ["low_ocr_confidence"]
        assert report["regions"] == [{"page": 0, "box": None, "reason": "low_ocr_confidence"}]
        assert report["model_s"] > 0 and "error" not in report
        # Random weights write no invoice: what the model read is offered, and only a provenance of 'vlm'
        # may say that a value came from it.
        for name in report["used"]:
            assert invoice.provenance.get(name, {}).get("source") in ("vlm", "ocr", None)
        assert "vlm" not in session.get(Invoice, digital["invoice_id"]).validation

    status = model.status()
    assert status["state"] == "loaded" and status["device"] == "cpu" and status["pages"] == 1
    [entry] = health["vlm"]["runners"]
    assert entry["runner_id"] == runner.runner_id and entry["mode"] == "fallback"
    assert entry["state"] in ("ready", "loaded")  # the heartbeat renews it every few seconds
    assert health["vlm"]["summary"] == "on in every runner (1)"
    assert f"runner {runner.runner_id} started with 2 threads; VLM fallback: " in caplog.text

    runner.stop()

    def rows() -> list:
        with sessions() as session:
            return session.scalars(select(RunnerRow)).all()

    # The runner closes its model process, then removes its row: wait for both, not just the first.
    for _ in range(100):
        if model.status()["state"] == "stopped" and not rows():
            break
        time.sleep(0.1)
    assert model.status()["state"] == "stopped"  # the runner closes its model process
    assert rows() == []  # and its row


def test_runner_without_a_model_says_so_and_never_calls_it(sessions, folder_store, runner_factory, scan, caplog):
    caplog.set_level(logging.INFO, logger="job_runner")
    runner = runner_factory(folder_store, vlm_off_reason="FLORENCE_MODEL is not set")
    with TestClient(create_app(sessions, folder_store)) as api:
        body = upload(api, scan)
        health = api.get("/health").json()
    assert body["successful"] == 1
    assert "vlm" not in body["results"][0]["timings"]
    with sessions() as session:
        assert "vlm" not in session.get(Invoice, body["results"][0]["invoice_id"]).validation
        row = session.get(RunnerRow, runner.runner_id)
        assert (row.vlm_mode, row.vlm_state, row.vlm_detail) == ("off", "off", "VLM off: FLORENCE_MODEL is not set")
    assert f"runner {runner.runner_id} started with 2 threads; VLM off: FLORENCE_MODEL is not set" in caplog.text
    assert health["vlm"]["summary"] == "off in every runner: VLM off: FLORENCE_MODEL is not set"


# Stand-ins for torch, transformers and huggingface_hub that leave a mark when imported, then fail as if absent.
MISSING_MODULE = """
import os, pathlib
pathlib.Path(os.environ["IMPORT_MARKS"], __name__ + "." + str(os.getpid())).touch()
raise ImportError("No module named " + repr(__name__) + " (test stand-in)")
"""


@pytest.mark.parametrize("model", ["", "/models/Florence-2-base"], ids=["model-unset", "torch-missing"])
def test_runner_process_without_torch_starts_works_and_says_why(tmp_path, database_url, sessions, folder_store,
                                                                born_digital, model):  # fmt: skip
    """`invoice-processor runner` where torch cannot be imported: with FLORENCE_MODEL unset nothing even tries to
    import torch, transformers or the hub client (so nothing can reach the network); with it set, the model
    process finds torch missing, the start line says so, and the runner reads documents without it."""
    fake = tmp_path / "fake-modules"
    marks = tmp_path / "marks"
    fake.mkdir()
    marks.mkdir()
    for name in ("torch", "transformers", "huggingface_hub"):
        (fake / f"{name}.py").write_text(MISSING_MODULE)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder_store.root.parent),
        "FLORENCE_MODEL": model,
        "PYTHONPATH": os.pathsep.join([str(fake), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "IMPORT_MARKS": str(marks),
    }
    env.pop("S3_BUCKET", None)
    log_path = tmp_path / "runner.log"
    with log_path.open("wb") as log:
        runner = subprocess.Popen([CLI, "runner"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "started with" not in log_path.read_text() and time.monotonic() < deadline:
                assert runner.poll() is None, log_path.read_text()
                time.sleep(0.2)
            with TestClient(create_app(sessions, folder_store)) as api:
                body = upload(api, born_digital)
                health = api.get("/health").json()
        finally:
            runner.send_signal(signal.SIGTERM)
            code = runner.wait(60)
    output = log_path.read_text()
    assert code == 0, output
    assert body["successful"] == 1, body
    [entry] = health["vlm"]["runners"]
    if model:
        expected = "VLM off: torch cannot be imported; install it with `pip install -e '.[vlm]'`"
        assert entry["state"] == "unavailable" and entry["mode"] == "fallback"
        assert sorted(mark.name.split(".")[0] for mark in marks.iterdir()) == ["torch"]  # in the model process
    else:
        expected = "VLM off: FLORENCE_MODEL is not set"
        assert entry["state"] == "off" and entry["mode"] == "off"
        assert list(marks.iterdir()) == []  # nothing tried to import them
    assert entry["detail"].startswith(expected)
    assert f"started with 2 threads; {expected}" in output
    assert health["vlm"]["summary"].startswith("off in every runner: " + expected)
