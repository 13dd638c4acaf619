"""What cleaning a scanned page before OCR costs: the page despeckled and its rules removed
(scan_cleanup.despeckle, remove_rules) against the page read as rendered, side by side.

    .venv/bin/python benchmarks/ocr_cleanup.py [--count 5] [--rounds 2] [--languages eng]

The first page of `count` dev scans of each synthetic generator (seeds 0.., real-world damage) is
rendered at 300 DPI once, then read with invoice_reader.ocr.read_page_image both ways, in turn, for
`rounds` rounds (the order flips each round). Prints the median, mean and max seconds per page each way
and the ratio of the totals. What the cleaning does to accuracy is measured by benchmarks/evaluate.py.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.training import GENERATORS  # noqa: E402
from invoice_reader import ocr, ocr_engine, scan_cleanup  # noqa: E402
from invoice_reader.pdf_text import PdfFile  # noqa: E402

DPI = 300


def scanned_pages(count: int) -> list:
    images = []
    for module in GENERATORS.values():
        generator = importlib.import_module(module)
        for seed in range(count):
            pdf, _ = generator.make_document(seed, "scanned")
            with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
                file.write(pdf)
                file.flush()
                with PdfFile.open(Path(file.name)) as document:
                    images.append(document.render_page(0, DPI))
    return images


def set_cleaning(on: bool) -> None:
    ocr_engine.despeckle = scan_cleanup.despeckle if on else (lambda image: image)
    ocr_engine.remove_rules = scan_cleanup.remove_rules if on else (lambda image, dpi: image)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5, help="scans per synthetic generator")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--languages", default="eng")
    args = parser.parse_args(argv)
    images = scanned_pages(args.count)
    seconds: dict[bool, list[float]] = {True: [], False: []}
    try:
        for round_ in range(args.rounds):
            for image in images:
                for on in (True, False) if round_ % 2 == 0 else (False, True):
                    set_cleaning(on)
                    start = time.perf_counter()
                    ocr.read_page_image(image, 0, args.languages, DPI, ocr.OCR_PAGE_TIMEOUT_S)
                    seconds[on].append(time.perf_counter() - start)
    finally:
        set_cleaning(True)
    print(f"{len(images)} scanned pages, {args.rounds} rounds, languages {args.languages}")
    for on, name in ((False, "as rendered"), (True, "cleaned")):
        t = seconds[on]
        print(f"{name:20}: median {statistics.median(t):.2f} s, mean {statistics.mean(t):.2f} s, max {max(t):.2f} s per page")
    print(f"ratio cleaned / as rendered (totals): {sum(seconds[True]) / sum(seconds[False]):.2f}")


if __name__ == "__main__":
    main()
