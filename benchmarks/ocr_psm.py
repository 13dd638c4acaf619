"""Which Tesseract page segmentation mode (psm) and clean-up read our scanned invoices best:
word recall against the printed text, and seconds per page, for psm 3, 4, 6 and 11 with each
clean-up; then, side by side on the same pages, the pipeline's OCR before this change (bare
Tesseract, default psm 3) and now (read_page_image: measure, OSD when needed, deskew, psm 6),
on the pages upright and upside down.

    .venv/bin/python benchmarks/ocr_psm.py [--seeds 6] [--rows 8] [--psms 3 4 6 11] [--repeat 2]

Pages come from tests/pdf_factory.make_scanned_invoice: one per seed, English and French in
turn, each with a table of --rows line items and a skew of its own. The printed words are the
text layer of the same invoice made born-digital. Recall counts each printed word once."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from PIL import ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from invoice_reader.ocr import read_page_image, read_words  # noqa: E402
from invoice_reader.pdf_text import PdfFile  # noqa: E402
from invoice_reader.scan_cleanup import deskew, measure_layout  # noqa: E402
from tests import pdf_factory  # noqa: E402

DPI = 300
LANGUAGES = "fra+eng"
SKEWS_DEG = (0.4, -1.5, 2.5, -3.5, 1.0, -0.8)
ITEMS = (
    "Consulting day", "Licence renewal", "Server rack rental", "Cable kit", "On-site support",
    "Data migration", "Annual maintenance", "Laptop stand", "Printer toner", "Travel expenses",
    "Security audit", "Backup storage 1 TB", "Design review", "Workshop catering", "Express shipping",
)
CLEANUPS = {
    "none": lambda image, layout: image,
    "deskew": lambda image, layout: deskew(image, layout.skew_deg(0)),
    # A 3x3 median removes isolated specks; strokes at 300 DPI are thicker and survive.
    "deskew+despeckle": lambda image, layout: deskew(image, layout.skew_deg(0)).filter(ImageFilter.MedianFilter(3)),
}


def make_pages(folder: Path, seeds: int, rows: int) -> list[tuple[str, list[str], object]]:
    """(label, printed words, scanned page image) per seed."""
    pages = []
    for seed in range(1, seeds + 1):
        rng = random.Random(seed)
        lines = [
            pdf_factory.InvoiceLine(
                rng.choice(ITEMS), Decimal(rng.randint(1, 24)), Decimal(rng.randint(500, 250000)) / 100
            )
            for _ in range(rows)
        ]
        fields = dict(invoice_number=f"F-{seed:04d}-{rng.randint(100, 999)}", lines=lines,
                      language="fr" if seed % 2 == 0 else "en")
        skew = SKEWS_DEG[(seed - 1) % len(SKEWS_DEG)]
        text_path, scan_path = folder / f"text-{seed}.pdf", folder / f"scan-{seed}.pdf"
        pdf_factory.make_text_invoice(text_path, **fields)
        pdf_factory.make_scanned_invoice(scan_path, seed=seed, rotation_deg=skew, **fields)
        with PdfFile.open(text_path) as pdf:
            printed = [w.text for line in pdf.read_text_layer()[0].lines for w in line.words]
        with PdfFile.open(scan_path) as pdf:
            image = pdf.render_page(0, DPI)
        pages.append((f"seed {seed} {fields['language']} skew {skew:+.1f}°", printed, image))
    return pages


def recall(printed: list[str], read: list[str]) -> float:
    want, got = Counter(printed), Counter(read)
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--psms", type=int, nargs="+", default=[3, 4, 6, 11])
    parser.add_argument("--repeat", type=int, default=2, help="before/after runs per page; the fastest counts")
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"

    with tempfile.TemporaryDirectory() as tmp:
        pages = make_pages(Path(tmp), args.seeds, args.rows)
    print(f"{len(pages)} scanned pages, {args.rows} table rows each, {DPI} DPI, lang {LANGUAGES}, one thread")
    layouts, measure_s = [], []
    for label, printed, image in pages:
        start = time.perf_counter()
        layouts.append(measure_layout(image, DPI))
        measure_s.append(time.perf_counter() - start)
        print(f"  {label}: {len(printed)} printed words; measured skew {layouts[-1].skew_deg(0):+.1f}° "
              f"in {measure_s[-1] * 1000:.0f} ms")

    print(f"\n{'clean-up':<18} {'psm':>3} {'recall':>7} {'min':>6} {'s/page':>7}")
    for name, clean in CLEANUPS.items():
        for psm in args.psms:
            recalls, seconds = [], []
            for (_, printed, image), layout in zip(pages, layouts, strict=True):
                start = time.perf_counter()
                words, _ = read_words(clean(image, layout), 0, LANGUAGES, DPI, psm, 300)
                seconds.append(time.perf_counter() - start)
                recalls.append(recall(printed, [w.text for w in words]))
            print(f"{name:<18} {psm:>3} {statistics.mean(recalls):>7.1%} {min(recalls):>6.1%} "
                  f"{statistics.mean(seconds):>7.2f}")

    print(f"\nbefore (bare Tesseract, psm 3) vs now (read_page_image), interleaved, fastest of {args.repeat}")
    for turned in (0, 180):
        before, now = Counter(), Counter()
        for _, printed, image in pages:
            page_image = image.rotate(turned) if turned else image
            best_before = best_now = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                words, _ = read_words(page_image, 0, LANGUAGES, DPI, 3, 300)
                best_before = min(best_before, time.perf_counter() - start)
                start = time.perf_counter()
                read = read_page_image(page_image, 0, LANGUAGES, DPI, 300)
                best_now = min(best_now, time.perf_counter() - start)
            before.update(s=best_before, recall=recall(printed, [w.text for w in words]))
            now.update(s=best_now, recall=recall(printed, [w.text for line in read.page.lines for w in line.words]))
        n = len(pages)
        print(f"  page turned {turned:>3}°: before {before['s'] / n:.2f} s/page, recall {before['recall'] / n:.1%}; "
              f"now {now['s'] / n:.2f} s/page, recall {now['recall'] / n:.1%}")


if __name__ == "__main__":
    main()
