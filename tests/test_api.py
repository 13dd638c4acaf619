"""The ingest API end to end, in-process: real PostgreSQL, moto's S3 over HTTP and the folder store,
a real runner, the real pipeline."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import select

from invoice_processor.db import Job
from tests import pdf_factory


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """A few real PDFs, made once for the module, as bytes."""
    d = tmp_path_factory.mktemp("pdfs")
    pdf_factory.make_text_invoice(d / "invoice1.pdf", invoice_number="INV-2024-001")
    pdf_factory.make_text_invoice(d / "invoice2.pdf", invoice_number="INV-2024-002")
    pdf_factory.make_letter(d / "letter.pdf")
    pdf_factory.make_corrupt_pdf(d / "broken.pdf")
    pdf_factory.make_encrypted_pdf(d / "locked.pdf")
    names = {"invoice": "invoice1", "invoice2": "invoice2", "letter": "letter", "corrupt": "broken", "encrypted": "locked"}
    return {key: (d / f"{name}.pdf").read_bytes() for key, name in names.items()}


def _files(*named):
    return [("files", (name, io.BytesIO(data), "application/pdf")) for name, data in named]


def test_batch_upload_answers_batch_processing_response(api, pdfs):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        params={"max_workers": 4},
        files=_files(("invoice1.pdf", pdfs["invoice"]), ("letter.pdf", pdfs["letter"])),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert (body["total_files"], body["successful"], body["failed"]) == (2, 2, 0)
    assert body["processing_time_seconds"] > 0
    invoice, letter = body["results"]
    assert invoice["filename"] == "invoice1.pdf"
    assert invoice["success"] is True
    assert invoice["document_type"] == "invoice"
    assert isinstance(invoice["invoice_id"], int) and invoice["document_id"] is None
    assert invoice["processing_time"] > 0
    assert letter["document_type"] == "other"
    assert letter["invoice_id"] is None and isinstance(letter["document_id"], int)

    stored = api.get(f"/api/v1/invoices/{invoice['invoice_id']}").json()
    assert stored["invoice_number"] == "INV-2024-001"
    assert stored["job_id"] == invoice["job_id"] and stored["batch_id"] == body["batch_id"]
    assert stored["validation"]["overall_valid"] is True
    assert len(stored["lines"]) >= 2
    where = stored["provenance"]["invoice_number"]
    assert (where["source"], where["page"]) == ("text_layer", 0)
    x0, top, x1, bottom = where["box"]
    assert 0 <= x0 < x1 <= 595.3 and 0 <= top < bottom <= 841.9  # on the A4 page, in points
    document = api.get(f"/api/v1/other-documents/{letter['document_id']}").json()
    assert document["raw_text"]
    assert document["document_kind"] == "letter"


def test_broken_files_fail_alone_with_their_reason(api, pdfs):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        files=_files(
            ("broken.pdf", pdfs["corrupt"]), ("locked.pdf", pdfs["encrypted"]), ("invoice1.pdf", pdfs["invoice"])
        ),
    )
    body = response.json()
    assert (body["successful"], body["failed"]) == (1, 2)
    by_name = {r["filename"]: r for r in body["results"]}
    assert by_name["broken.pdf"]["success"] is False
    assert "damaged" in by_name["broken.pdf"]["error"].lower() or "corrupt" in by_name["broken.pdf"]["error"].lower()
    assert "password" in by_name["locked.pdf"]["error"].lower()
    assert by_name["invoice1.pdf"]["success"] is True


def test_non_pdf_upload_is_rejected_naming_the_file(api, pdfs):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        files=_files(("invoice1.pdf", pdfs["invoice"]), ("notes.txt", b"just some text")),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "notes.txt is not a PDF file; only PDF files can be uploaded."


@pytest.mark.parametrize("max_workers", [0, 65])
def test_max_workers_out_of_range_is_422(api, pdfs, max_workers):
    response = api.post(
        "/api/v1/invoices/batch-upload", params={"max_workers": max_workers}, files=_files(("a.pdf", pdfs["invoice"]))
    )
    assert response.status_code == 422
    assert response.json()["detail"] == f"max_workers must be between 1 and 64; you sent {max_workers}."


def test_wait_false_answers_202_with_job_ids_and_location(api, pdfs):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        params={"wait": "false"},
        files=_files(("invoice1.pdf", pdfs["invoice"]), ("invoice2.pdf", pdfs["invoice2"])),
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] in ("queued", "running", "completed")
    assert [j["filename"] for j in body["jobs"]] == ["invoice1.pdf", "invoice2.pdf"]
    assert response.headers["location"] == f"/api/v1/batches/{body['batch_id']}"
    job = api.get(f"/api/v1/jobs/{body['jobs'][0]['job_id']}").json()
    assert job["filename"] == "invoice1.pdf"
    assert job["batch_id"] == body["batch_id"]


def test_a_job_shows_how_each_attempt_ended(api, pdfs):
    response = api.post("/api/v1/invoices/batch-upload", files=_files(("invoice1.pdf", pdfs["invoice"])))
    (result,) = response.json()["results"]
    job = api.get(f"/api/v1/jobs/{result['job_id']}").json()
    assert (job["attempts"], job["failed_attempts"]) == (1, 0)
    (attempt,) = job["attempt_history"]
    assert (attempt["attempt"], attempt["outcome"], attempt["error"]) == (1, "succeeded", None)
    assert attempt["runner_id"] == job["runner_id"]
    started, ended, finished = (
        datetime.fromisoformat(value) for value in (attempt["started_at"], attempt["ended_at"], job["finished_at"])
    )
    # Both ends are read from the clock in one statement: a few microseconds apart.
    assert started <= ended and abs((finished - ended).total_seconds()) < 1


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_zip_with_nested_folders_and_parent_path_entry(api, pdfs, sessions, store):
    archive = _zip({
        "2024/march/invoice1.pdf": pdfs["invoice"],
        "2024/april/deep/er/invoice2.pdf": pdfs["invoice2"],
        "../evil.pdf": pdfs["letter"],
        "/etc/abs.pdf": pdfs["letter"],
        "readme.txt": b"not a pdf",
        "__MACOSX/2024/._invoice1.pdf": b"resource fork",
    })
    response = api.post(
        "/api/v1/invoices/batch-upload-zip",
        params={"max_workers": 6},
        files={"file": ("invoices.zip", io.BytesIO(archive), "application/zip")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    names = [r["filename"] for r in body["results"]]
    assert names == ["2024/march/invoice1.pdf", "2024/april/deep/er/invoice2.pdf", "evil.pdf", "etc/abs.pdf"]
    assert body["successful"] == 4
    with sessions() as session:
        keys = session.scalars(select(Job.object_key).where(Job.batch_id == body["batch_id"])).all()
    assert all(key.startswith(f"tenants/default/uploads/{body['batch_id']}/") and ".." not in key for key in keys)


def test_zip_without_pdfs_is_rejected(api):
    archive = _zip({"a.txt": b"x", "b/c.docx": b"y"})
    response = api.post("/api/v1/invoices/batch-upload-zip", files={"file": ("x.zip", io.BytesIO(archive))})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "No PDF files found in ZIP archive: only entries whose name ends in .pdf are read, and it holds "
        "2 other files (a.txt, b/c.docx); put the PDFs in it and send it again."
    )


def test_damaged_zip_is_rejected(api, pdfs):
    response = api.post(
        "/api/v1/invoices/batch-upload-zip", files={"file": ("x.zip", io.BytesIO(pdfs["invoice"][:2000]))}
    )
    assert response.status_code == 400
    assert "not a valid ZIP archive" in response.json()["detail"]


def test_single_upload_and_invoice_listing_and_delete(api, pdfs):
    body = api.post("/api/v1/invoices/upload", files={"file": ("invoice1.pdf", io.BytesIO(pdfs["invoice"]))}).json()
    invoice_id = body["results"][0]["invoice_id"]
    listing = api.get("/api/v1/invoices", params={"skip": 0, "limit": 10}).json()
    assert listing["count"] == 1 and listing["data"][0]["id"] == invoice_id
    assert api.delete(f"/api/v1/invoices/{invoice_id}").status_code == 204
    assert api.get(f"/api/v1/invoices/{invoice_id}").json() == {"detail": "Invoice not found"}
    assert api.get(f"/api/v1/jobs/{body['results'][0]['job_id']}").json()["invoice_id"] is None


def test_unknown_ids_are_404_with_a_sentence(api):
    assert api.get("/api/v1/batches/00000000-0000-0000-0000-000000000000").json() == {"detail": "Batch not found"}
    assert api.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000").json() == {"detail": "Job not found"}
    assert api.get("/api/v1/other-documents/999").json() == {"detail": "Document not found"}


def test_health_reports_database_and_storage(api):
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("status", "database", "storage")} == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
    }
    assert set(body["vlm"]) == {"summary", "runners"}  # what runners say of the model: test_vlm_runner.py


def test_docs_are_served(api):
    assert api.get("/docs").status_code == 200
    assert api.get("/redoc").status_code == 200
    assert "/api/v1/invoices/batch-upload" in api.get("/openapi.json").json()["paths"]
