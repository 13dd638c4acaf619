"""Where a scanned page's time goes: each stage of reading dev scans (render, language probe, layout,
OSD, upright/deskew, cleanup, Tesseract, extraction), for this checkout and, side by side, for another
copy of the code (e.g. the commit before a change: `git archive <commit> | tar -x -C /tmp/before`).

    .venv/bin/python benchmarks/ocr_stages.py [--count 4] [--rounds 2] [--compare /tmp/before]

`count` dev scans of each synthetic generator (seeds 0.., real-world damage; one or two pages) are read
by invoice_reader.process_document (OCR_LANGUAGES=auto, 300 DPI; extraction is its _understand, other
is the rest: opening the PDF, its text layer, OCR's own bookkeeping), one page at a time (OCR_MAX_WORKERS=1, so that the stages add up to the wall time), in a fresh process
per code copy and round; the copies take turns, the order
flipping each round. Stages are timed by wrapping the reader's functions, so both copies are timed
the same way whatever their code; a stage called inside another counts for the outer one only.
Each process reads its first document once untimed (imports, models loaded). Prints seconds per
page per stage, each stage's share, and the ratio of the totals.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("render", "probe", "layout", "osd", "upright", "cleanup", "recognise", "extraction", "other")


def make_scans(count: int, folder: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from benchmarks.training import GENERATORS

    paths = []
    for name, module in GENERATORS.items():
        generator = importlib.import_module(module)
        for seed in range(count):
            pdf, _ = generator.make_document(seed, "scanned")
            path = folder / f"{name}-{seed}.pdf"
            path.write_bytes(pdf)
            paths.append(path)
    return paths


def measure(code_root: str, paths: list[str]) -> dict:
    """Runs in a child process whose sys.path starts with code_root: seconds per stage, summed over
    the pages, and the pages' word count (a check that both copies read the same)."""
    sys.path.insert(0, code_root)
    import invoice_reader
    from invoice_reader import ReadOptions, ocr, ocr_engine, process_document
    from invoice_reader.pdf_text import PdfFile

    seconds = dict.fromkeys(STAGES, 0.0)
    inside = threading.local()

    def timed(stage, function):
        def wrapper(*args, **kwargs):
            if getattr(inside, "stage", None) is not None:
                return function(*args, **kwargs)
            inside.stage = stage
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - started
                inside.stage = None

        return wrapper

    PdfFile.render_page = timed("render", PdfFile.render_page)
    ocr.probe_languages = timed("probe", ocr.probe_languages)
    ocr.measure_layout = timed("layout", ocr.measure_layout)
    ocr._osd_rotate = timed("osd", ocr._osd_rotate)
    for module in (ocr, ocr_engine):
        module.turn_upright = timed("upright", module.turn_upright)
        module.deskew = timed("upright", module.deskew)
    ocr_engine.despeckle = timed("cleanup", ocr_engine.despeckle)
    ocr_engine.remove_rules = timed("cleanup", ocr_engine.remove_rules)
    ocr.TesseractEngine.read = timed("recognise", ocr.TesseractEngine.read)
    invoice_reader._understand = timed("extraction", invoice_reader._understand)

    ocr.OCR_MAX_WORKERS = 1
    options = ReadOptions(ocr_languages="auto", dpi=300)

    def read(path: str) -> int:
        started = time.perf_counter()
        before = sum(seconds.values())
        result = process_document(Path(path), options)
        seconds["other"] += time.perf_counter() - started - (sum(seconds.values()) - before)
        return len(result.text.split()), len(result.ocr_pages)

    read(paths[0])
    seconds.update(dict.fromkeys(STAGES, 0.0))
    started = time.perf_counter()
    words, pages = zip(*(read(path) for path in paths), strict=True)
    return {"seconds": seconds, "wall": time.perf_counter() - started, "words": words, "pages": sum(pages)}


def run_child(code_root: str, paths: list[Path]) -> dict:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", code_root, *map(str, paths)],
        env=env, check=True, capture_output=True, text=True, cwd=code_root,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=4, help="scans per synthetic generator")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", help="another copy of the code, timed in turn with this one")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1:])))
        return
    copies = {"this": str(ROOT)}
    if args.compare:
        copies = {"compare": str(Path(args.compare).resolve()), **copies}
    with tempfile.TemporaryDirectory(prefix="ocr-stages-") as tmp:
        paths = make_scans(args.count, Path(tmp))
        runs: dict[str, list[dict]] = {name: [] for name in copies}
        for round_ in range(args.rounds):
            order = list(copies) if round_ % 2 == 0 else list(reversed(copies))
            for name in order:
                runs[name].append(run_child(copies[name], paths))
    pages = runs["this"][0]["pages"]
    print(f"{len(paths)} dev scans ({pages} pages), {args.rounds} rounds, copies taking turns; seconds per page")
    print(f"{'stage':<11}" + "".join(f"{name:>20}" for name in copies))
    totals = {}
    for name in copies:
        totals[name] = statistics.mean(sum(r["seconds"].values()) for r in runs[name]) / pages
    for stage in STAGES:
        row = f"{stage:<11}"
        for name in copies:
            value = statistics.mean(r["seconds"][stage] for r in runs[name]) / pages
            row += f"{value:>11.3f} ({value / totals[name]:>5.1%})"
        print(row)
    print(f"{'total':<11}" + "".join(f"{totals[name]:>11.3f} {'':>8}" for name in copies))
    if args.compare:
        print(f"ratio this / compare (total seconds per page): {totals['this'] / totals['compare']:.2f}")
        same = all(r["words"] == runs["compare"][0]["words"] for name in copies for r in runs[name])
        print(f"same word counts on every page in every run: {same}")


if __name__ == "__main__":
    main()
