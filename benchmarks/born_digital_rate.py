"""Born-digital files per second through `invoice-processor serve`, end to end: 1,000 synthetic PDFs
(dev seeds of both generators; 20 % multi-page, 10 % look-alikes that are not invoices) in one ZIP,
sent to `batch-upload-zip` on a fresh `serve` with its defaults (RUNNER_THREADS=2, max_workers=4).

    .venv/bin/python benchmarks/born_digital_rate.py [--files 1000] [--multi-page 0.2] [--lookalikes 0.1]
        [--max-workers 4] [--threads N] [--rounds 1] [--against CHECKOUT] [--profile DIR] [--json PATH]

Prints files/s from the start of the upload until the batch is completed (the answer of the waiting
upload), the per-file processing time the API reports (median, 90th percentile, max), the CPU time each
part of the service spent per file during the batch (the serve process, its document workers,
PostgreSQL), the median of each pipeline stage from the jobs' timings, and what the batch holds.
Before the measured batch, a batch of two other invoices warms the service up (its worker processes
start on their first file). The generated files are kept in a temporary folder named after the arguments, so a second
run starts at once. --against serves another checkout (an older commit: `git worktree add`) in turn
with this one, round after round, and prints the ratio of their rates: on a shared machine, the figure
to quote. --profile DIR runs every served process and thread under cProfile
(benchmarks/profiling/sitecustomize.py) and writes their .prof files there. run() is what
benchmarks/run_all.py calls.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.batch_upload import wait_healthy  # noqa: E402
from tests import pdf_factory  # noqa: E402
from tests.conftest import free_port  # noqa: E402

GENERATORS = {"reportlab": "benchmarks.synthetic", "html": "benchmarks.synthetic_html"}
"""Both synthetic generators, taken in turn seed by seed: the reportlab one alone has too few multi-page
invoices among the dev seeds (127 of 1,000) for 20 % of 1,000 files."""
DEV_SEEDS = range(0, 1000)
FORMAT_VERSION = 1
"""Part of the cache key: raise it when the choice of documents changes."""


def choose_documents(files: int, multi_page: float, lookalikes: float) -> list[tuple[str, int, str, bytes, int]]:
    """(generator, seed, kind, pdf, pages) for `files` documents: round(files * lookalikes) look-alikes,
    the rest invoices, round(files * multi_page) of all of them with more than one page. Dev seeds in
    order, both generators in turn; a document that would overshoot its share is passed over."""
    want_lookalikes = round(files * lookalikes)
    want_multi = round(files * multi_page)
    chosen: list[tuple[str, int, str, bytes, int]] = []
    counts = {"lookalike": [0, 0], "invoice": [0, 0]}  # kind: [single, multi]
    # Look-alikes first, so that their multi-page ones count towards the multi-page share.
    for kind, wanted in (("lookalike", want_lookalikes), ("invoice", files - want_lookalikes)):
        for seed in DEV_SEEDS:
            for family, module in GENERATORS.items():
                taken = counts[kind][0] + counts[kind][1]
                if taken >= wanted:
                    break
                pdf, labels = importlib.import_module(module).make_document(seed, kind)
                pages = int(labels.get("pages", 1))
                multi_so_far = counts["lookalike"][1] + counts["invoice"][1]
                room_multi = want_multi - multi_so_far
                if kind == "lookalike":
                    # Look-alikes keep their own share of multi-page documents, and no more than all of it.
                    if pages > 1 and room_multi <= 0:
                        continue
                else:
                    room_single = wanted - taken - room_multi
                    if (pages > 1 and room_multi <= 0) or (pages == 1 and room_single <= 0):
                        continue
                counts[kind][pages > 1] += 1
                chosen.append((family, seed, kind, pdf, pages))
            if counts[kind][0] + counts[kind][1] >= wanted:
                break
        else:
            raise SystemExit(f"the dev seeds do not hold {wanted} {kind} documents of the shares asked for")
    return chosen


def zipped_documents(files: int, multi_page: float, lookalikes: float) -> tuple[Path, dict]:
    """The ZIP of the chosen documents and a summary of them, from the cache folder when it holds them."""
    key = hashlib.sha256(json.dumps([FORMAT_VERSION, files, multi_page, lookalikes]).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"ip-born-digital-{key}"
    archive, summary_path = folder / "invoices.zip", folder / "summary.json"
    if summary_path.exists():
        return archive, json.loads(summary_path.read_text())
    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    chosen = choose_documents(files, multi_page, lookalikes)
    partial = folder / "invoices.zip.partial"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for family, seed, kind, pdf, pages in chosen:
            zf.writestr(f"{family}/{kind}-{seed:04d}.pdf", pdf)
    partial.replace(archive)
    summary = {
        "files": len(chosen),
        "multi_page": sum(pages > 1 for *_, pages in chosen),
        "lookalikes": sum(kind == "lookalike" for _, _, kind, _, _ in chosen),
        "pages": sum(pages for *_, pages in chosen),
        "by_generator": {f: sum(c[0] == f for c in chosen) for f in GENERATORS},
        "zip_bytes": archive.stat().st_size,
        "generated_in_s": round(time.perf_counter() - started, 1),
    }
    summary_path.write_text(json.dumps(summary))
    return archive, summary


def _post_zip(url: str, archive: Path, max_workers: int) -> tuple[float, dict]:
    started = time.perf_counter()
    with archive.open("rb") as f:
        response = requests.post(
            f"{url}/api/v1/invoices/batch-upload-zip",
            files={"file": (archive.name, f, "application/zip")},
            params={"max_workers": max_workers},
            timeout=3600,
        )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def _warm_up(url: str, folder: Path, max_workers: int) -> None:
    """Two invoices as a batch of their own: the worker processes start on their first file. Not files of
    the measured batch, which would then be recognised as sent before and not read again."""
    small = folder / "warm-up.zip"
    with zipfile.ZipFile(small, "w") as zf:
        for number in (1, 2):
            path = folder / f"warm-up-{number}.pdf"
            pdf_factory.make_text_invoice(path, invoice_number=f"WARM-{number}")
            zf.write(path, path.name)
    _post_zip(url, small, max_workers)


def _cpu_seconds(serve_pid: int, data_dir: str) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each part of the service: the serve process (API and
    runner threads), its document workers (and the forkserver), PostgreSQL, anything else it started."""
    used: dict[str, float] = {}
    try:
        root = psutil.Process(serve_pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return used
    # The embedded PostgreSQL is started detached (it outlives a serve while another process uses it):
    # found by its data directory, under this serve's.
    for process in psutil.process_iter(["cmdline"]):
        if data_dir in " ".join(process.info["cmdline"] or ()) and process.pid not in {p.pid for p in processes}:
            try:
                processes += [process, *process.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
    for process in processes:
        try:
            times = process.cpu_times()
            name = process.name()
            cmdline = " ".join(process.cmdline())
        except psutil.NoSuchProcess:
            continue
        if process.pid == serve_pid:
            role = "serve process (API, runner threads)"
        elif "postgres" in name:
            role = "PostgreSQL"
        elif "multiprocessing" in cmdline or "forkserver" in cmdline:
            role = "document workers"
        else:
            role = f"other ({name})"
        used[role] = used.get(role, 0.0) + times.user + times.system
    return used


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stage_seconds(url: str, body: dict) -> dict[str, list[float]]:
    """Each stage's seconds in each of the batch's jobs (GET /api/v1/jobs/{id} timings)."""
    stages: dict[str, list[float]] = {}
    with requests.Session() as http:
        for job in body["jobs"]:
            timings = http.get(f"{url}/api/v1/jobs/{job['job_id']}", timeout=30).json().get("timings") or {}
            for stage, seconds in timings.items():
                if isinstance(seconds, (int, float)):
                    stages.setdefault(stage, []).append(float(seconds))
    return stages


def run(
    files: int = 1000,
    multi_page: float = 0.2,
    lookalikes: float = 0.1,
    max_workers: int = 4,
    threads: int | None = None,
    profile_dir: Path | None = None,
    stages: bool = True,
    checkout: Path | None = None,
) -> dict:
    """Generates (or finds) the documents, starts a fresh serve, sends them as one ZIP and returns the
    figures: files, files_per_s, seconds, per-file median/p90/max, stage medians, outcome counts, CPU
    milliseconds per file of each part of the service. checkout: serve the code of another checkout
    (an older commit, say) with this one's virtualenv, instead of this one."""
    archive, summary = zipped_documents(files, multi_page, lookalikes)
    with tempfile.TemporaryDirectory(prefix="ip-bd-rate-") as tmp:
        folder = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "S3_BUCKET", "RUNNER_THREADS")}
        checkout = (checkout or ROOT).resolve()
        # `invoice-processor serve`, with the checkout's packages first on the path (ahead of the
        # virtualenv's editable install, which may be another checkout's).
        command = [sys.executable, "-c", "import sys; from invoice_processor.cli import main; sys.exit(main())",
                   "serve", "--port", str(port), "--data-dir", str(folder / "data")]
        env["PYTHONPATH"] = str(checkout)
        if threads is not None:
            command += ["--threads", str(threads)]
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            env["IP_PROFILE_DIR"] = str(profile_dir.resolve())
            profiling = str(ROOT / "benchmarks" / "profiling")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [profiling, env.get("PYTHONPATH")]))
        log = (folder / "serve.log").open("wb")
        serve = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=checkout)
        try:
            wait_healthy(url, serve)
            _warm_up(url, folder, max_workers)
            cpu_before = _cpu_seconds(serve.pid, str(folder / "data"))
            elapsed, body = _post_zip(url, archive, max_workers)
            cpu_after = _cpu_seconds(serve.pid, str(folder / "data"))
            times = [r["processing_time"] for r in body["results"] if r.get("processing_time") is not None]
            figures = {
                "files": body["total_files"],
                "successful": body["successful"],
                "failed": body["failed"],
                "invoices": sum(r.get("document_type") == "invoice" for r in body["results"]),
                "other_documents": sum(r.get("document_type") == "other" for r in body["results"]),
                "seconds": round(elapsed, 2),
                "files_per_s": round(body["total_files"] / elapsed, 1),
                "per_file_median_s": round(statistics.median(times), 4),
                "per_file_p90_s": round(_quantile(times, 0.9), 4),
                "per_file_max_s": round(max(times), 4),
                "cpu_ms_per_file": {
                    role: round((cpu_after[role] - cpu_before.get(role, 0.0)) * 1000 / body["total_files"], 1)
                    for role in sorted(cpu_after)
                },
                "documents": summary,
                "cpus": os.cpu_count(),
                "max_workers": max_workers,
                "threads": threads,
            }
            if stages:
                seconds = sorted(_stage_seconds(url, body).items())
                figures["stage_medians_s"] = {k: round(statistics.median(v), 4) for k, v in seconds}
                # Means add up (a file's stages to its total), and times the file count give the batch's.
                figures["stage_means_s"] = {k: round(sum(v) / body["total_files"], 4) for k, v in seconds}
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(120)
            log.close()
    return figures


