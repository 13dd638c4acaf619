"""How often VLM_MODE=fallback would send a document to Florence-2, and how much it would send, on the
evaluation set of benchmarks/evaluate.py (seeded synthetic documents and the corpus in ../shared/corpus).

    .venv/bin/python benchmarks/vlm_triggers.py [--seeds held-out] [--count 150] [--scanned-count 48]
        [--lookalike-count 48] [--no-corpus] [--workers 2]

Each document is read by process_document in fallback mode with a stand-in reader that records the images it
is given and reads nothing (no model weights exist here), so the results are the OCR path's, and what is
counted is exactly what the real model would have been asked: which documents, for which reasons, how many
whole pages and how many bands. Corpus e-invoices are read with their XML on, as the runner reads them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.evaluate import (
    DEFAULT_COUNT,
    DEFAULT_LOOKALIKES,
    DEFAULT_OCR_LANGUAGES,
    DEFAULT_SCANNED,
    DEFAULT_WORKERS,
    SEED_RANGES,
    load_corpus,
    seed_list,
)
from benchmarks.synthetic import make_document


class ReadsNothing:
    """A stand-in for the model: answers every image with no text, and counts the images by token budget."""

    def __init__(self):
        self.images: Counter[int] = Counter()

    def ocr_with_region(self, images, max_new_tokens=1024):
        from invoice_reader.vlm import VlmPage

        self.images[max_new_tokens] += len(images)
        return [VlmPage([], "", 0.0, len(images)) for _ in images]


def read(path: Path) -> dict:
    from invoice_reader import DocumentError, ReadOptions, process_document
    from invoice_reader.vlm_stage import PAGE_TOKENS

    reader = ReadsNothing()
    try:
        result = process_document(path, ReadOptions(ocr_languages=DEFAULT_OCR_LANGUAGES, vlm_mode="fallback"), vlm=reader)
    except DocumentError as e:
        return {"error": str(e)}
    return {
        "pages": result.page_count,
        "ocr_pages": len(result.ocr_pages),
        "reasons": result.vlm["reasons"] if result.vlm else [],
        "whole_pages": reader.images[PAGE_TOKENS],
        "bands": sum(count for tokens, count in reader.images.items() if tokens != PAGE_TOKENS),
    }


def run_synthetic(seed: int, kind: str) -> tuple[str, dict]:
    pdf, labels = make_document(seed, kind)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}-{seed}.pdf"
        path.write_bytes(pdf)
        return kind, read(path)


def run_corpus(path: str) -> tuple[str, dict]:
    return "corpus", read(Path(path))


def table(results: list[tuple[str, dict]]) -> str:
    names = {"scanned": "synthetic scanned", "invoice": "synthetic born-digital", "lookalike": "look-alikes",
             "corpus": "corpus PDFs"}  # fmt: skip
    out = [
        "| documents | n | with OCR pages | sent to the model | whole pages | bands | reasons |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in ("scanned", "invoice", "lookalike", "corpus"):
        rows = [row for k, row in results if k == kind and "error" not in row]
        if not rows:
            continue
        sent = [row for row in rows if row["reasons"]]
        reasons = Counter(reason for row in sent for reason in row["reasons"])
        out.append(
            f"| {names[kind]} | {len(rows)} | {sum(row['ocr_pages'] > 0 for row in rows)} | "
            f"{len(sent)} ({100 * len(sent) / len(rows):.0f} %) | {sum(row['whole_pages'] for row in rows)} | "
            f"{sum(row['bands'] for row in rows)} | "
            + (", ".join(f"{reason} {count}" for reason, count in reasons.most_common()) or "—")
            + " |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", choices=sorted(SEED_RANGES), default="held-out")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="born-digital invoices")
    parser.add_argument("--scanned-count", type=int, default=DEFAULT_SCANNED)
    parser.add_argument("--lookalike-count", type=int, default=DEFAULT_LOOKALIKES)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"

    started = time.perf_counter()
    jobs = [(s, "scanned") for s in seed_list(args.seeds, args.scanned_count)]
    jobs += [(s, "invoice") for s in seed_list(args.seeds, args.count)]
    jobs += [(s, "lookalike") for s in seed_list(args.seeds, args.lookalike_count)]
    corpus = [] if args.no_corpus else [row["path"] for row in load_corpus() if row["path"].endswith(".pdf")]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run_synthetic, seed, kind) for seed, kind in jobs]
        futures += [pool.submit(run_corpus, path) for path in corpus]
        results = [future.result() for future in futures]
    print(f"VLM_MODE=fallback on the {args.seeds} seeds and the corpus ({time.perf_counter() - started:.0f} s):\n")
    print(table(results))
    errors = sum("error" in row for _, row in results)
    if errors:
        print(f"\n{errors} documents were refused by the pipeline (not counted).")


if __name__ == "__main__":
    main()
