"""Ingest figures of the API alone (no runner: the jobs stay queued), each section on the same
`invoice-processor api` process:

1. big-zip: a ZIP of `--zip-gb` GB of PDFs (random, incompressible padding: the archive really is
   that big) streamed from a file, `wait=false`: the time until the API answered 202;
2. small-zip: the ingest rate (files/s until the API answered) of a ZIP of `--files` small PDFs;
3. batch-upload: the same for `--files` PDFs as repeated `files` fields of one `batch-upload`
   request, then what the API answers to one file more than the multipart parser allows (Starlette
   refuses more than 1,000 files in one request by default);
4. direct (`--store s3` only): `--files` PDFs straight to the bucket with presigned URLs, then a
   batch created from their keys.

    .venv/bin/python benchmarks/ingest_rate.py [--zip-gb 1.0] [--big-file-mb 10] [--files 1000]
        [--small-kb 50] [--store folder|s3] [--sections big-zip small-zip batch-upload direct]

Runs on DATABASE_URL if set (it adds batches to it: use a scratch database), else on an embedded
PostgreSQL in a temporary folder. Objects go to a folder store in a temporary folder, or with
`--store s3` to moto's S3 server (in this process, so its memory is not the API's). Uploads are
sent with httpx, which streams a file object instead of reading it whole. Prints figures; asserts
nothing. After each section: the API process's resident memory before it and its peak during it
(VmHWM from /proc, reset before each section). A new section (e.g. presigned direct uploads) is a
function `(Api, args) -> list[str]` added to SECTIONS."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.queue_throughput import database  # noqa: E402
from tests import pdf_factory  # noqa: E402
from tests.conftest import free_port  # noqa: E402

CLI = str(Path(sys.executable).with_name("invoice-processor"))
MiB = 1024**2
GB = 1000**3


@dataclass
class Api:
    """The API process under measure."""

    url: str
    process: subprocess.Popen
    workdir: Path

    def memory_kib(self, field: str) -> int:
        """VmRSS (now) or VmHWM (peak since the last reset_peak) of the API process, in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field} in /proc/{self.process.pid}/status")

    def reset_peak(self) -> None:
        # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0 and later).
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")


@contextmanager
def object_store(kind: str, workdir: Path) -> Iterator[dict[str, str]]:
    """The API's environment for the object store: a folder (DATA_DIR) or moto's S3 server."""
    if kind == "folder":
        yield {"DATA_DIR": str(workdir / "data")}
        return
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="bench")
        yield {"S3_ENDPOINT_URL": endpoint, "S3_BUCKET": "bench", **keys}
    finally:
        server.stop()


