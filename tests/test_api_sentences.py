"""Every refusal is a sentence that says what to change: validation errors (422), a ZIP sent where PDFs go,
unknown paths and methods; a ZIP's skipped entries are listed in the batch answer; `submit` on a missing
path says so in one line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import create_app
from ingest_api.uploads import SKIPPED_FOLDER, SKIPPED_MACOS_METADATA, SKIPPED_NOT_PDF
from tests import pdf_factory

CLI = str(Path(sys.executable).with_name("invoice-processor"))
ZIP_ADVICE = (
    "is a ZIP archive; send it to POST /api/v1/invoices/batch-upload-zip (multipart field `file`), "
    "which reads every PDF inside it."
)


@pytest.fixture(scope="module")
def invoice(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("pdfs") / "invoice.pdf"
    pdf_factory.make_text_invoice(path, invoice_number="INV-SENT-1")
    return path.read_bytes()


@pytest.fixture
def client(sessions, folder_store):
    """The API without a runner: uploads are sent with wait=false."""
    with TestClient(create_app(sessions, folder_store)) as c:
        yield c


def _zip(entries: dict[str, bytes], *, stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _upload(client, invoice, **params):
    return client.post(
        "/api/v1/invoices/batch-upload",
        params={"wait": "false", **params},
        files=[("files", ("a.pdf", io.BytesIO(invoice), "application/pdf"))],
    )


# 1. Validation errors are sentences.


@pytest.mark.parametrize("max_workers", ["0", "65"])
def test_max_workers_out_of_range_says_the_range_and_what_was_sent(client, invoice, max_workers):
    response = _upload(client, invoice, max_workers=max_workers)
    assert response.status_code == 422
    assert response.json() == {"detail": f"max_workers must be between 1 and 64; you sent {max_workers}."}


def test_a_parameter_of_the_wrong_type_is_named_with_what_it_must_be(client, invoice):
    response = _upload(client, invoice, max_workers="four")
    assert response.json()["detail"] == "max_workers must be a whole number; you sent 'four'."
    response = _upload(client, invoice, use_embedded_xml="sometimes")
    assert response.status_code == 422
    assert response.json()["detail"] == "use_embedded_xml must be true or false; you sent 'sometimes'."


def test_several_problems_are_joined_in_one_detail(client, invoice):
    response = _upload(client, invoice, max_workers="0", allow_duplicates="perhaps")
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "max_workers must be between 1 and 64; you sent 0. "
        "allow_duplicates must be true or false; you sent 'perhaps'."
    )


def test_a_huge_value_is_cut_and_its_length_told(client, invoice):
    response = _upload(client, invoice, max_workers="9" * 5000)
    detail = response.json()["detail"]
    assert response.status_code == 422 and len(detail) < 200, detail
    assert detail.startswith("max_workers must be between 1 and 64; you sent '9999")
    assert detail.endswith("… (5,000 characters).")


def test_a_missing_file_field_is_named(client):
    response = client.post("/api/v1/invoices/upload", params={"wait": "false"}, files={"other": ("a.pdf", b"x")})
    assert response.status_code == 422
    assert response.json()["detail"] == "file is required and was not sent; add it."


def test_a_json_body_error_names_the_field_and_escapes_what_was_sent(client):
    body = json.dumps({"files": [{"key": "tenants/default/direct/0123/a\ud800.pdf"}]})
    response = client.post("/api/v1/batches", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "files[0].key must be valid Unicode text (a lone surrogate such as \\ud800 cannot be stored); "
        "you sent 'tenants/default/direct/0123/a\\ud800.pdf'."
    )


def test_a_body_that_is_not_json_says_so(client):
    response = client.post("/api/v1/batches", content=b"{files", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("The request body is not valid JSON (") and detail.endswith("; send a JSON object.")


def test_the_openapi_document_describes_422_as_a_sentence(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["HTTPValidationError"]["properties"]["detail"]["type"] == "string"
    assert "ValidationError" not in schemas


def test_an_unknown_path_and_a_wrong_method_are_sentences(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no '/api/v1/nothing-here' in this API; its paths are listed at /docs."
    response = client.put("/api/v1/invoices/batch-upload")
    assert response.status_code == 405
    assert response.json()["detail"] == "PUT is not allowed on '/api/v1/invoices/batch-upload'; use POST."


def test_a_route_404_keeps_its_own_sentence(client):
    response = client.get("/api/v1/batches/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404 and response.json()["detail"] == "Batch not found"


# 2. A ZIP sent where PDFs go says where to send it.


@pytest.mark.parametrize("name", ["invoices.zip", "invoices.pdf", "invoices"])
def test_a_zip_sent_to_batch_upload_says_to_use_batch_upload_zip(client, invoice, name):
    archive = _zip({"a.pdf": invoice}, stored=True)  # stored: a PDF header in its first KiB
    response = client.post(
        "/api/v1/invoices/batch-upload",
        params={"wait": "false"},
        files=[("files", ("a.pdf", io.BytesIO(invoice), "application/pdf")), ("files", (name, io.BytesIO(archive)))],
    )
    assert response.status_code == 400
    assert response.json()["detail"] == f"{name} {ZIP_ADVICE}"


def test_a_zip_sent_to_upload_says_to_use_batch_upload_zip(client, invoice):
    archive = _zip({"a.pdf": invoice})
    response = client.post("/api/v1/invoices/upload", files={"file": ("scan.pdf", io.BytesIO(archive))})
    assert response.status_code == 400
    assert response.json()["detail"] == f"scan.pdf {ZIP_ADVICE}"


# 3. The entries a ZIP skipped are listed.


MIXED_ZIP = {
    "2024/": b"",
    "2024/a.pdf": None,
    "2024/notes.txt": b"text",
    ".DS_Store": b"\0\0",
    "__MACOSX/2024/._a.pdf": b"\0\5\26\7",
    "scan": b"%PDF-1.4 not named .pdf",
}


def _mixed_zip(invoice: bytes) -> bytes:
    return _zip({name: invoice if data is None else data for name, data in MIXED_ZIP.items()})


EXPECTED_SKIPPED = [
    {"name": "2024/", "reason": SKIPPED_FOLDER},
    {"name": "2024/notes.txt", "reason": SKIPPED_NOT_PDF},
    {"name": ".DS_Store", "reason": SKIPPED_NOT_PDF},
    {"name": "__MACOSX/2024/._a.pdf", "reason": SKIPPED_MACOS_METADATA},
    {"name": "scan", "reason": SKIPPED_NOT_PDF},
]


def test_zip_skipped_entries_are_listed_in_the_202_answer(client, invoice):
    response = client.post(
        "/api/v1/invoices/batch-upload-zip",
        params={"wait": "false"},
        files={"file": ("mixed.zip", io.BytesIO(_mixed_zip(invoice)))},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["total_files"] == 1 and [job["filename"] for job in body["jobs"]] == ["2024/a.pdf"]
    assert body["skipped"] == EXPECTED_SKIPPED
    assert response.headers["Location"] == f"/api/v1/batches/{body['batch_id']}"
    # Kept with the batch: read back, it lists them too.
    assert client.get(response.headers["Location"]).json()["skipped"] == EXPECTED_SKIPPED


def test_zip_skipped_entries_are_listed_in_the_200_answer(sessions, folder_store, runner_factory, invoice):
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store)) as client:
        response = client.post(
            "/api/v1/invoices/batch-upload-zip", files={"file": ("mixed.zip", io.BytesIO(_mixed_zip(invoice)))}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed" and body["successful"] == 1
    assert body["skipped"] == EXPECTED_SKIPPED


def test_answers_without_skipped_entries_carry_an_empty_list(client, invoice):
    archive = _zip({"a.pdf": invoice})
    response = client.post(
        "/api/v1/invoices/batch-upload-zip", params={"wait": "false"}, files={"file": ("a.zip", archive)}
    )
    assert response.status_code == 202 and response.json()["skipped"] == []
    assert _upload(client, invoice).json()["skipped"] == []


def test_a_zip_without_pdfs_names_what_it_holds(client):
    archive = _zip({"docs/": b"", "docs/a.txt": b"x", "b.docx": b"y"})
    response = client.post("/api/v1/invoices/batch-upload-zip", files={"file": ("x.zip", io.BytesIO(archive))})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "No PDF files found in ZIP archive: only entries whose name ends in .pdf are read, and it holds "
        "2 other files (docs/a.txt, b.docx); put the PDFs in it and send it again."
    )


# 4. submit on a missing path.


@pytest.mark.parametrize("name", ["missing.pdf", "missing-folder"])
def test_submit_on_a_missing_path_says_so_in_one_line(tmp_path, name):
    done = subprocess.run(
        [CLI, "submit", str(tmp_path / name), "--url", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr == (
        f"{tmp_path / name} does not exist (no such file or folder); check the path and run it again.\n"
    )
