"""Object storage for uploaded files: any S3-compatible store (MinIO, AWS S3) or a local folder.

Both stores stream: a file goes in and comes out in chunks, never whole in memory."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from invoice_processor.settings import Settings

CHUNK_BYTES = 1024 * 1024


class ObjectNotFound(Exception):
    """The object is not in storage (deleted, or never written)."""


class UnsafeKey(ValueError):
    """An object key that would leave its prefix (an absolute path or a '..' part)."""


def safe_key(*parts: str) -> str:
    """Joins key parts with '/', refusing any part that climbs out ('..', absolute paths)."""
    pieces: list[str] = []
    for part in parts:
        for piece in part.replace("\\", "/").split("/"):
            if piece in ("", "."):
                continue
            if piece == "..":
                raise UnsafeKey(f"unsafe path {part!r}")
            pieces.append(piece)
    if not pieces:
        raise UnsafeKey("empty key")
    return "/".join(pieces)


class ObjectStore(Protocol):
    def put(self, key: str, stream: BinaryIO) -> int:
        """Streams `stream` to `key`; returns the number of bytes written."""

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Yields a local file path holding the object, for readers that need a file."""

    def delete(self, key: str) -> None: ...

    def check(self) -> None:
        """Raises if the store cannot be reached (used by /health)."""

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None if there is no such object."""

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key under prefix (a folder-like prefix, without the trailing '/')."""

    def copy(self, source: str, destination: str) -> None: ...


class _CountingReader:
    """Wraps a stream to count the bytes read from it."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data


class FolderStore:
    """Objects as files under a root folder: the embedded default."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / safe_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise UnsafeKey(f"unsafe key {key!r}")
        return path

    def put(self, key: str, stream: BinaryIO) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK_BYTES)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path.stat().st_size

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise ObjectNotFound(f"object {key!r} is not in storage")
        yield path

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise OSError(f"storage folder {self.root} is not writable")

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def list_keys(self, prefix: str) -> Iterator[str]:
        folder = self._path(prefix)
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.is_symlink() and not path.name.startswith(".upload-"):
                    yield path.relative_to(self.root).as_posix()

    def copy(self, source: str, destination: str) -> None:
        with open(self._path(source), "rb") as f:
            self.put(destination, f)


class S3Store:
    """Objects in an S3-compatible bucket, through boto3."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        connect_timeout_s: float = 60.0,
        read_timeout_s: float = 60.0,
        max_attempts: int = 5,
        public_endpoint_url: str | None = None,
    ):
        """connect_timeout_s, read_timeout_s and max_attempts (the first try included) bound how long
        one call waits for a store that does not answer. public_endpoint_url: the endpoint presigned URLs
        are made for, where clients reach the store by another name (None: endpoint_url)."""
        self.bucket = bucket

        def client_for(endpoint: str | None):
            return boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=BotoConfig(
                    retries={"max_attempts": max_attempts, "mode": "standard"},
                    connect_timeout=connect_timeout_s,
                    read_timeout=read_timeout_s,
                    # MinIO and most self-hosted stores want path-style addressing.
                    s3={"addressing_style": "path"} if endpoint else None,
                    max_pool_connections=32,
                    # Signature V4 everywhere (presigned URLs included): AWS and MinIO both want it.
                    signature_version="s3v4",
                ),
            )

        self.client = client_for(endpoint_url)
        # SigV4 signs the Host header: a URL for the public name must be signed for it, not rewritten after.
        public = public_endpoint_url or endpoint_url
        self.presign_client = self.client if public == endpoint_url else client_for(public)

    def ensure_bucket(self) -> None:
        """Creates the bucket if it does not exist (convenient for MinIO and tests)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, stream: BinaryIO) -> int:
        reader = _CountingReader(stream)
        # upload_fileobj reads in parts (multipart above 8 MiB): the file is never whole in memory.
        self.client.upload_fileobj(reader, self.bucket, safe_key(key))
        return reader.count

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="invoice-") as tmp:
            path = Path(tmp) / "document.pdf"
            try:
                self.client.download_file(self.bucket, safe_key(key), str(path))
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    raise ObjectNotFound(f"object {key!r} is not in bucket {self.bucket}") from e
                raise
            yield path

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=safe_key(key))

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def size(self, key: str) -> int | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=safe_key(key))["ContentLength"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def list_keys(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=safe_key(prefix) + "/")
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    def copy(self, source: str, destination: str) -> None:
        # Server-side: the bytes do not pass through this process (multipart copy above 8 MiB).
        self.client.copy({"Bucket": self.bucket, "Key": safe_key(source)}, self.bucket, safe_key(destination))

    def presigned_put_url(self, key: str, *, expires_s: int, content_type: str) -> str:
        """A URL that lets its holder PUT this one key, with this content type, until it expires.
        Nothing else: no other key, no read, no list."""
        return self.presign_client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": safe_key(key), "ContentType": content_type},
            ExpiresIn=expires_s,
            HttpMethod="PUT",
        )


def make_store(settings: Settings) -> ObjectStore:
    if settings.uses_s3:
        return S3Store(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
            public_endpoint_url=settings.s3_public_endpoint_url,
        )
    return FolderStore(Path(settings.data_dir) / "objects")