@contextmanager
def api_process(url: str, store_env: dict[str, str], workdir: Path, max_request_bytes: int) -> Iterator[Api]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "MAX_"))}
    env.update(store_env, DATABASE_URL=url, MAX_REQUEST_BYTES=str(max_request_bytes),
               MAX_ZIP_UNCOMPRESSED_BYTES=str(max_request_bytes))
    log = (workdir / "api.log").open("wb")
    process = subprocess.Popen([CLI, "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    api = Api(f"http://127.0.0.1:{port}", process, workdir)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the API did not start; see {workdir / 'api.log'}")
            try:
                if httpx.get(f"{api.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield api
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def make_pdfs(folder: Path, count: int, size_bytes: int, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"doc-{i:05d}.pdf"
        pdf_factory.make_padded_pdf(path, size_bytes, seed=seed + i)
        paths.append(path)
    return paths


def make_zip(path: Path, count: int, size_bytes: int, seed: int = 0) -> Path:
    """A ZIP of `count` padded PDFs of about size_bytes each, deflated at level 1 (random padding does
    not shrink; the API still has to inflate it), each PDF made and deleted in turn."""
    folder = path.with_suffix("")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as zf:
        for i in range(count):
            [pdf] = make_pdfs(folder, 1, size_bytes, seed=seed + i)
            zf.write(pdf, f"invoices/{i // 100:03d}/doc-{i:05d}.pdf")
            pdf.unlink()
    folder.rmdir()
    return path


def post(api: Api, path: str, files, timeout_s: float = 3600) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = httpx.post(f"{api.url}{path}", params={"wait": "false"}, files=files, timeout=timeout_s)
    return time.perf_counter() - started, response


def big_zip(api: Api, args: argparse.Namespace) -> list[str]:
    size = int(args.zip_gb * GB)
    count = max(1, round(size / (args.big_file_mb * MiB)))
    archive = make_zip(api.workdir / "big.zip", count, size // count, seed=1_000_000)
    archive_bytes = archive.stat().st_size
    with archive.open("rb") as f:
        elapsed, response = post(api, "/api/v1/invoices/batch-upload-zip", {"file": ("big.zip", f, "application/zip")})
    archive.unlink()
    return [
        f"big-zip: {archive_bytes / GB:.2f} GB ZIP of {count} PDFs -> {response.status_code}, "
        f"{len(response.json().get('jobs', []))} jobs, answered in {elapsed:.1f} s "
        f"({archive_bytes / MiB / elapsed:.0f} MiB/s, {count / elapsed:.1f} files/s)"
    ]


def small_zip(api: Api, args: argparse.Namespace) -> list[str]:
    archive = make_zip(api.workdir / "small.zip", args.files, args.small_kb * 1024, seed=2_000_000)
    with archive.open("rb") as f:
        elapsed, response = post(
            api, "/api/v1/invoices/batch-upload-zip", {"file": ("small.zip", f, "application/zip")}
        )
    jobs = len(response.json().get("jobs", []))
    return [
        f"small-zip: {args.files} PDFs of {args.small_kb} KB in a {archive.stat().st_size / MiB:.0f} MiB ZIP -> "
        f"{response.status_code}, {jobs} jobs in {elapsed:.2f} s: {jobs / elapsed:.0f} files/s"
    ]


def batch_upload(api: Api, args: argparse.Namespace) -> list[str]:
    paths = make_pdfs(api.workdir / "batch", args.files, args.small_kb * 1024, seed=3_000_000)
    handles = [p.open("rb") for p in paths]
    try:
        files = [("files", (p.name, f, "application/pdf")) for p, f in zip(paths, handles)]
        elapsed, response = post(api, "/api/v1/invoices/batch-upload", files)
    finally:
        for f in handles:
            f.close()
    jobs = len(response.json().get("jobs", []))
    lines = [
        f"batch-upload: {args.files} PDFs of {args.small_kb} KB in one request -> {response.status_code}, "
        f"{jobs} jobs in {elapsed:.2f} s: {jobs / elapsed:.0f} files/s"
    ]
    tiny = paths[0].read_bytes()[:2000]
    _, over = post(api, "/api/v1/invoices/batch-upload", [("files", (f"t{i}.pdf", tiny)) for i in range(1001)])
    lines.append(f"batch-upload: 1,001 files in one request -> {over.status_code} {over.json().get('detail')!r}")
    return lines


def direct(api: Api, args: argparse.Namespace) -> list[str]:
    """`--files` PDFs straight to the bucket: presign, PUT each (8 at a time, as a client script would),
    create the batch from the keys. The API sees no file bytes."""
    if args.store != "s3":
        return ["direct: skipped (presigned uploads need --store s3)"]
    paths = make_pdfs(api.workdir / "direct", args.files, args.small_kb * 1024, seed=4_000_000)
    started = time.perf_counter()
    presigned = httpx.post(
        f"{api.url}/api/v1/uploads/presign", json={"files": [{"filename": p.name} for p in paths]}, timeout=600
    ).json()["uploads"]
    signed = time.perf_counter()

    def put(pair) -> int:
        path, upload = pair
        with path.open("rb") as f:
            return httpx.put(upload["url"], content=f, headers=upload["headers"], timeout=600).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(put, zip(paths, presigned)))
    uploaded = time.perf_counter()
    response = httpx.post(
        f"{api.url}/api/v1/batches",
        params={"wait": "false"},
        json={"files": [{"key": u["key"]} for u in presigned]},
        timeout=600,
    )
    done = time.perf_counter()
    jobs = len(response.json().get("jobs", []))
    return [
        f"direct: {args.files} PDFs of {args.small_kb} KB: presign {signed - started:.2f} s, "
        f"{codes.count(200)} PUTs to the bucket {uploaded - signed:.2f} s, create batch -> {response.status_code}, "
        f"{jobs} jobs in {done - uploaded:.2f} s; {jobs / (done - started):.0f} files/s end to end"
    ]


SECTIONS: dict[str, Callable[[Api, argparse.Namespace], list[str]]] = {
    "big-zip": big_zip,
    "small-zip": small_zip,
    "batch-upload": batch_upload,
    "direct": direct,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip-gb", type=float, default=1.0, help="size of the big ZIP, in GB (10^9 bytes)")
    parser.add_argument("--big-file-mb", type=float, default=10, help="size of each PDF in the big ZIP, in MiB")
    parser.add_argument("--files", type=int, default=1000, help="PDFs in the small ZIP and in the batch-upload")
    parser.add_argument("--small-kb", type=int, default=50, help="size of each of those PDFs, in KiB")
    parser.add_argument("--store", choices=("folder", "s3"), default="folder")
    parser.add_argument("--sections", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    args = parser.parse_args()
    max_request_bytes = max(2 * 1024**3, int(args.zip_gb * GB * 1.01) + 16 * MiB)

    with tempfile.TemporaryDirectory(prefix="ip-bench-ingest-") as tmp, database() as url:
        workdir = Path(tmp)
        with object_store(args.store, workdir) as store_env, api_process(
            url, store_env, workdir, max_request_bytes
        ) as api:
            print(f"{os.cpu_count()} CPUs, {args.store} store, API pid {api.process.pid}")
            for name in args.sections:
                before = api.memory_kib("VmRSS")
                api.reset_peak()
                for line in SECTIONS[name](api, args):
                    print(line, flush=True)
                peak = api.memory_kib("VmHWM")  # the API's peak resident memory since reset_peak
                print(f"{name}: API RSS {before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB during the section")


if __name__ == "__main__":
    main()
