"""How long the reader takes per born-digital page: the whole process_document call, and its
understanding stages alone (classify + extract + validate, from the result's timings).

    .venv/bin/python benchmarks/reader_speed.py [--count 20] [--rounds 3] [--against /path/to/other/checkout]

Generates `count` born-digital invoices of each synthetic family (dev seeds), reads each once to warm
up, then times `rounds` readings of every document. With --against, the same documents are read in
turn by this checkout and the other one (each in its own process, round after round, so that both see
the same machine load) and the ratio of their medians is printed: the figure to quote, since absolute
times drift with the machine. The other checkout may be an older commit (git worktree or git archive);
one from before invoice_reader/ existed is read through job_runner.pipeline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNDERSTANDING = ("classify", "extract", "validate")


def make_documents(folder: Path, count: int) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from benchmarks import synthetic, synthetic_html

    paths = []
    for seed in range(count):
        for name, module in (("reportlab", synthetic), ("html", synthetic_html)):
            path = folder / f"{name}-{seed}.pdf"
            path.write_bytes(module.make_document(seed)[0])
            paths.append(path)
    return paths


def _measure(paths: list[str], rounds: int) -> dict[str, list[float]]:
    """Run in the checkout being measured (its root first on sys.path)."""
    try:
        from invoice_reader import process_document
    except ModuleNotFoundError:  # a checkout from before the reader was its own package
        from job_runner.pipeline import process_document
    try:
        from invoice_reader import amounts
    except ModuleNotFoundError:
        amounts = None

    def forget() -> None:  # each reading starts cold, as a new document would
        for name in ("find_numbers", "find_dates"):
            cache_clear = getattr(getattr(amounts, name, None), "cache_clear", None)
            if cache_clear:
                cache_clear()

    for path in paths:
        process_document(Path(path))
    whole, understanding = [], []
    for _ in range(rounds):
        for path in paths:
            forget()
            start = time.perf_counter()
            result = process_document(Path(path))
            elapsed = time.perf_counter() - start
            whole.append(elapsed / result.page_count)
            understanding.append(sum(result.timings.get(s, 0.0) for s in UNDERSTANDING) / result.page_count)
    return {"whole": whole, "understanding": understanding}


def measure_in(root: Path, paths: list[Path], rounds: int) -> dict[str, list[float]]:
    """_measure in a fresh process that imports the reader from root."""
    code = (  # this file is run by path: the other checkout's benchmarks/ may not have it
        f"import json, runpy, sys; sys.path.insert(0, {str(root)!r}); "
        f"measure = runpy.run_path({__file__!r})['_measure']; "
        f"print(json.dumps(measure({[str(p) for p in paths]!r}, {rounds})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(name: str, values: list[float]) -> str:
    return f"| {name} | {len(values)} | {statistics.median(values) * 1000:.1f} ms | {max(values) * 1000:.1f} ms |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="born-digital invoices per family")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout to compare with, side by side")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        paths = make_documents(Path(folder), args.count)
        roots = {"this checkout": ROOT}
        if args.against:
            roots[f"{args.against}"] = args.against.resolve()
        figures: dict[str, dict[str, list[float]]] = {name: {"whole": [], "understanding": []} for name in roots}
        for _ in range(args.rounds):  # in turn, so that a change in machine load hits both alike
            for name, root in roots.items():
                measured = measure_in(root, paths, 1)
                for key, values in measured.items():
                    figures[name][key] += values

    print(f"{len(paths)} born-digital documents (reportlab and html, dev seeds 0..{args.count - 1}), {args.rounds} rounds")
    print("| reader | pages | median | max |")
    print("|---|---|---|---|")
    for name, measured in figures.items():
        print(_row(f"{name}: whole process_document", measured["whole"]))
        print(_row(f"{name}: understanding (classify + extract + validate)", measured["understanding"]))
    if args.against:
        this, other = figures["this checkout"], figures[str(args.against)]
        for key in ("whole", "understanding"):
            ratio = statistics.median(this[key]) / statistics.median(other[key])
            print(f"{key}: this checkout's median is {ratio:.2f} x the other's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
