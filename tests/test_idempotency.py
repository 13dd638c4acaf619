"""Idempotency-Key: a retried batch-creating request returns the first batch instead of a second."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ingest_api.app import create_app
from ingest_api.auth import create_api_key
from invoice_processor.db import Batch
from tests import pdf_factory


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("idem") / "a.pdf"
    pdf_factory.make_text_invoice(path, invoice_number="I-1")
    return path.read_bytes()


@pytest.fixture
def client(sessions, store):
    with TestClient(create_app(sessions, store)) as client:
        yield client


def _batches(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Batch))


def _upload(client, pdf, key=None, path="/api/v1/invoices/batch-upload"):
    headers = {"Idempotency-Key": key} if key else {}
    field = "file" if path.endswith("/upload") else "files"
    return client.post(
        path, params={"wait": "false"}, headers=headers, files=[(field, ("a.pdf", io.BytesIO(pdf), "application/pdf"))]
    )


def test_a_retried_upload_returns_the_first_batch(client, pdf, sessions, store):
    first = _upload(client, pdf, key="retry-me")
    assert first.status_code == 202
    objects_after_first = sorted(store.list_keys("tenants"))
    again = _upload(client, pdf, key="retry-me")
    assert again.status_code == 202
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert again.json()["jobs"] == first.json()["jobs"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _batches(sessions) == 1
    assert sorted(store.list_keys("tenants")) == objects_after_first  # the retry stored nothing
    other = _upload(client, pdf, key="another")
    assert other.json()["batch_id"] != first.json()["batch_id"]
    without = _upload(client, pdf)
    assert without.json()["batch_id"] not in (first.json()["batch_id"], other.json()["batch_id"])
    assert _batches(sessions) == 3


def test_the_zip_endpoint_is_idempotent_too(client, pdf, sessions):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.pdf", pdf)
    ids = set()
    for _ in range(2):
        response = client.post(
            "/api/v1/invoices/batch-upload-zip",
            params={"wait": "false"},
            headers={"Idempotency-Key": "zip-1"},
            files={"file": ("a.zip", io.BytesIO(archive.getvalue()), "application/zip")},
        )
        assert response.status_code == 202
        ids.add(response.json()["batch_id"])
    assert len(ids) == 1 and _batches(sessions) == 1


def test_a_key_used_on_another_endpoint_is_refused(client, pdf):
    assert _upload(client, pdf, key="k1").status_code == 202
    response = _upload(client, pdf, key="k1", path="/api/v1/invoices/upload")
    assert response.status_code == 422
    assert "already used for POST /api/v1/invoices/batch-upload" in response.json()["detail"]


def test_a_bad_key_is_refused_with_400(client, pdf):
    response = _upload(client, pdf, key="x" * 300)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_keys_are_per_tenant(sessions, folder_store, pdf):
    with sessions.begin() as session:
        acme = create_api_key(session, "acme")
    with TestClient(create_app(sessions, folder_store)) as client:
        mine = _upload(client, pdf, key="shared-key")
        client.headers["X-API-Key"] = acme
        theirs = _upload(client, pdf, key="shared-key")
    assert mine.json()["batch_id"] != theirs.json()["batch_id"]
    assert _batches(sessions) == 2


def test_concurrent_requests_with_one_key_create_one_batch(sessions, folder_store, pdf):
    answers = []
    with TestClient(create_app(sessions, folder_store)) as client:

        def send():
            answers.append(_upload(client, pdf, key="race"))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["batch_id"] for a in answers}) == 1
    assert _batches(sessions) == 1
    # The losers' files were deleted: only the winning batch's file is stored.
    assert len(list(folder_store.list_keys("tenants"))) == 1
