"""Turns uploaded files and ZIP archives into stored objects, one per PDF, under the batch's own prefix."""

from __future__ import annotations

import io
import logging
import lzma
import posixpath
import stat
import uuid
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import BinaryIO, Iterator, NamedTuple

from ingest_api.limits import UploadLimits, human_bytes
from ingest_api.schemas import SkippedEntry
from invoice_processor.queue import NewFile
from invoice_processor.storage import ObjectStore, safe_key

log = logging.getLogger("ingest_api")

PDF_MAGIC = b"%PDF-"
# The PDF header may follow a little leading junk; readers accept it within the first KiB.
PDF_HEADER_WINDOW = 1024
# A ZIP starts with a local file header, or with the end record when it is empty (APPNOTE 4.3.6).
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


class UploadRejected(Exception):
    """The request cannot be accepted; the message tells the client why (answered as 400)."""

    status_code = 400


class UploadTooLarge(UploadRejected):
    """The upload is over one of the limits on a whole request (answered as 413)."""

    status_code = 413


def looks_like_pdf(stream: BinaryIO) -> bool:
    """True if the stream has a PDF header; leaves the stream at its start."""
    stream.seek(0)
    head = stream.read(PDF_HEADER_WINDOW)
    stream.seek(0)
    return PDF_MAGIC in head


def looks_like_zip(stream: BinaryIO) -> bool:
    """True if the stream starts as a ZIP archive does; leaves the stream at its start. Checked before
    looks_like_pdf: a ZIP whose first PDF is stored uncompressed has a PDF header in its first KiB."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    return head in ZIP_MAGICS


MAX_NAME_CHARS = 255
# Files of one multipart request stored at the same time.
STORE_THREADS = 8
# Characters that change how a name is displayed without being seen: right-to-left marks and
# overrides (which can make "invoice\u202efdp.exe" read "invoiceexe.pdf"), isolates, zero-width ones.
_INVISIBLE = dict.fromkeys(
    [0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def display_name(name: str) -> str:
    """A file name as it is stored and shown: control characters (NUL included: PostgreSQL text cannot
    hold it) and invisible direction marks removed, at most MAX_NAME_CHARS characters, keeping the
    extension. Folders in the name are kept; use object_key for storage."""
    cleaned = "".join(c for c in name.translate(_INVISIBLE) if c.isprintable()).strip()
    if len(cleaned) > MAX_NAME_CHARS:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and len(extension) <= 10:
            cleaned = stem[: MAX_NAME_CHARS - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:MAX_NAME_CHARS]
    return cleaned or "document.pdf"


def too_big_error(size_bytes: int, limit_bytes: int) -> str:
    """The failed file's sentence for a PDF over MAX_PDF_BYTES."""
    return (
        f"This file is {human_bytes(size_bytes)}, above the {human_bytes(limit_bytes)} allowed for one PDF "
        "(MAX_PDF_BYTES). Split it, or ask the operator to raise MAX_PDF_BYTES."
    )


def tenant_prefix(tenant: str) -> str:
    """Where a tenant's objects live: tenants/<name>/ (uploads/, direct/ and incoming/ below it)."""
    return safe_key("tenants", tenant)


def batch_prefix(tenant: str, batch_id: uuid.UUID) -> str:
    """tenants/<tenant>/uploads/<batch>: the files of a batch sent through the API."""
    return safe_key(tenant_prefix(tenant), "uploads", str(batch_id))


# Room for the base name in an object key, in UTF-8 bytes: a folder store's file name holds 255 bytes
# (the index goes before it), an S3 key 1,024 in all, with the prefix.
MAX_KEY_NAME_BYTES = 128


def object_key(prefix: str, index: int, filename: str) -> str:
    """<prefix>/<index>-<key_name>: never outside the batch's prefix, whatever the name says."""
    return safe_key(prefix, f"{index:05d}-{key_name(filename)}")


