"""Memory of a runner, measured: `invoice-processor runner --worker` with 1, 2 and 4 threads reads the same
mix of born-digital and scanned invoices (and, with --pages N [N ...], one N-page born-digital PDF of each
size on its own: memory that stays flat as N grows),
while this script samples every process of the runner's tree (the runner, its document workers, their
forkserver, the Tesseract processes) every 0.1 s. Memory is PSS (proportional set size: a page shared by
k processes counts 1/k in each), so the sum over the tree is what the pod uses, without counting the
forkserver's shared pages once per worker.

    .venv/bin/python benchmarks/runner_memory.py [--threads 1 2 4] [--files 8] [--pages 10 1000] [--json PATH]

Runs on an embedded PostgreSQL and a folder store in a temporary folder. Prints a table; asserts
nothing. The Florence-2 model is not loaded (no weights here)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.queue_throughput import database  # noqa: E402
from invoice_processor.db import Batch, Job, make_engine, make_sessionmaker  # noqa: E402
from invoice_processor.queue import JobQueue, NewFile  # noqa: E402
from invoice_processor.storage import FolderStore  # noqa: E402
from tests import pdf_factory  # noqa: E402

CLI = str(Path(sys.executable).with_name("invoice-processor"))
MIB = 1024 * 1024


def role(process: psutil.Process, runner_pid: int) -> str:
    if process.pid == runner_pid:
        return "runner"
    name = process.name()
    if "tesseract" in name:
        return "tesseract"
    return "worker"


class Sampler:
    """Samples the PSS of a process tree every interval_s until stop(); keeps the peak of the whole tree and
    the peak of one process of each role."""

    def __init__(self, pid: int, interval_s: float = 0.1):
        self.pid = pid
        self.interval_s = interval_s
        self.peak_total = 0
        self.peak_one: dict[str, int] = defaultdict(int)
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        root = psutil.Process(self.pid)
        while not self._stop.wait(self.interval_s):
            total, count = 0, 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in tree:
                try:
                    pss = process.memory_full_info().pss
                    kind = role(process, self.pid)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += pss
                count += 1
                self.peak_one[kind] = max(self.peak_one[kind], pss)
            self.peak_total = max(self.peak_total, total)
            self.most_processes = max(self.most_processes, count)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run(url: str, store: FolderStore, data_dir: Path, threads: int, keys: list[str]) -> dict:
    """One runner of `threads` threads reads the files at `keys` (one batch); returns its memory figures."""
    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir), "RUNNER_THREADS": str(threads),
           "POLL_INTERVAL_S": "0.2"}
    env.pop("S3_BUCKET", None)
    log_path = data_dir / f"runner-{threads}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([CLI, "runner", "--worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while "started with" not in log_path.read_text():
            if proc.poll() is not None:
                sys.exit(f"runner did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        time.sleep(1.0)
        idle = psutil.Process(proc.pid).memory_full_info().pss
        sampler = Sampler(proc.pid)
        batch_id = uuid.uuid4()
        files = [NewFile(Path(key).name, key, store.size(key) or 0) for key in keys]
        JobQueue(sessions).enqueue_batch(batch_id, files, max_workers=threads, source="upload")
        started = time.monotonic()
        while True:
            with sessions() as session:
                batch = session.get(Batch, batch_id)
                if batch.status == "completed":
                    break
            time.sleep(0.2)
        seconds = time.monotonic() - started
        sampler.stop()
        with sessions() as session:
            ok = session.scalar(
                select(func.count()).where(Job.batch_id == batch_id, Job.state == "succeeded")
            )
        return {
            "idle": idle, "peak": sampler.peak_total, "one": dict(sampler.peak_one),
            "processes": sampler.most_processes, "seconds": seconds, "ok": ok,
        }
    finally:
        proc.terminate()
        proc.wait(60)
        engine.dispose()


def make_files(store: FolderStore, folder: Path, count: int, run: int) -> list[str]:
    """count born-digital and count scanned invoices, stored; returns their keys."""
    keys = []
    for i in range(count):
        for kind, make in (("text", pdf_factory.make_text_invoice), ("scan", pdf_factory.make_scanned_invoice)):
            path = folder / f"{run}-{kind}-{i:02d}.pdf"
            make(path, invoice_number=f"M-{run}-{i:04d}", language="fr" if i % 2 else "en")
            key = f"bench/{path.name}"
            with path.open("rb") as f:
                store.put(key, f)
            keys.append(key)
    return keys


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--files", type=int, default=8, help="of each kind, born-digital and scanned")
    parser.add_argument("--pages", type=int, nargs="*", default=[], help="also read one born-digital PDF of each size")
    parser.add_argument("--json", type=Path, help="also write the figures here (MiB)")
    args = parser.parse_args(argv)
    figures: dict = {"threads": {}, "pages": {}}

    work = Path(tempfile.mkdtemp(prefix="ip-bench-mem-"))
    store = FolderStore(work / "objects")
    sources = work / "sources"
    sources.mkdir()
    print(f"{os.cpu_count()} CPUs; {2 * args.files} files a run ({args.files} born-digital, {args.files} scanned, "
          "one page each; other invoice numbers in each run, so that no run finds copies of an earlier one's)")
    print(f"{'threads':>7} {'idle MiB':>8} {'peak MiB':>8} {'runner':>7} {'1 worker':>8} {'tesseract':>9} "
          f"{'processes':>9} {'seconds':>7} {'ok':>3}")
    with database() as url:
        for threads in args.threads:
            keys = make_files(store, sources, args.files, run=threads)
            r = run(url, store, work, threads, keys)
            print(
                f"{threads:>7} {r['idle'] / MIB:>8.0f} {r['peak'] / MIB:>8.0f} {r['one'].get('runner', 0) / MIB:>7.0f} "
                f"{r['one'].get('worker', 0) / MIB:>8.0f} {r['one'].get('tesseract', 0) / MIB:>9.0f} "
                f"{r['processes']:>9} {r['seconds']:>7.1f} {r['ok']:>3}",
                flush=True,
            )
            figures["threads"][threads] = in_mib(r)
        if args.pages:
            print()
        for pages in args.pages:
            path = sources / f"pages-{pages}.pdf"
            pdf_factory.make_many_pages_pdf(path, pages)
            with path.open("rb") as f:
                store.put(f"bench/{path.name}", f)
            r = run(url, store, work, 1, [f"bench/{path.name}"])
            figures["pages"][pages] = in_mib(r)
            print(
                f"one {pages}-page PDF (a line of text a page), 1 thread: peak {r['peak'] / MIB:.0f} MiB (runner "
                f"{r['one'].get('runner', 0) / MIB:.0f}, worker {r['one'].get('worker', 0) / MIB:.0f}), "
                f"{r['seconds']:.1f} s, {'read' if r['ok'] else 'failed'}"
            )
    print(f"\nlogs and files: {work}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


def in_mib(r: dict) -> dict:
    return {
        "idle_mib": round(r["idle"] / MIB), "peak_mib": round(r["peak"] / MIB),
        "peak_one_mib": {kind: round(value / MIB) for kind, value in r["one"].items()},
        "processes": r["processes"], "seconds": round(r["seconds"], 2), "succeeded": r["ok"],
    }


if __name__ == "__main__":
    main()
