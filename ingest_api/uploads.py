"""Turns uploaded files and ZIP archives into stored objects, one per PDF, under the batch's own prefix."""

from __future__ import annotations

import logging
import posixpath
import uuid
import zipfile
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from invoice_processor.queue import NewFile
from invoice_processor.storage import ObjectStore, safe_key

log = logging.getLogger("ingest_api")

PDF_MAGIC = b"%PDF-"
# The PDF header may follow a little leading junk; readers accept it within the first KiB.
PDF_HEADER_WINDOW = 1024


class UploadRejected(Exception):
    """The request cannot be accepted; the message tells the client why (answered as 400)."""


def looks_like_pdf(stream: BinaryIO) -> bool:
    """True if the stream has a PDF header; leaves the stream at its start."""
    stream.seek(0)
    head = stream.read(PDF_HEADER_WINDOW)
    stream.seek(0)
    return PDF_MAGIC in head


def tenant_prefix(tenant: str) -> str:
    """Where a tenant's objects live: tenants/<name>/ (uploads/, direct/ and incoming/ below it)."""
    return safe_key("tenants", tenant)


def batch_prefix(tenant: str, batch_id: uuid.UUID) -> str:
    """tenants/<tenant>/uploads/<batch>: the files of a batch sent through the API."""
    return safe_key(tenant_prefix(tenant), "uploads", str(batch_id))


def object_key(prefix: str, index: int, filename: str) -> str:
    """<prefix>/<index>-<base name>: never outside the batch's prefix, whatever the name says."""
    base = posixpath.basename(filename.replace("\\", "/")) or "document.pdf"
    return safe_key(prefix, f"{index:05d}-{base}")


def clean_member_name(name: str) -> str:
    """A ZIP entry's path as it is shown to people: folders kept, '..', '.', drive letters and
    leading slashes dropped, so the name never points outside the archive."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":
        parts = parts[1:]
    return "/".join(parts)


def check_pdf_uploads(files: list[tuple[str, BinaryIO]]) -> None:
    """Rejects the request if a file is plainly not a PDF: no PDF header and no .pdf name.
    A file named .pdf that turns out broken is accepted and fails alone, with its reason."""
    for name, stream in files:
        if not looks_like_pdf(stream) and not name.lower().endswith(".pdf"):
            raise UploadRejected(f"{name} is not a PDF file; only PDF files can be uploaded.")


def discard_objects(store: ObjectStore, keys: list[str]) -> None:
    """Deletes the objects of an upload that was not accepted. Best effort: during a storage outage
    some may stay behind, which is better than answering with the delete's error instead of the cause."""
    for key in keys:
        try:
            store.delete(key)
        except Exception as e:
            log.warning("could not delete %s of a rejected upload (%s); it stays in storage", key, e)


@contextmanager
def _discarded_on_failure(store: ObjectStore) -> Iterator[list[NewFile]]:
    """Yields the list the caller fills with stored files; deletes them if the block raises."""
    stored: list[NewFile] = []
    try:
        yield stored
    except BaseException:
        discard_objects(store, [f.object_key for f in stored])
        raise


def store_pdfs(store: ObjectStore, prefix: str, files: list[tuple[str, BinaryIO]]) -> list[NewFile]:
    """Streams each file to storage. Returns what to enqueue, in upload order. If one cannot be
    stored, the ones already stored are deleted and the error is raised."""
    with _discarded_on_failure(store) as stored:
        for index, (name, stream) in enumerate(files):
            stream.seek(0)
            key = object_key(prefix, index, name)
            size = store.put(key, stream)
            stored.append(NewFile(filename=name, object_key=key, size_bytes=size))
    return stored


def _is_pdf_member(info: zipfile.ZipInfo) -> bool:
    if info.is_dir():
        return False
    name = info.filename.replace("\\", "/")
    base = posixpath.basename(name)
    # macOS archives carry '__MACOSX/._name.pdf' resource forks, which are not PDFs.
    if name.startswith("__MACOSX/") or base.startswith("._"):
        return False
    return base.lower().endswith(".pdf")


def store_zip(store: ObjectStore, prefix: str, archive: BinaryIO) -> list[NewFile]:
    """Streams every PDF of a ZIP (any folder depth) to storage, entry by entry. Other entries are
    skipped. Raises UploadRejected for a damaged archive or one without PDFs; on any error, the
    entries already stored are deleted."""
    archive.seek(0)
    try:
        with zipfile.ZipFile(archive) as zf, _discarded_on_failure(store) as stored:
            members = [info for info in zf.infolist() if _is_pdf_member(info)]
            if not members:
                raise UploadRejected("No PDF files found in ZIP archive")
            for index, info in enumerate(members):
                name = clean_member_name(info.filename)
                key = object_key(prefix, index, name)
                with zf.open(info) as entry:
                    size = store.put(key, entry)
                stored.append(NewFile(filename=name, object_key=key, size_bytes=size))
            return stored
    except zipfile.BadZipFile as e:
        raise UploadRejected(f"The uploaded file is not a valid ZIP archive ({e}).") from e
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as e:
        # Unsupported compression methods, encrypted entries.
        raise UploadRejected(f"The ZIP archive cannot be read ({e}).") from e
