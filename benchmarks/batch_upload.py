"""End-to-end batch figures: 10 born-digital and 10 scanned one-page invoices through `batch-upload`
on a fresh `invoice-processor serve`, and, side by side in the same run, bare Tesseract on the same
scanned pages two at a time (the floor any OCR service has to pay).

    .venv/bin/python benchmarks/batch_upload.py [--files 10] [--max-workers 4] [--threads 2] [--rounds 3]

The scanned batch and bare Tesseract take turns, `rounds` times (the batch sent again with
allow_duplicates=true, so that it is read again), the order flipping each round; each round's ratio
is printed, then the median. Bare Tesseract is the `tesseract` command at 300 DPI (its default page
segmentation) on the pages rendered to PNG beforehand, outside the timing, each page in its
document's two languages as the service reads them (OCR_LANGUAGES=auto: the document's own, then
English; English, then French for an English one), two pages at a time.
Prints wall time per batch, the per-file processing times the API reports, and the ratios."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import pdf_factory  # noqa: E402
from tests.conftest import free_port  # noqa: E402

CLI = str(Path(sys.executable).with_name("invoice-processor"))


def make_files(folder: Path, count: int, scanned: bool) -> dict[Path, pdf_factory.InvoiceSpec]:
    """Invoices in English and French alternately; returns what each one prints."""
    make = pdf_factory.make_scanned_invoice if scanned else pdf_factory.make_text_invoice
    specs = {}
    for i in range(count):
        path = folder / f"{'scan' if scanned else 'text'}-{i:02d}.pdf"
        specs[path] = make(path, invoice_number=f"B-{i:04d}", language="fr" if i % 2 else "en")
    return specs


CHECKED_FIELDS = ("invoice_number", "date", "total_without_vat", "total_vat", "total_with_vat", "currency")


def fields_right(url: str, body: dict, specs: dict[Path, pdf_factory.InvoiceSpec]) -> tuple[int, int]:
    """How many of CHECKED_FIELDS the stored invoices got exactly right, out of how many."""
    by_name = {path.name: spec for path, spec in specs.items()}
    right = total = 0
    for r in body["results"]:
        spec = by_name[r["filename"]]
        invoice = requests.get(f"{url}/api/v1/invoices/{r['invoice_id']}").json() if r["invoice_id"] else {}
        for name in CHECKED_FIELDS:
            expected = getattr(spec, name)
            got = invoice.get(name)
            total += 1
            if isinstance(expected, Decimal):
                right += got is not None and Decimal(str(got)) == expected
            else:
                right += got == (expected.isoformat() if name == "date" else expected)
    return right, total


def upload(url: str, paths: list[Path], max_workers: int, again: bool = False) -> tuple[float, dict]:
    files = [("files", (p.name, p.open("rb"), "application/pdf")) for p in paths]
    params = {"max_workers": max_workers, **({"allow_duplicates": "true"} if again else {})}
    started = time.perf_counter()
    response = requests.post(f"{url}/api/v1/invoices/batch-upload", files=files, params=params)
    elapsed = time.perf_counter() - started
    for _, (_, f, _) in files:
        f.close()
    response.raise_for_status()
    return elapsed, response.json()


def render_pages(paths: list[Path], workdir: Path) -> list[Path]:
    """Each file's first page as a 300 DPI PNG, for bare Tesseract."""
    images = []
    for path in paths:
        png = workdir / f"{path.stem}.png"
        pdf = pdfium.PdfDocument(path)
        pdf[0].render(scale=300 / 72).to_pil().save(png, dpi=(300, 300))
        pdf.close()
        images.append(png)
    return images


