"""Hostile uploads through the real API (real PostgreSQL, moto's S3 over HTTP and the folder store, a
real runner): ZIP entries that climb out of the archive or are links, ZIP bombs, archives inside
archives, encrypted and ZIP64 archives, duplicate and badly encoded names, entries whose headers lie,
the limits on entries, sizes and requests, and file names made to mislead.

For each case: the hostile file fails (or the request is refused) with a sentence a person can act
on, the good files of the same batch succeed, the API never answers 5xx, and nothing is written
outside the batch's own prefix."""

from __future__ import annotations

import asyncio
import io
import json
import stat
import struct
import unicodedata
import zipfile

import pytest

from ingest_api.app import create_app
from ingest_api.uploads import MAX_KEY_NAME_BYTES, MAX_NAME_CHARS
from invoice_processor.settings import Settings
from invoice_processor.storage import FolderStore
from tests import pdf_factory

ZIP_URL = "/api/v1/invoices/batch-upload-zip"
BATCH_URL = "/api/v1/invoices/batch-upload"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """Real PDFs, made once for the module, as bytes: an invoice, a letter, and under "other" eight
    different one-line documents (different, so that none is taken for a duplicate of another)."""
    d = tmp_path_factory.mktemp("pdfs")
    pdf_factory.make_text_invoice(d / "invoice.pdf", invoice_number="HOSTILE-001")
    pdf_factory.make_letter(d / "letter.pdf")
    made = {name: (d / f"{name}.pdf").read_bytes() for name in ("invoice", "letter")}
    for seed in range(8):
        pdf_factory.make_padded_pdf(d / f"other-{seed}.pdf", 2000, seed=seed)
    made["other"] = [(d / f"other-{seed}.pdf").read_bytes() for seed in range(8)]
    return made


