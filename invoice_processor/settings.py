"""Settings, read once from the environment. The names are the public contract (CONTRACT.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: `serve` starts an embedded PostgreSQL under DATA_DIR.",
    )
    s3_endpoint_url: str | None = Field(default=None, description="S3 API endpoint (MinIO, AWS, ...).")
    s3_bucket: str | None = Field(default=None, description="Bucket for uploaded files. Unset: a folder.")
    s3_region: str = "us-east-1"
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    data_dir: Path = Path(".invoice-processor")
    runner_threads: int = Field(default=2, ge=1, le=256, description="Threads of one runner's pool.")
    ocr_languages: str = "fra+eng"
    ocr_dpi: int = 300
    poll_interval_s: float = Field(
        default=2.0, description="Runner polling fallback when no notification arrives."
    )
    runner_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="A claimed job's lease, renewed by the runner's heartbeat every third of it. A runner "
        "that stops renewing (killed, cut off) loses its jobs to other runners after this long.",
    )
    runner_shutdown_grace_s: float = Field(
        default=30.0, ge=0, description="On SIGTERM, how long running jobs may take before they are given back."
    )
    job_max_attempts: int = Field(
        default=3, ge=1, description="How many times a job is claimed before a transient failure or a crash fails it."
    )
    retention_days: float = Field(
        default=0,
        ge=0,
        description="Delete completed batches' jobs and uploaded files after this many days (invoices and "
        "documents stay). 0 keeps everything.",
    )

    # Limits on what people send. Each refusal names the setting to raise.
    max_request_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="Largest upload request body (413 above it)."
    )
    max_pdf_bytes: int = Field(
        default=100 * 1024**2, gt=0, description="Largest PDF; a bigger file fails alone, with this limit named."
    )
    max_zip_entries: int = Field(default=10_000, gt=0, description="Most entries in an uploaded ZIP (413 above it).")
    max_zip_uncompressed_bytes: int = Field(
        default=4 * 1024**3, gt=0, description="Most bytes a ZIP may unpack to, all entries together (413 above it)."
    )
    max_zip_ratio: float = Field(
        default=100.0,
        gt=1,
        description="Highest compression ratio of a ZIP entry; above it the entry is treated as a ZIP bomb and fails.",
    )
    max_pdf_pages: int = Field(default=1000, gt=0, description="Most pages in one PDF; a longer one fails.")
    max_page_pixels: int = Field(
        default=150_000_000,
        gt=0,
        description="Most pixels of one page rendered for OCR (A0 at 300 DPI is 140 million); a bigger page fails.",
    )
    document_timeout_s: float = Field(
        default=900.0, gt=0, description="Longest time one file may take in a runner before it fails."
    )
    presign_expires_s: int = Field(
        default=900, ge=1, le=7 * 24 * 3600, description="How long presigned upload URLs stay valid."
    )
    require_api_keys: bool | None = Field(
        default=None,
        description="true: every API request needs a key; false: keys are optional (requests without one act "
        "as tenant 'default'). Unset: required unless the API listens on a loopback address only.",
    )

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)


@lru_cache
def get_settings() -> Settings:
    return Settings()