def key_name(filename: str) -> str:
    """The last part of an object key for a file: its base name cleaned by display_name and cut to
    MAX_KEY_NAME_BYTES, keeping its extension; never '..' or empty."""
    base = display_name(posixpath.basename(filename.replace("\\", "/")))
    if base in (".", ".."):
        base = "document.pdf"
    return _cut_to_bytes(base, MAX_KEY_NAME_BYTES)


def _cut_to_bytes(name: str, limit: int) -> str:
    """name in at most `limit` UTF-8 bytes, keeping a short extension, never splitting a character."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    tail = f".{extension}" if dot and len(extension) <= 10 else ""
    head = (stem if tail else name).encode()[: limit - len(tail.encode())]
    return head.decode("utf-8", "ignore") + tail


def clean_member_name(name: str) -> str:
    """A ZIP entry's path as it is shown to people: folders kept, '..', '.', drive letters and
    leading slashes dropped, so the name never points outside the archive."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":
        parts = parts[1:]
    return "/".join(parts)


def uploaded_name(name: str) -> str:
    """A sent file's name (a multipart file or a ZIP entry) as it is stored and shown: display_name,
    then clean_member_name, so that neither hidden characters nor '..' parts are left."""
    return clean_member_name(display_name(name)) or "document.pdf"


def check_pdf_uploads(files: list[tuple[str, BinaryIO]]) -> None:
    """Rejects the request if a file is a ZIP archive (by its first bytes, whatever its name, or a .zip
    name without a PDF header) or plainly not a PDF: no PDF header and no .pdf name. A file named .pdf
    that turns out broken is accepted and fails alone, with its reason."""
    for name, stream in files:
        name = uploaded_name(name)
        if looks_like_zip(stream) or (name.lower().endswith(".zip") and not looks_like_pdf(stream)):
            raise UploadRejected(
                f"{name} is a ZIP archive; send it to POST /api/v1/invoices/batch-upload-zip "
                "(multipart field `file`), which reads every PDF inside it."
            )
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
        discard_objects(store, [f.object_key for f in stored if f.object_key])
        raise


def store_pdfs(
    store: ObjectStore, prefix: str, files: list[tuple[str, BinaryIO]], *, limits: UploadLimits
) -> list[NewFile]:
    """Streams each file to storage, STORE_THREADS at a time. Returns what to enqueue, in upload order,
    with names cleaned by uploaded_name; a file over MAX_PDF_BYTES is not stored and fails alone. If
    one cannot be stored, the ones that were are deleted and the error is raised."""

    def store_one(index: int, name: str, stream: BinaryIO) -> NewFile:
        name = uploaded_name(name)
        size = stream.seek(0, io.SEEK_END)
        if size > limits.max_pdf_bytes:
            error = too_big_error(size, limits.max_pdf_bytes)
            return NewFile(filename=name, object_key=None, size_bytes=size, error=error)
        stream.seek(0)
        key = object_key(prefix, index, name)
        return NewFile(filename=name, object_key=key, size_bytes=store.put(key, stream))

    # Several at once: with S3 each file is at least one round trip, which would otherwise bound the rate.
    with ThreadPoolExecutor(STORE_THREADS) as pool:
        futures = [pool.submit(store_one, index, name, stream) for index, (name, stream) in enumerate(files)]
        wait(futures)
    failures = [future.exception() for future in futures if future.exception() is not None]
    stored = [future.result() for future in futures if future.exception() is None]
    if failures:
        discard_objects(store, [f.object_key for f in stored if f.object_key])
        raise failures[0]
    return stored


# Flag bits of a ZIP entry (APPNOTE 4.4.4).
_ENCRYPTED = 0x1
_UTF8_NAME = 0x800
# Central directory bytes allowed per entry of MAX_ZIP_ENTRIES (46 fixed, then the name, extra fields
# and comment; real entries take 100 to 300). zipfile reads the whole directory into memory and makes
# an object of each entry before they can be counted, about 600 bytes for each of as many as 20,000
# per MiB of directory: its size is checked first, so that a lying entry count cannot cost gigabytes.
CENTRAL_DIRECTORY_BYTES_PER_ENTRY = 512

