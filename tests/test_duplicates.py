"""Duplicates: the same file (SHA-256) sent again points to its earlier invoice instead of storing a
second; another file with the same provider and invoice number is stored and flagged."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ingest_api.app import create_app
from ingest_api.auth import create_api_key
from invoice_processor.db import Invoice, Job, OtherDocument
from tests import pdf_factory


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dup")
    pdf_factory.make_text_invoice(d / "original.pdf", invoice_number="DUP-7")
    # The same invoice printed again another day: other bytes, same seller and number.
    pdf_factory.make_text_invoice(d / "reprint.pdf", invoice_number="DUP-7", due_date=dt.date(2024, 5, 1))
    pdf_factory.make_text_invoice(d / "other.pdf", invoice_number="DUP-8")
    pdf_factory.make_letter(d / "letter.pdf")
    return {p.stem: p.read_bytes() for p in d.glob("*.pdf")}


@pytest.fixture
def api(sessions, folder_store, runner_factory):
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def _send(api, *named, **params):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        params={"max_workers": 4, **params},
        files=[("files", (f"{name}.pdf", io.BytesIO(data), "application/pdf")) for name, data in named],
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_same_file_sent_again_points_to_its_earlier_invoice(api, files, sessions):
    (first,) = _send(api, ("original", files["original"]))
    (again,) = _send(api, ("original", files["original"]))
    assert first["duplicate_of_invoice_id"] is None
    assert again["success"] is True and again["document_type"] == "invoice"
    assert again["invoice_id"] == first["invoice_id"] == again["duplicate_of_invoice_id"]
    assert _count(sessions, Invoice) == 1
    with sessions() as session:
        job = session.get(Job, again["job_id"])
    assert job.sha256 == hashlib.sha256(files["original"]).hexdigest()
    # Recognised before the pipeline ran: no reading or extraction stage was timed.
    assert set(job.timings) == {"total"}
    assert api.get(f"/api/v1/jobs/{again['job_id']}").json()["duplicate_of_invoice_id"] == first["invoice_id"]


def test_two_copies_in_one_batch_store_one_invoice(api, files, sessions):
    results = _send(api, *[("original", files["original"])] * 4)
    assert all(r["success"] for r in results)
    assert len({r["invoice_id"] for r in results}) == 1
    assert sum(r["duplicate_of_invoice_id"] is not None for r in results) == 3
    assert _count(sessions, Invoice) == 1


def test_allow_duplicates_stores_a_second_invoice(api, files, sessions):
    (first,) = _send(api, ("original", files["original"]))
    (second,) = _send(api, ("original", files["original"]), allow_duplicates="true")
    assert second["invoice_id"] != first["invoice_id"]
    assert second["duplicate_of_invoice_id"] is None
    assert _count(sessions, Invoice) == 2


def test_same_provider_and_number_from_another_file_is_a_possible_duplicate(api, files):
    (first,) = _send(api, ("original", files["original"]))
    (reprint, other) = _send(api, ("reprint", files["reprint"]), ("other", files["other"]))
    assert reprint["invoice_id"] != first["invoice_id"]
    assert reprint["possible_duplicate_of_invoice_id"] == first["invoice_id"]
    assert reprint["duplicate_of_invoice_id"] is None
    assert other["possible_duplicate_of_invoice_id"] is None
    assert api.get(f"/api/v1/invoices/{reprint['invoice_id']}").json()["possible_duplicate_of"] == first["invoice_id"]


def test_a_document_that_is_not_an_invoice_is_recognised_too(api, files, sessions):
    (first,) = _send(api, ("letter", files["letter"]))
    (again,) = _send(api, ("letter", files["letter"]))
    assert again["document_type"] == "other"
    assert again["document_id"] == first["document_id"] == again["duplicate_of_document_id"]
    assert _count(sessions, OtherDocument) == 1


def test_duplicates_are_per_tenant(api, files, sessions):
    with sessions.begin() as session:
        key = create_api_key(session, "acme")
    (mine,) = _send(api, ("original", files["original"]))
    api.headers["X-API-Key"] = key
    (theirs,) = _send(api, ("original", files["original"]))
    assert theirs["duplicate_of_invoice_id"] is None
    assert theirs["invoice_id"] != mine["invoice_id"]


def test_a_copy_whose_earlier_result_is_deleted_meanwhile_fails_alone_as_the_files_doing(
    files, sessions, folder_store, runner_factory
):
    """The runner found the earlier invoice before reading, then somebody deleted it before the job
    recorded its result: the job fails with a sentence saying so (error_kind 'permanent'), not as a
    crash with a traceback, and sending the file again reads it anew."""
    deleted = []

    def read_then_delete_the_earlier_invoice(job, check):
        result = runner.read_document(job, check)
        if result.same_file_as is not None and not deleted:
            with TestClient(create_app(sessions, folder_store)) as client:
                response = client.delete(f"/api/v1/invoices/{result.same_file_as.invoice_id}")
            assert response.status_code in (200, 204), response.text
            deleted.append(result.same_file_as.invoice_id)
        return result

    runner = runner_factory(folder_store, work=read_then_delete_the_earlier_invoice)
    with TestClient(create_app(sessions, folder_store)) as client:
        (first,) = _send(client, ("original", files["original"]))
        (copy,) = _send(client, ("original", files["original"]))
        assert deleted == [first["invoice_id"]]
        assert copy["success"] is False
        assert "earlier result was deleted" in copy["error"]
        with sessions() as session:
            job = session.get(Job, copy["job_id"])
        assert job.error_kind == "permanent"
        assert "Traceback" not in job.error and "SameFileGone" not in job.error
        (again,) = _send(client, ("original", files["original"]))
        assert again["success"] is True and again["duplicate_of_invoice_id"] is None