@pytest.fixture
def make_client(sessions, store, runner_factory):
    """make_client(**settings) -> a TestClient of the API with those limits, and one runner."""
    from fastapi.testclient import TestClient

    runner_factory(store)
    clients = []

    def make(**settings) -> TestClient:
        client = TestClient(create_app(sessions, store, settings=Settings(**settings)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


# --- what the store holds -------------------------------------------------------------------------


def stored_keys(store) -> list[str]:
    """Every object in the store, whatever its key (temporary files of the folder store included)."""
    if isinstance(store, FolderStore):
        return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if not p.is_dir())
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def assert_only_inside_batch(store, batch_id: str) -> list[str]:
    """Asserts that every object in the store is under the batch's prefix; returns their keys."""
    prefix = f"tenants/default/uploads/{batch_id}/"
    keys = stored_keys(store)
    assert keys and all(key.startswith(prefix) and ".." not in key.split("/") for key in keys), keys
    return keys


def results_by_name(response) -> dict[str, dict]:
    assert response.status_code == 200, response.text
    return {r["filename"]: r for r in response.json()["results"]}


def post_zip(client, archive: bytes, name: str = "archive.zip"):
    return client.post(ZIP_URL, files={"file": (name, io.BytesIO(archive), "application/zip")})


# --- making hostile archives ----------------------------------------------------------------------


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buffer.getvalue()


# Header layouts (APPNOTE 4.3.7 and 4.3.12): the offsets of the fields patched below.
LOCAL_FLAGS, LOCAL_FILE_SIZE = 6, 22
CENTRAL_FLAGS, CENTRAL_FILE_SIZE, CENTRAL_LOCAL_OFFSET = 8, 24, 42
END_ENTRIES_HERE = 8  # then the total, on two bytes each


def entry_headers(archive: bytes) -> dict[bytes, tuple[int, int]]:
    """{raw entry name: (offset of its central directory header, offset of its local header)}."""
    end = archive.rindex(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", archive, end + 12)
    headers, position = {}, offset
    while position < offset + size:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", archive, position + 28)
        name = archive[position + 46 : position + 46 + name_len]
        headers[name] = (position, struct.unpack_from("<I", archive, position + CENTRAL_LOCAL_OFFSET)[0])
        position += 46 + name_len + extra_len + comment_len
    return headers


def patch_entry(archive: bytes, name: str | bytes, *, set_flags: int = 0, file_size: int | None = None) -> bytes:
    """Sets flag bits and/or the declared uncompressed size of one entry, in both its headers."""
    data = bytearray(archive)
    central, local = entry_headers(archive)[name.encode() if isinstance(name, str) else name]
    for flags_at, size_at in ((central + CENTRAL_FLAGS, central + CENTRAL_FILE_SIZE),
                              (local + LOCAL_FLAGS, local + LOCAL_FILE_SIZE)):
        flags = struct.unpack_from("<H", data, flags_at)[0]
        struct.pack_into("<H", data, flags_at, flags | set_flags)
        if file_size is not None:
            struct.pack_into("<I", data, size_at, file_size)
    return bytes(data)


def make_zip_with_raw_names(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A ZIP whose entry names are these bytes, without the UTF-8 flag, as tools that write names in
    cp437, latin-1 or with a NUL do (zipfile itself cannot): written under placeholder names of the
    same length, then renamed in both headers."""
    placeholders = [(f"{i}" + "_" * len(raw))[: len(raw) - 4] + ".pdf" for i, (raw, _) in enumerate(entries)]
    archive = make_zip([(placeholder, data) for placeholder, (_, data) in zip(placeholders, entries)])
    for placeholder, (raw, _) in zip(placeholders, entries):
        assert archive.count(placeholder.encode()) == 2
        archive = archive.replace(placeholder.encode(), raw)
    return archive


# --- ZIP entries ----------------------------------------------------------------------------------


def test_zip_entries_with_parent_or_absolute_paths_are_stored_inside_the_batch(client, store, pdfs):
    """The path is hostile, not the PDF: it is read under its cleaned name, and the path is never
    used to write anything."""
    other = pdfs["other"]
    archive = make_zip([
        ("../../../evil.pdf", other[0]),
        ("/etc/absolute.pdf", other[1]),
        ("..\\..\\windows.pdf", other[2]),
        ("C:/Users/drive.pdf", other[3]),
        ("good/invoice.pdf", pdfs["invoice"]),
    ])
    response = post_zip(client, archive)
    results = results_by_name(response)
    assert list(results) == ["evil.pdf", "etc/absolute.pdf", "windows.pdf", "Users/drive.pdf", "good/invoice.pdf"]
    assert all(r["success"] for r in results.values()), results
    assert len(assert_only_inside_batch(store, response.json()["batch_id"])) == 5


def test_symlink_entry_is_not_followed_and_fails_alone(client, store, pdfs):
    link = zipfile.ZipInfo("statements/link.pdf")
    link.create_system = 3  # Unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    response = post_zip(client, make_zip([(link, b"/etc/passwd"), ("invoice.pdf", pdfs["invoice"])]))
    results = results_by_name(response)
    assert results["statements/link.pdf"]["success"] is False
    assert "symbolic link" in results["statements/link.pdf"]["error"]
    assert "put the PDF itself in the archive" in results["statements/link.pdf"]["error"]
    assert results["invoice.pdf"]["success"] is True
    keys = assert_only_inside_batch(store, response.json()["batch_id"])
    assert len(keys) == 1 and keys[0].endswith("-invoice.pdf")


def test_zip_bomb_entry_fails_naming_max_zip_ratio_without_being_unpacked(client, store, pdfs, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.pdf", "w") as entry:  # 200 MB of zeros: about 200 KB packed
            zeros = bytes(1024 * 1024)
            for _ in range(200):
                entry.write(zeros)
        zf.writestr("invoice.pdf", pdfs["invoice"])
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda zf, info, *a, **k: opened.append(
        getattr(info, "filename", info)) or real_open(zf, info, *a, **k))

    response = post_zip(client, buffer.getvalue())
    results = results_by_name(response)
    assert results["bomb.pdf"]["success"] is False
    assert "MAX_ZIP_RATIO" in results["bomb.pdf"]["error"] and "ZIP bomb" in results["bomb.pdf"]["error"]
    assert results["invoice.pdf"]["success"] is True
    assert "bomb.pdf" not in opened  # refused from its declared sizes: not one byte was unpacked
    assert len(assert_only_inside_batch(store, response.json()["batch_id"])) == 1


def test_zip_entry_declaring_more_than_2_gib_fails_alone_and_its_size_is_kept(client, store, pdfs, sessions):
    """3 GiB of zeros packed in a few MB: refused as a ZIP bomb from its declared size, which is kept in
    jobs.size_bytes (bigint: it overflowed an integer column and answered 500)."""
    from invoice_processor.db import Job

    size = 3 * 1024**3
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("bomb.pdf", "w", force_zip64=True) as entry:
            zeros = bytes(64 * 1024**2)
            for _ in range(size // len(zeros)):
                entry.write(zeros)
        zf.writestr("invoice.pdf", pdfs["invoice"])

    response = post_zip(client, buffer.getvalue())
    results = results_by_name(response)
    assert results["bomb.pdf"]["success"] is False and "MAX_ZIP_RATIO" in results["bomb.pdf"]["error"]
    assert results["invoice.pdf"]["success"] is True
    with sessions() as session:
        job = session.get(Job, results["bomb.pdf"]["job_id"])
    assert job.size_bytes == size


def test_nested_zip_is_not_opened_and_fails_saying_to_unzip_it(client, store, pdfs):
    inner = make_zip([("inner.pdf", pdfs["letter"])])
    response = post_zip(client, make_zip([("more/inner.zip", inner), ("invoice.pdf", pdfs["invoice"])]))
    results = results_by_name(response)
    assert results["more/inner.zip"]["success"] is False
    assert "unzip it and send its PDFs" in results["more/inner.zip"]["error"]
    assert "inner.pdf" not in results
    assert results["invoice.pdf"]["success"] is True
    assert len(assert_only_inside_batch(store, response.json()["batch_id"])) == 1


def test_encrypted_zip_is_refused_saying_to_send_it_without_password(client, store, pdfs):
    archive = make_zip([("a.pdf", pdfs["invoice"]), ("b/c.pdf", pdfs["letter"])], compression=zipfile.ZIP_STORED)
    for name in ("a.pdf", "b/c.pdf"):
        archive = patch_entry(archive, name, set_flags=0x1)
    response = post_zip(client, archive)
    assert response.status_code == 400
    assert response.json()["detail"] == "The ZIP archive is password-protected; send it again without a password."
    assert stored_keys(store) == []


def test_encrypted_entry_beside_readable_ones_fails_alone(client, store, pdfs):
    archive = make_zip([("locked.pdf", pdfs["letter"]), ("invoice.pdf", pdfs["invoice"])])
    response = post_zip(client, patch_entry(archive, "locked.pdf", set_flags=0x1))
    results = results_by_name(response)
    assert results["locked.pdf"]["success"] is False
    assert "password-protected inside the ZIP archive" in results["locked.pdf"]["error"]
    assert results["invoice.pdf"]["success"] is True
    assert len(assert_only_inside_batch(store, response.json()["batch_id"])) == 1


def test_zip64_archive_is_read_normally(client, store, pdfs):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name, data in (("invoice.pdf", pdfs["invoice"]), ("letter.pdf", pdfs["letter"])):
            with zf.open(name, "w", force_zip64=True) as entry:
                entry.write(data)
    assert b"\x01\x00\x10\x00" in buffer.getvalue()  # the ZIP64 extra field of a local header
    response = post_zip(client, buffer.getvalue())
    results = results_by_name(response)
    assert results["invoice.pdf"]["document_type"] == "invoice"
    assert results["letter.pdf"]["document_type"] == "other"
    assert len(assert_only_inside_batch(store, response.json()["batch_id"])) == 2


def test_duplicate_entry_names_are_both_stored_under_their_own_keys_and_processed(client, store, pdfs):
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = make_zip([("same.pdf", pdfs["invoice"]), ("same.pdf", pdfs["letter"])])
    response = post_zip(client, archive)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["filename"] for r in results] == ["same.pdf", "same.pdf"]
    assert [r["document_type"] for r in results] == ["invoice", "other"]
    keys = assert_only_inside_batch(store, response.json()["batch_id"])
    assert len(set(keys)) == 2


def test_entry_names_without_the_utf8_flag_are_read_without_crashing(client, store, pdfs):
    archive = make_zip_with_raw_names([
        ("facture_été.pdf".encode("cp437"), pdfs["invoice"]),
        ("reçu_nom.pdf".encode("latin-1"), pdfs["other"][0]),
        ("naïve_reçu.pdf".encode("utf-8"), pdfs["other"][1]),
    ])
    response = post_zip(client, archive)
    results = results_by_name(response)
    # cp437 is what the ZIP standard says; UTF-8 without its flag is common; latin-1 cannot be told
    # from cp437, and is shown as cp437 reads it: other letters, but printable and the same length.
    assert set(results) == {"facture_été.pdf", "re\u03c4u_nom.pdf", "naïve_reçu.pdf"}
    assert all(r["success"] for r in results.values()), results
    assert len(assert_only_inside_batch(store, response.json()["batch_id"])) == 3


def test_entry_name_marked_utf8_that_is_not_is_refused_with_a_sentence(client, store, pdfs):
    archive = make_zip_with_raw_names([(b"bad\xff\xfename.pdf", pdfs["invoice"])])
    response = post_zip(client, patch_entry(archive, b"bad\xff\xfename.pdf", set_flags=0x800))
    assert response.status_code == 400
    assert "file names are damaged" in response.json()["detail"]
    assert stored_keys(store) == []


def test_entry_whose_header_lies_about_its_size_fails_alone(client, store, pdfs):
    archive = make_zip([("shorter.pdf", pdfs["letter"]), ("longer.pdf", pdfs["other"][0]),
                        ("invoice.pdf", pdfs["invoice"])])
    archive = patch_entry(archive, "shorter.pdf", file_size=len(pdfs["letter"]) // 2)
    archive = patch_entry(archive, "longer.pdf", file_size=len(pdfs["other"][0]) + 1000)
    response = post_zip(client, archive)
    results = results_by_name(response)
    for name in ("shorter.pdf", "longer.pdf"):
        assert results[name]["success"] is False
        assert "This entry of the ZIP archive is damaged" in results[name]["error"], results[name]
        assert "re-create the archive" in results[name]["error"]
    assert results["invoice.pdf"]["success"] is True
    keys = assert_only_inside_batch(store, response.json()["batch_id"])
    assert len(keys) == 1 and keys[0].endswith("-invoice.pdf")


# --- limits ---------------------------------------------------------------------------------------


def test_zip_over_max_zip_entries_is_413_before_anything_is_stored(make_client, store, pdfs):
    client = make_client(max_zip_entries=5)
    archive = make_zip([(f"{i}.pdf", pdfs["letter"]) for i in range(6)])
    response = post_zip(client, archive)
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The ZIP archive has 6 entries, more than the 5 allowed (MAX_ZIP_ENTRIES). "
        "Split it into smaller archives and send them one by one."
    )
    # An end record that says 1 entry hides neither the 6 of the central directory, nor a central
    # directory too big for 5 entries (refused before zipfile reads it into memory).
    response = post_zip(client, claiming_one_entry(archive))
    assert response.status_code == 413 and "more than the 5 allowed (MAX_ZIP_ENTRIES)" in response.json()["detail"]
    many = make_zip([(f"{i:03d}-{'x' * 40}.pdf", b"%PDF-") for i in range(60)])
    response = post_zip(client, claiming_one_entry(many))
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The ZIP archive's list of entries takes")
    assert "(MAX_ZIP_ENTRIES)" in response.json()["detail"]
    assert stored_keys(store) == []


def claiming_one_entry(archive: bytes) -> bytes:
    """The archive with an end record that says it has one entry."""
    end = archive.rindex(b"PK\x05\x06")
    lying = bytearray(archive)
    struct.pack_into("<HH", lying, end + END_ENTRIES_HERE, 1, 1)
    return bytes(lying)


def test_zip_over_max_zip_uncompressed_bytes_is_413_before_anything_is_stored(make_client, store, pdfs):
    client = make_client(max_zip_uncompressed_bytes=64 * 1024)
    padding = zipfile.ZipInfo("notes.txt")  # skipped, but it would still be unpacked by the person
    archive = make_zip([("invoice.pdf", pdfs["invoice"]), (padding, bytes(70 * 1024))])
    response = post_zip(client, archive)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "more than the 64 KiB allowed (MAX_ZIP_UNCOMPRESSED_BYTES)" in detail
    assert stored_keys(store) == []


def test_pdf_over_max_pdf_bytes_fails_alone_in_a_batch_and_in_a_zip(make_client, store, pdfs, tmp_path):
    limit = max(len(pdfs["invoice"]), len(pdfs["letter"])) + 1000
    pdf_factory.make_padded_pdf(tmp_path / "big.pdf", limit + 5000)
    big = (tmp_path / "big.pdf").read_bytes()
    client = make_client(max_pdf_bytes=limit)

    response = client.post(BATCH_URL, files=[
        ("files", ("big.pdf", io.BytesIO(big), "application/pdf")),
        ("files", ("invoice.pdf", io.BytesIO(pdfs["invoice"]), "application/pdf")),
    ])
    results = results_by_name(response)
    assert results["big.pdf"]["success"] is False and "(MAX_PDF_BYTES)" in results["big.pdf"]["error"]
    assert results["invoice.pdf"]["success"] is True
    keys = assert_only_inside_batch(store, response.json()["batch_id"])
    assert len(keys) == 1 and keys[0].endswith("-invoice.pdf")

    # Stored, not deflated: its ratio is fine, only its size is over the limit.
    archive = make_zip([("big.pdf", big), ("letter.pdf", pdfs["letter"])], compression=zipfile.ZIP_STORED)
    response = post_zip(client, archive)
    results = results_by_name(response)
    assert results["big.pdf"]["success"] is False and "(MAX_PDF_BYTES)" in results["big.pdf"]["error"]
    assert results["letter.pdf"]["success"] is True
    assert len([k for k in stored_keys(store) if response.json()["batch_id"] in k]) == 1


def multipart_body(parts: list[tuple[str, bytes, bytes]], boundary: bytes = b"hostile-boundary") -> bytes:
    """A multipart/form-data body of (field, raw filename bytes, content) parts, written by hand: httpx
    would percent-encode a NUL in a file name, and hostile clients do not."""
    body = bytearray()
    for field, filename, content in parts:
        body += b"--" + boundary + b"\r\n"
        body += b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n' % (field.encode(), filename)
        body += b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n"
    body += b"--" + boundary + b"--\r\n"
    return bytes(body)


MULTIPART = "multipart/form-data; boundary=hostile-boundary"


def test_request_over_max_request_bytes_with_content_length_is_413_unread(make_client, store, pdfs):
    client = make_client(max_request_bytes=64 * 1024)
    body = multipart_body([("files", b"big.pdf", pdfs["invoice"] + bytes(70 * 1024))])
    response = client.post(BATCH_URL, content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The request body is larger than the 64 KiB allowed (MAX_REQUEST_BYTES). "
        "Send the files in several smaller requests or ZIP archives."
    )
    # Straight through ASGI: the answer comes before the body is asked for.
    app, reads, sent = client.app, [], []

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": ZIP_URL, "raw_path": ZIP_URL.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"content-type", MULTIPART.encode()), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1), "server": ("testserver", 80), "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413 and reads == []
    assert "MAX_REQUEST_BYTES" in json.loads(sent[1]["body"])["detail"]
    assert stored_keys(store) == []


def test_chunked_request_over_max_request_bytes_is_413_while_streaming(make_client, store, pdfs):
    client = make_client(max_request_bytes=64 * 1024)
    body = multipart_body([("file", b"big.zip", make_zip([("a.pdf", pdfs["invoice"])]) + bytes(70 * 1024))])

    def chunks():  # no length known in advance: sent with Transfer-Encoding: chunked
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(ZIP_URL, content=chunks(), headers={"content-type": MULTIPART})
    assert response.status_code == 413
    assert "(MAX_REQUEST_BYTES)" in response.json()["detail"]
    assert stored_keys(store) == []
    # Under the limit, the same way of sending works.
    small = multipart_body([("files", b"invoice.pdf", pdfs["invoice"])])
    response = client.post(BATCH_URL, content=iter([small[:100], small[100:]]), headers={"content-type": MULTIPART})
    assert results_by_name(response)["invoice.pdf"]["success"] is True


# --- file names -----------------------------------------------------------------------------------

HOSTILE_NAMES = {
    # raw name: what is shown
    "../../etc/passwd.pdf": "etc/passwd.pdf",
    "nul\x00byte.pdf": "nulbyte.pdf",
    "invoice\u202efdp.exe.pdf": "invoicefdp.exe.pdf",
    "\u200fmarked\u200e.pdf": "marked.pdf",
    "A" * 1000 + ".pdf": "A" * (MAX_NAME_CHARS - 4) + ".pdf",
    "é" * 1000 + ".pdf": "é" * (MAX_NAME_CHARS - 4) + ".pdf",
}


def assert_cleaned(results: dict, store, batch_id: str) -> None:
    assert set(results) == set(HOSTILE_NAMES.values())
    for name, result in results.items():
        assert result["success"] is True, result
        assert len(name) <= MAX_NAME_CHARS and name.endswith(".pdf")
        assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in name), name
    for key in assert_only_inside_batch(store, batch_id):
        base = key.rsplit("/", 1)[1]
        assert len(base.encode()) <= len("00000-") + MAX_KEY_NAME_BYTES and base.endswith(".pdf"), key
        assert "\x00" not in key and "\u202e" not in key


def test_hostile_multipart_file_names_are_cleaned(client, store, pdfs):
    parts = [("files", raw.encode(), pdf) for raw, pdf in zip(HOSTILE_NAMES, pdfs["other"])]
    response = client.post(BATCH_URL, content=multipart_body(parts), headers={"content-type": MULTIPART})
    results = results_by_name(response)
    assert_cleaned(results, store, response.json()["batch_id"])
    job = client.get(f"/api/v1/jobs/{results['nulbyte.pdf']['job_id']}").json()
    assert job["filename"] == "nulbyte.pdf"


def test_hostile_zip_entry_names_are_cleaned(client, store, pdfs):
    archive = make_zip([(raw.replace("\x00", "_"), pdf) for raw, pdf in zip(HOSTILE_NAMES, pdfs["other"])])
    # zipfile cuts a name it writes at a NUL: put the NUL back by hand, in both headers.
    assert archive.count(b"nul_byte.pdf") == 2
    archive = archive.replace(b"nul_byte.pdf", b"nul\x00byte.pdf")
    response = post_zip(client, archive)
    assert_cleaned(results_by_name(response), store, response.json()["batch_id"])