ZIP_PASSWORD_PROTECTED = "The ZIP archive is password-protected; send it again without a password."
ZIP_NAMES_DAMAGED = (
    "The ZIP archive's file names are damaged (one is marked as UTF-8 but is not); "
    "re-create the archive and send it again."
)
ENTRY_IS_LINK = (
    "This entry of the ZIP archive is a symbolic link, not a file, and was not followed; "
    "put the PDF itself in the archive and send it again."
)
ENTRY_IS_NOT_A_FILE = (
    "This entry of the ZIP archive is not a regular file (a device, a pipe or a socket); "
    "put the PDF itself in the archive and send it again."
)
ENTRY_IS_ZIP = (
    "This is a ZIP archive inside the ZIP archive, and archives inside archives are not opened; "
    "unzip it and send its PDFs."
)
ENTRY_ENCRYPTED = (
    "This file is password-protected inside the ZIP archive; "
    "put it in the archive without a password and send it again."
)


class _DamagedEntry(Exception):
    """Unpacking a ZIP entry failed (bad CRC, truncated or corrupt data, a header that lies about the
    size): told apart from the object store's own errors, which fail the whole upload."""


class _UnpackingReader:
    """A ZIP entry as the object store reads it; unpacking errors become _DamagedEntry."""

    def __init__(self, entry: BinaryIO):
        self._entry = entry

    def read(self, size: int = -1) -> bytes:
        try:
            return self._entry.read(size)
        except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError) as e:
            # bz2 reports corrupt data as OSError; zipfile checks the declared size and the CRC itself.
            raise _DamagedEntry(str(e) or type(e).__name__) from e


def member_name(info: zipfile.ZipInfo) -> str:
    """A ZIP entry's name as it is shown, cleaned by uploaded_name. Without the UTF-8 flag, zipfile
    decodes names as cp437 (the ZIP standard); many tools write UTF-8 without setting the flag, so
    a name that is valid UTF-8 is read as UTF-8."""
    name = info.orig_filename  # info.filename stops at a NUL; the cleaning drops the NUL instead
    if not info.flag_bits & _UTF8_NAME:
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            pass
    return uploaded_name(name)


SKIPPED_FOLDER = "This is a folder; the PDFs in it are read, each as a file of the batch."
SKIPPED_MACOS_METADATA = "This is macOS metadata (__MACOSX/ or a ._ name), not a document."
SKIPPED_NOT_PDF = (
    "Only entries whose name ends in .pdf are read; if this is a PDF, rename it to end in .pdf and send the "
    "archive again."
)


def _skip_reason(info: zipfile.ZipInfo, name: str) -> str | None:
    """Why the entry is skipped, as a sentence; None for a PDF, or a ZIP inside the ZIP (listed to be
    reported as a failed file, not opened)."""
    if info.orig_filename.endswith("/"):  # a folder (ZipInfo.is_dir fails on an empty name)
        return SKIPPED_FOLDER
    base = posixpath.basename(name)
    # macOS archives carry '__MACOSX/._name.pdf' resource forks, which are not PDFs.
    if name.startswith("__MACOSX/") or base.startswith("._"):
        return SKIPPED_MACOS_METADATA
    if not base.lower().endswith((".pdf", ".zip")):
        return SKIPPED_NOT_PDF
    return None


def _skipped_entry(name: str, reason: str) -> SkippedEntry:
    return SkippedEntry(name=f"{name}/" if reason == SKIPPED_FOLDER else name, reason=reason)


