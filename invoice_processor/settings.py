"""Settings, read once from the environment. The names are the public contract (CONTRACT.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: `serve` starts an embedded PostgreSQL under DATA_DIR.",
    )
    s3_endpoint_url: str | None = Field(default=None, description="S3 API endpoint (MinIO, AWS, ...).")
    s3_public_endpoint_url: str | None = Field(
        default=None,
        description="S3 endpoint written into the presigned URLs handed to clients, where they reach the store "
        "by another name than the services do (compose: http://localhost:9000 vs http://minio:9000). "
        "Unset: S3_ENDPOINT_URL.",
    )
    s3_bucket: str | None = Field(default=None, description="Bucket for uploaded files. Unset: a folder.")
    s3_region: str = "us-east-1"
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    data_dir: Path = Path(".invoice-processor")
    runner_threads: int = Field(default=2, ge=1, le=256, description="Threads of one runner's pool.")
    ocr_languages: str = Field(
        default="auto",
        description="Tesseract languages scanned pages may be read with: auto (every installed one of eng, fra, "
        "deu, nld, ita, spa) or a list joined by '+', e.g. fra+eng. Of more than two, each document is read with the "
        "language it is written in and a second, chosen from its text layer or a quick first reading of its first "
        "scanned page.",
    )
    ocr_dpi: int = 300
    use_embedded_xml: bool = Field(
        default=True,
        description="Read the e-invoice XML a PDF carries (Factur-X, ZUGFeRD, XRechnung, UBL) instead of its printed "
        "page. false: read the printed page of every PDF. A request's use_embedded_xml overrides it for its files.",
    )
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

    # Webhook deliveries, sent by every runner (job_runner/webhooks.py).
    webhook_poll_interval_s: float = Field(
        default=1.0, gt=0, description="How often a runner looks for webhook deliveries that are due."
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, description="How long one webhook POST may take (connect, send, answer) before it fails."
    )
    webhook_backoff_base_s: float = Field(
        default=5.0,
        gt=0,
        description="Wait before retrying a failed webhook delivery: up to this after the first attempt, doubling "
        "after each (random, full jitter), at most WEBHOOK_BACKOFF_CAP_S.",
    )
    webhook_backoff_cap_s: float = Field(
        default=3600.0, gt=0, description="Longest wait between two attempts of a webhook delivery."
    )
    webhook_give_up_after_s: float = Field(
        default=86400.0,
        gt=0,
        description="A webhook delivery with no 2xx answer this long after its event is marked failed.",
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

    # Florence-2, the optional vision-language model (pip install -e '.[vlm]').
    florence_model: str | None = Field(
        default=None,
        description="Florence-2 weights: a local folder (offline) or a hub id such as "
        "florence-community/Florence-2-base (downloaded on first use). Unset: the model is off.",
    )
    florence_device: Literal["auto", "cuda", "cpu"] = Field(
        default="auto",
        description="Where the model runs: auto takes CUDA when torch sees a GPU (float16), else the CPU.",
    )
    florence_trust_remote_code: bool = Field(
        default=False,
        description="Allow the code that comes with the weights to run: needed only for the original "
        "microsoft/Florence-2-* repositories, not for florence-community/* or a folder saved by transformers 5.",
    )
    vlm_mode: Literal["off", "fallback", "always"] | None = Field(
        default=None,
        description="Where the model reads: off; fallback (only pages whose OCR is unsure, or the bands around "
        "missing or inconsistent values); always (every page). Unset: fallback when FLORENCE_MODEL is set.",
    )
    vlm_min_ocr_confidence: float = Field(
        default=70.0,  # invoice_reader.vlm_stage.DEFAULT_MIN_OCR_CONFIDENCE, without importing the pipeline
        ge=0,
        le=100,
        description="In fallback mode, pages OCR read with a lower mean word confidence (0-100) go to the model.",
    )

    @field_validator("florence_model", "vlm_mode", "s3_public_endpoint_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        """FLORENCE_MODEL=, VLM_MODE= or S3_PUBLIC_ENDPOINT_URL= (as docker-compose passes an unset variable)
        means unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def effective_vlm_mode(self) -> str:
        """VLM_MODE, or its default: fallback with a model, off without."""
        if self.vlm_mode is not None:
            return self.vlm_mode
        return "fallback" if self.florence_model else "off"

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)


@lru_cache
def get_settings() -> Settings:
    return Settings()