def bare_tesseract(images: list[tuple[Path, str]]) -> float:
    """`tesseract --dpi 300 -l languages` on each (page, languages), two at a time: Tesseract's own
    time, the floor for any OCR service."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(image: tuple[Path, str]) -> None:
        png, languages = image
        subprocess.run(["tesseract", str(png), "stdout", "--dpi", "300", "-l", languages],
                       env=env, check=True, capture_output=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started


def page_languages(spec: pdf_factory.InvoiceSpec, setting: str) -> str:
    """The Tesseract languages the service reads a generated invoice with: with OCR_LANGUAGES=auto,
    its own language then English (English then French for an English one); else the setting."""
    if setting.strip().lower() != "auto":
        return setting
    return "fra+eng" if spec.language == "fr" else "eng+fra"


def wait_healthy(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("serve exited early")
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit("serve did not become healthy")


def describe(url: str, name: str, elapsed: float, body: dict) -> None:
    times = [r["processing_time"] for r in body["results"]]
    first = requests.get(f"{url}/api/v1/jobs/{body['jobs'][0]['job_id']}").json()
    wake = datetime.fromisoformat(first["started_at"]) - datetime.fromisoformat(first["created_at"])
    print(f"{name}: {body['total_files']} files, {body['successful']} ok, {body['failed']} failed; "
          f"end to end {elapsed:.2f} s ({elapsed / body['total_files']:.2f} s/file); per file "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s; "
          f"first job claimed {wake.total_seconds() * 1000:.0f} ms after it was queued")


@contextmanager
def serving(folder: Path, threads: int) -> Iterator[str]:
    """A fresh `serve` on a free port with its data in folder and RUNNER_THREADS=threads, healthy; yields its
    URL and stops it (SIGTERM) after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "S3_BUCKET")}
    env["RUNNER_THREADS"] = str(threads)
    serve = subprocess.Popen([CLI, "serve", "--port", str(port), "--data-dir", str(folder / "data")],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, serve)
        yield url
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(60)


def bare_images(specs: dict[Path, pdf_factory.InvoiceSpec], folder: Path, setting: str) -> list[tuple[Path, str]]:
    """Each scanned file's page rendered for bare Tesseract, with the languages the service reads it in."""
    pages = render_pages(list(specs), folder)
    return [(png, page_languages(spec, setting)) for png, spec in zip(pages, specs.values(), strict=True)]


def scanned_rounds(
    url: str, specs: dict[Path, pdf_factory.InvoiceSpec], images: list[tuple[Path, str]], rounds: int, max_workers: int
) -> list[dict]:
    """The scanned batch and bare Tesseract on the same pages in turns (the order alternates), `rounds` times;
    after the first round the batch is sent again with allow_duplicates. Per round: {"ours", "bare" (seconds),
    "body" (the batch's answer), "fields" ((right, total))}."""
    done = []
    for round_ in range(rounds):
        timed = {}
        for turn in ("ours", "bare") if round_ % 2 == 0 else ("bare", "ours"):
            if turn == "bare":
                timed["bare"] = bare_tesseract(images)
            else:
                timed["ours"], timed["body"] = upload(url, list(specs), max_workers, again=round_ > 0)
        timed["fields"] = fields_right(url, timed["body"], specs)
        done.append(timed)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="RUNNER_THREADS of the served runner")
    parser.add_argument("--rounds", type=int, default=3, help="turns of the scanned batch and bare Tesseract")
    args = parser.parse_args()
    languages = os.environ.get("OCR_LANGUAGES", "auto")

    with tempfile.TemporaryDirectory(prefix="ip-bench-") as tmp:
        folder = Path(tmp)
        text_files = make_files(folder, args.files, scanned=False)
        scanned_files = make_files(folder, args.files, scanned=True)
        images = bare_images(scanned_files, folder, languages)
        with serving(folder, args.threads) as url:
            upload(url, list(text_files)[:1], args.max_workers)  # warm-up: imports, first connections
            print(f"{os.cpu_count()} CPUs, RUNNER_THREADS={args.threads}, max_workers={args.max_workers}, "
                  f"OCR_LANGUAGES={languages}")
            text_s, text_body = upload(url, list(text_files), args.max_workers)
            describe(url, "born-digital batch", text_s, text_body)
            right, total = fields_right(url, text_body, text_files)
            print(f"born-digital: {right}/{total} fields exact ({', '.join(CHECKED_FIELDS)})")
            rounds = scanned_rounds(url, scanned_files, images, args.rounds, args.max_workers)
            for number, timed in enumerate(rounds, 1):
                describe(url, f"scanned batch, round {number}", timed["ours"], timed["body"])
                right, total = timed["fields"]
                print(f"scanned, round {number}: {right}/{total} fields exact; bare Tesseract, same "
                      f"{args.files} pages, 2 at a time: {timed['bare']:.2f} s; ratio {timed['ours'] / timed['bare']:.2f}")
        ratios = [timed["ours"] / timed["bare"] for timed in rounds]
        print(f"ratio scanned batch / bare Tesseract, median of {args.rounds} rounds: {statistics.median(ratios):.2f} "
              f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
        print(f"ratio scanned / born-digital batch: {statistics.median(t['ours'] for t in rounds) / text_s:.1f}")

if __name__ == "__main__":
    main()
