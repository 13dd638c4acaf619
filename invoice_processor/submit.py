"""`invoice-processor submit`: sends PDFs, folders and ZIPs to a running API and shows progress."""

from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

POLL_S = 0.5


def collect(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Returns (pdfs, zips): folders are searched recursively for both. Raises SystemExit, with a one-line
    message, for a path that does not exist or a file that is neither a PDF nor a ZIP."""
    pdfs, zips = [], []
    for path in paths:
        if not path.exists():
            raise SystemExit(f"{path} does not exist (no such file or folder); check the path and run it again.")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for p in candidates:
            suffix = p.suffix.lower()
            if suffix == ".pdf":
                pdfs.append(p)
            elif suffix == ".zip":
                zips.append(p)
            elif not path.is_dir():
                raise SystemExit(f"{p} is not a PDF or a ZIP file.")
    return pdfs, zips


def _start_batches(
    client: httpx.Client, pdfs: list[Path], zips: list[Path], max_workers: int, use_embedded_xml: bool | None = None
) -> dict[str, list[dict]]:
    """Uploads the PDFs as one batch and each ZIP as another; returns batch id -> the ZIP's skipped entries
    (only the upload's answer lists them). Raises SystemExit if a file cannot be read or is refused."""
    params = {"max_workers": max_workers, "wait": "false"}
    if use_embedded_xml is not None:
        params["use_embedded_xml"] = str(use_embedded_xml).lower()
    batches = {}
    try:
        if pdfs:
            with ExitStack() as stack:
                files = [("files", (p.name, stack.enter_context(p.open("rb")), "application/pdf")) for p in pdfs]
                response = client.post("/api/v1/invoices/batch-upload", params=params, files=files)
            batches[_accepted(response)["batch_id"]] = []
        for z in zips:
            with z.open("rb") as f:
                response = client.post(
                    "/api/v1/invoices/batch-upload-zip", params=params, files={"file": (z.name, f, "application/zip")}
                )
            body = _accepted(response)
            batches[body["batch_id"]] = body.get("skipped", [])
    except OSError as e:  # a file removed or made unreadable since it was found
        raise SystemExit(f"Cannot read {e.filename}: {e.strerror or e}.") from None
    return batches


def _accepted(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text
        raise SystemExit(f"The API refused the upload ({response.status_code}): {detail}")
    return response.json()


def submit(
    paths: list[Path],
    *,
    api_url: str,
    max_workers: int,
    as_json: bool,
    api_key: str | None = None,
    use_embedded_xml: bool | None = None,
) -> int:
    """Returns the exit status: 0 if every file succeeded, 1 otherwise. use_embedded_xml None leaves it to
    the server's USE_EMBEDDED_XML."""
    pdfs, zips = collect(paths)
    if not pdfs and not zips:
        raise SystemExit("No PDF or ZIP files found.")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(base_url=api_url, headers=headers, timeout=httpx.Timeout(30.0, read=300.0)) as client:
        try:
            skipped = _start_batches(client, pdfs, zips, max_workers, use_embedded_xml)
        except httpx.ConnectError as e:
            raise SystemExit(f"Cannot reach the API at {api_url} ({e}). Is `invoice-processor serve` running?")
        batches = []
        for batch_id in skipped:
            while True:
                batch = client.get(f"/api/v1/batches/{batch_id}").json()
                done = batch["successful"] + batch["failed"]
                print(f"\rbatch {batch_id}: {done}/{batch['total_files']} done", end="", file=sys.stderr)
                if batch["status"] == "completed":
                    print(file=sys.stderr)
                    break
                time.sleep(POLL_S)
            batches.append({**batch, "skipped": skipped[batch_id]})
    for batch in batches:
        if as_json:
            print(json.dumps(batch, indent=2))
            continue
        print(f"batch {batch['batch_id']}: {batch['successful']} ok, {batch['failed']} failed, "
              f"{batch['processing_time_seconds']:.1f}s")
        for r in batch["results"]:
            if r["success"]:
                ref = f"invoice {r['invoice_id']}" if r["invoice_id"] else f"document {r['document_id']}"
                if r.get("duplicate_of_invoice_id") or r.get("duplicate_of_document_id"):
                    ref += ", the same file was sent before"
                elif r.get("possible_duplicate_of_invoice_id"):
                    ref += f", same provider and number as invoice {r['possible_duplicate_of_invoice_id']}"
                print(f"  ok      {r['filename']}: {r['document_type']} ({ref}), {r['processing_time']:.2f}s")
            else:
                print(f"  FAILED  {r['filename']}: {r['error']}")
        for entry in batch["skipped"]:
            print(f"  skipped {entry['name']}: {entry['reason']}")
    return 0 if all(b["failed"] == 0 for b in batches) else 1