def describe(figures: dict) -> str:
    docs = figures["documents"]
    threads = "defaults" if figures["threads"] is None else f"--threads {figures['threads']}"
    lines = [
        f"{figures['cpus']} CPUs; serve {threads}, max_workers={figures['max_workers']}",
        f"documents: {docs['files']} born-digital ({docs['multi_page']} multi-page, {docs['lookalikes']} look-alikes; "
        f"{docs['pages']} pages; {', '.join(f'{k} {v}' for k, v in docs['by_generator'].items())}), "
        f"ZIP {docs['zip_bytes'] / 2**20:.1f} MiB",
        f"batch: {figures['files']} files, {figures['successful']} ok, {figures['failed']} failed "
        f"({figures['invoices']} invoices, {figures['other_documents']} other documents)",
        f"end to end: {figures['seconds']:.2f} s, {figures['files_per_s']:.1f} files/s",
        f"per file: median {figures['per_file_median_s'] * 1000:.1f} ms, "
        f"p90 {figures['per_file_p90_s'] * 1000:.1f} ms, max {figures['per_file_max_s'] * 1000:.0f} ms",
    ]
    cpu = figures["cpu_ms_per_file"]
    lines.append(f"CPU per file: {sum(cpu.values()):.1f} ms in all (" + ", ".join(
        f"{role} {ms:.1f}" for role, ms in cpu.items()) + ")")
    if figures.get("stage_medians_s"):
        lines.append("stage medians (ms): " + ", ".join(
            f"{stage} {seconds * 1000:.1f}" for stage, seconds in figures["stage_medians_s"].items()))
        lines.append("stage means (ms): " + ", ".join(
            f"{stage} {seconds * 1000:.1f}" for stage, seconds in figures["stage_means_s"].items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--multi-page", type=float, default=0.2, help="share of documents with several pages")
    parser.add_argument("--lookalikes", type=float, default=0.1, help="share of documents that are not invoices")
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, help="runner threads (default: serve's, RUNNER_THREADS or 2)")
    parser.add_argument("--rounds", type=int, default=1, help="fresh serves, one after the other")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write a cProfile of each served process")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="also serve another checkout's code, in turn with this one, round after round")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    checkouts = {"this checkout": None, **({f"against {args.against}": args.against} if args.against else {})}
    rounds: dict[str, list[dict]] = {name: [] for name in checkouts}
    for number in range(1, args.rounds + 1):
        for name, checkout in checkouts.items():
            figures = run(args.files, args.multi_page, args.lookalikes, args.max_workers, args.threads,
                          args.profile, checkout=checkout)
            print(f"--- round {number}, {name}\n{describe(figures)}", flush=True)
            rounds[name].append(figures)
    if args.against:
        mine, theirs = rounds.values()
        ratios = [a["files_per_s"] / b["files_per_s"] for a, b in zip(mine, theirs)]
        print("files/s, this checkout / the other, round by round: " + ", ".join(f"{r:.2f}" for r in ratios)
              + f"; median {statistics.median(ratios):.2f}")
    if args.json:
        only = rounds["this checkout"]
        args.json.write_text(json.dumps(only[0] if len(checkouts) == 1 and len(only) == 1 else rounds, indent=2))


if __name__ == "__main__":
    main()
