"""What people may send: the size of an upload request, checked as its body streams in
(RequestSizeLimit), and the limits on the files in it (UploadLimits). Each refusal names the setting
to raise, since the person refused is often not the one who can change it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoice_processor.settings import Settings

UPLOAD_PATHS = frozenset(
    f"/api/v1/invoices/{name}" for name in ("upload", "batch-upload", "batch-upload-zip")
)
# An uploaded file stays in memory until it is this big, then goes to a temporary file. Starlette's
# default, 1 MiB, kept a batch of 1,000 PDFs of 1,000 KB whole in memory (1.1 GB of API RSS); at
# 64 KiB a request of 1,000 files (Starlette's most) holds at most 64 MiB.
SPOOL_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """The limits on the files of one upload, from Settings (same names, same meaning)."""

    max_pdf_bytes: int
    """A bigger PDF (a multipart file or a ZIP entry) is not stored; it fails alone."""
    max_zip_entries: int
    """A ZIP with more entries is refused (413)."""
    max_zip_uncompressed_bytes: int
    """A ZIP whose entries' declared sizes add up to more is refused (413)."""
    max_zip_ratio: float
    """A ZIP entry that unpacks to more than this many times its compressed size fails alone."""

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_pdf_bytes=settings.max_pdf_bytes,
            max_zip_entries=settings.max_zip_entries,
            max_zip_uncompressed_bytes=settings.max_zip_uncompressed_bytes,
            max_zip_ratio=settings.max_zip_ratio,
        )


def upload_limits(request: Request) -> UploadLimits:
    """The limits of the app serving this request."""
    return UploadLimits.from_settings(request.app.state.settings)


def human_bytes(n: int) -> str:
    """1024 -> '1 KiB', 1536 -> '1.5 KiB', 100 -> '100 bytes'."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n // size:,} {unit}" if n % size == 0 else f"{n / size:,.1f} {unit}"
    return f"{n:,} bytes"


# The JSON requests (presign, a batch from keys) list at most 10,000 files: far below this.
JSON_PATHS = frozenset({"/api/v1/uploads/presign", "/api/v1/batches"})
JSON_MAX_BYTES = 32 * 1024**2


def request_too_large_message(max_bytes: int, limit_name: str = "MAX_REQUEST_BYTES") -> str:
    return (
        f"The request body is larger than the {human_bytes(max_bytes)} allowed ({limit_name}). "
        "Send the files in several smaller requests or ZIP archives."
    )


class RequestTooLarge(HTTPException):
    """The request body grew past MAX_REQUEST_BYTES while it was read (answered as 413)."""

    def __init__(self, max_bytes: int, limit_name: str):
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, request_too_large_message(max_bytes, limit_name))


class RequestSizeLimit:
    """ASGI middleware: refuses an upload request whose body is bigger than max_bytes with 413. A
    Content-Length over the limit is refused before anything is read; a body sent without one (chunked)
    is counted as it streams in and refused as soon as it passes the limit, so an upload never costs
    more than max_bytes of temporary disk, whatever it claims. Installing it also makes uploaded files
    go to disk past SPOOL_MAX_BYTES (for the whole process: Starlette has no other setting for it)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        paths: frozenset[str] = UPLOAD_PATHS,
        limit_name: str = "MAX_REQUEST_BYTES",
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths
        self.limit_name = limit_name
        MultiPartParser.spool_max_size = SPOOL_MAX_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") not in self.paths:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            # The body stays unread: with `Expect: 100-continue` the client does not even send it.
            await _too_large(self.max_bytes, self.limit_name)(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the form parser: FastAPI passes an HTTPException from the body on.
                    raise RequestTooLarge(self.max_bytes, self.limit_name)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestTooLarge:
            # Only reached if something read the body outside FastAPI's handlers.
            if response_started:
                raise
            await _too_large(self.max_bytes, self.limit_name)(scope, receive, send)


def _too_large(max_bytes: int, limit_name: str) -> JSONResponse:
    # The rest of the body is not read, so this connection cannot carry another request.
    return JSONResponse(
        {"detail": request_too_large_message(max_bytes, limit_name)},
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        headers={"Connection": "close"},
    )


def _content_length(scope: Scope) -> int | None:
    headers = Headers(scope=scope)
    if "transfer-encoding" in headers:  # chunked: a Content-Length beside it means nothing
        return None
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None