def _check_central_directory(archive: BinaryIO, limits: UploadLimits) -> None:
    """Raises UploadTooLarge if the end record says more than MAX_ZIP_ENTRIES entries, or a central
    directory too big for them, before zipfile reads it. A damaged end record is left to zipfile."""
    # The same reading of the end record (ZIP64 included) that ZipFile does when it opens the archive.
    end = zipfile._EndRecData(archive)
    archive.seek(0)
    if end is None:
        return
    entries, directory_bytes = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > limits.max_zip_entries:
        raise UploadTooLarge(_too_many_entries(entries, limits))
    if directory_bytes > limits.max_zip_entries * CENTRAL_DIRECTORY_BYTES_PER_ENTRY:
        raise UploadTooLarge(
            f"The ZIP archive's list of entries takes {human_bytes(directory_bytes)}, more than "
            f"{limits.max_zip_entries:,} entries (MAX_ZIP_ENTRIES) can take. "
            "Split it into smaller archives and send them one by one."
        )


def _too_many_entries(entries: int, limits: UploadLimits) -> str:
    return (
        f"The ZIP archive has {entries:,} entries, more than the {limits.max_zip_entries:,} allowed "
        "(MAX_ZIP_ENTRIES). Split it into smaller archives and send them one by one."
    )


def _listed_members(
    zf: zipfile.ZipFile, limits: UploadLimits
) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[SkippedEntry]]:
    """(the entries to store or report, with their shown names; the skipped ones, with why), each in
    archive order. Raises UploadTooLarge over MAX_ZIP_ENTRIES or MAX_ZIP_UNCOMPRESSED_BYTES (declared
    sizes: zipfile never unpacks more than an entry declares), UploadRejected if there is no PDF or
    every one is encrypted."""
    entries = zf.infolist()
    if len(entries) > limits.max_zip_entries:
        raise UploadTooLarge(_too_many_entries(len(entries), limits))
    unpacked = sum(info.file_size for info in entries)
    if unpacked > limits.max_zip_uncompressed_bytes:
        raise UploadTooLarge(
            f"The ZIP archive would unpack to {human_bytes(unpacked)}, more than the "
            f"{human_bytes(limits.max_zip_uncompressed_bytes)} allowed (MAX_ZIP_UNCOMPRESSED_BYTES). "
            "Split it into smaller archives and send them one by one."
        )
    members, skipped = [], []
    for info in entries:
        name = member_name(info)
        reason = _skip_reason(info, name)
        if reason is None:
            members.append((info, name))
        else:
            skipped.append(_skipped_entry(name, reason))
    if not members:
        raise UploadRejected(_no_pdf_found(skipped))
    if all(info.flag_bits & _ENCRYPTED for info, _ in members):
        raise UploadRejected(ZIP_PASSWORD_PROTECTED)
    return members, skipped


# Names of skipped entries quoted in the answer to a ZIP without PDFs.
NAMES_QUOTED = 5


def _no_pdf_found(skipped: list[SkippedEntry]) -> str:
    files = [entry.name for entry in skipped if entry.reason != SKIPPED_FOLDER]
    if not files:
        return "No PDF files found in ZIP archive: it holds no files; put the PDFs in it and send it again."
    shown = ", ".join(files[:NAMES_QUOTED])
    if len(files) > NAMES_QUOTED:
        shown += f" and {len(files) - NAMES_QUOTED:,} more"
    return (
        f"No PDF files found in ZIP archive: only entries whose name ends in .pdf are read, and it holds "
        f"{len(files):,} other file{'s' if len(files) != 1 else ''} ({shown}); put the PDFs in it and send it again."
    )


