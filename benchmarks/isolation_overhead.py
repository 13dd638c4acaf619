"""What reading each file in a worker process (job_runner/isolation.py) costs on born-digital
invoices, where it weighs most: the same 20 one-page invoices, each read with process_document in
this process and through DocumentWorkers (one warm worker), alternately, so that a change in the
machine's load during the run weighs on both alike.

    .venv/bin/python benchmarks/isolation_overhead.py [--files 20] [--rounds 5]

Prints the median and mean seconds per file both ways, their ratio and difference, and the time
the first call takes (starting the forkserver and the worker), which a runner pays once per
thread."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from job_runner.isolation import DocumentWorkers  # noqa: E402
from invoice_reader import process_document  # noqa: E402
from tests import pdf_factory  # noqa: E402


def seconds(read, path: Path) -> float:
    started = time.perf_counter()
    read(path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="times each file is read each way")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="isolation-overhead-") as tmp:
        paths = []
        for i in range(args.files):
            path = Path(tmp) / f"text-{i:02d}.pdf"
            pdf_factory.make_text_invoice(path, invoice_number=f"B-{i:04d}", language="fr" if i % 2 else "en")
            paths.append(path)

        workers = DocumentWorkers(timeout_s=60)
        try:
            first_call = seconds(lambda path: workers.process(path, {}, lambda: None), paths[0])
            process_document(paths[0])  # warm this process's imports and caches as the worker's are
            in_process, isolated = [], []
            for _ in range(args.rounds):
                for path in paths:
                    in_process.append(seconds(process_document, path))
                    isolated.append(seconds(lambda path: workers.process(path, {}, lambda: None), path))
        finally:
            workers.close()

    print(f"{args.files} born-digital invoices x {args.rounds} rounds, one file at a time, both ways alternately")
    print(f"first call through the workers (forkserver + worker start): {first_call:.3f} s")
    for name, times in (("in process", in_process), ("worker process", isolated)):
        median, mean = statistics.median(times) * 1000, statistics.mean(times) * 1000
        print(f"{name:>15}: median {median:.1f} ms, mean {mean:.1f} ms")
    ratio = statistics.median(isolated) / statistics.median(in_process)
    extra = (statistics.median(isolated) - statistics.median(in_process)) * 1000
    print(f"ratio (medians): {ratio:.2f}x, {extra:+.1f} ms per file")


if __name__ == "__main__":
    main()
