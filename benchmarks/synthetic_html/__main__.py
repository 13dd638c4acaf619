"""Write HTML-family documents and their labels to a folder, and say how fast that went.

    .venv/bin/python -m benchmarks.synthetic_html --kind invoice --count 200 [--start 0] [--out DIR]
        [--workers 1] [--html]

Each worker process keeps one headless Chromium open for all its documents.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.synthetic_html import KINDS, make_document, make_html


def _one(seed: int, kind: str, out: str | None, html: bool) -> tuple[int, float, int]:
    start = time.perf_counter()
    pdf, labels = make_document(seed, kind)
    seconds = time.perf_counter() - start
    if out:
        stem = Path(out) / f"{kind}-{seed:06d}"
        stem.with_suffix(".pdf").write_bytes(pdf)
        stem.with_suffix(".json").write_text(json.dumps(labels, ensure_ascii=False, indent=1))
        if html:
            stem.with_suffix(".html").write_text(make_html(seed, kind)[0])
    return seed, seconds, labels.get("pages", 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=KINDS, default="invoice")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--out", help="folder for the PDFs and labels (none: generate and time only)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--html", action="store_true", help="also write the HTML")
    args = parser.parse_args(argv)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    seeds = range(args.start, args.start + args.count)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(
            pool.map(_one, seeds, [args.kind] * len(seeds), [args.out] * len(seeds), [args.html] * len(seeds))
        )
    wall = time.perf_counter() - started
    per_doc = sorted(s for _, s, _ in results)
    pages = sum(p for _, _, p in results)
    print(
        f"{len(results)} {args.kind} documents ({pages} pages) in {wall:.1f} s with {args.workers} worker(s): "
        f"{len(results) / wall:.1f} documents/s; per document median {per_doc[len(per_doc) // 2]:.2f} s, "
        f"first {results[0][1]:.2f} s (starts Chromium), max {per_doc[-1]:.2f} s"
    )


if __name__ == "__main__":
    main()