def _member_refusal(info: zipfile.ZipInfo, name: str, limits: UploadLimits) -> str | None:
    """Why this entry is not unpacked, as its failed file's sentence; None if it may be."""
    # Unix file type, in the high bits of the external attributes; 0 where the archive was made
    # elsewhere, and then it is a plain file.
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return ENTRY_IS_LINK
    if kind not in (0, stat.S_IFREG):
        return ENTRY_IS_NOT_A_FILE
    if name.lower().endswith(".zip"):
        return ENTRY_IS_ZIP
    if info.flag_bits & _ENCRYPTED:
        return ENTRY_ENCRYPTED
    if info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
        return (
            f"This entry would unpack to {human_bytes(info.file_size)} from {human_bytes(info.compress_size)}, "
            f"a ratio of {info.file_size / max(info.compress_size, 1):,.0f} to 1, above MAX_ZIP_RATIO "
            f"({limits.max_zip_ratio:g}): it looks like a ZIP bomb and was not unpacked. "
            "If it is a real PDF, send it on its own, outside the ZIP."
        )
    if info.file_size > limits.max_pdf_bytes:
        return too_big_error(info.file_size, limits.max_pdf_bytes)
    return None


def _store_member(
    store: ObjectStore, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, key: str, limits: UploadLimits
) -> NewFile:
    """Streams one entry to `key`; an entry refused or found damaged is a failed file, not stored."""

    def failed(error: str) -> NewFile:
        return NewFile(filename=name, object_key=None, size_bytes=info.file_size, error=error)

    refusal = _member_refusal(info, name, limits)
    if refusal:
        return failed(refusal)
    try:
        entry = zf.open(info)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        # A local header that is missing, truncated, or placed before the start of the file.
        return failed(f"This entry of the ZIP archive is damaged ({e}); re-create the archive and send it again.")
    except NotImplementedError as e:
        return failed(
            f"This entry of the ZIP archive is compressed in a way that cannot be read ({e}); "
            "re-create the archive with the usual (deflate) compression and send it again."
        )
    with entry:
        try:
            size = store.put(key, _UnpackingReader(entry))
            if size != info.file_size:
                # zipfile stops at the declared size (a longer entry then fails its CRC check), but
                # an entry that ends early with a matching CRC is read without complaint.
                raise _DamagedEntry(f"it unpacks to {size:,} bytes, its header says {info.file_size:,}")
        except _DamagedEntry as e:
            discard_objects(store, [key])  # a store may keep what it had read before the error
            return failed(f"This entry of the ZIP archive is damaged ({e}); re-create the archive and send it again.")
    return NewFile(filename=name, object_key=key, size_bytes=size)


class StoredZip(NamedTuple):
    """What store_zip made of an archive."""

    files: list[NewFile]
    """What to enqueue, in archive order (failed files included)."""
    skipped: list[SkippedEntry]
    """The entries that are not files of the batch, with why, in archive order."""


def store_zip(store: ObjectStore, prefix: str, archive: BinaryIO, *, limits: UploadLimits) -> StoredZip:
    """Streams every PDF of a ZIP (any folder depth) to storage, entry by entry; other entries are
    skipped and listed with their reasons. Returns what to enqueue, in archive order: an entry that is
    a link, a ZIP, encrypted, a likely ZIP bomb (over MAX_ZIP_RATIO), over MAX_PDF_BYTES or damaged is
    a failed file with its reason, and the others go on. Raises UploadTooLarge (413) over MAX_ZIP_ENTRIES or
    MAX_ZIP_UNCOMPRESSED_BYTES, found from the central directory before anything is stored, and
    UploadRejected for an archive that is damaged, password-protected or without PDFs. On any
    error, the entries already stored are deleted."""
    archive.seek(0)
    try:
        _check_central_directory(archive, limits)
        with zipfile.ZipFile(archive) as zf, _discarded_on_failure(store) as stored:
            members, skipped = _listed_members(zf, limits)
            for index, (info, name) in enumerate(members):
                stored.append(_store_member(store, zf, info, name, object_key(prefix, index, name), limits))
            return StoredZip(stored, skipped)
    except zipfile.BadZipFile as e:
        raise UploadRejected(f"The uploaded file is not a valid ZIP archive ({e}).") from e
    except UnicodeDecodeError as e:
        raise UploadRejected(ZIP_NAMES_DAMAGED) from e
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as e:
        # An archive version or feature zipfile does not support.
        raise UploadRejected(f"The ZIP archive cannot be read ({e}).") from e
