"""Build the reader's model files from labelled documents, with one command.

    .venv/bin/python benchmarks/train.py [--families reportlab,html] [--leave-out LAYOUT]
        [--invoices 240 --scans 40 --others 80] [--out invoice_reader/models] [--workers 2]

Reads training-seed documents (10000..) of each family and the dev half of the real corpus
(benchmarks/training.py caches their pages), asks each trainer module for its examples (a model name, a candidate's features, whether it is right),
fits one logistic model per name and writes invoice_reader/models/<name>.json. Held-out seeds are
never read here. --leave-out drops one layout family (e.g. 'classic' or 'html-utility') or a whole
generator ('html') from training, for the evaluation's leave-one-family-out figures.

A trainer module exposes MODELS (the model names it fills) and examples(document) yielding
(model name, features, 0 or 1); it must compute the features with the same invoice_reader
functions that score them at run time. It may also expose examples_of_all(documents), yielding
the same triples from all the documents at once: for models whose features are other models'
scores, made by cross-fitting (benchmarks/train_totals.py). And calibrate(model, documents), returning
what to add to a fitted model's info before it is written (a decision threshold chosen on the
training documents: benchmarks/train_fields.py). --trainers fits only the models of the modules named.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.training import GENERATORS, corpus_documents, document_specs, fit_logistic, read_documents  # noqa: E402
from invoice_reader.learned import MODELS_DIR, LinearModel  # noqa: E402

TRAINERS = ("benchmarks.train_classifier", "benchmarks.train_fields", "benchmarks.train_parties",
            "benchmarks.train_vat_ids", "benchmarks.train_lines", "benchmarks.train_totals")
"""Trainer modules; those not written yet are skipped with a line saying so."""


def trainers(names: tuple[str, ...] = TRAINERS) -> list:
    found = []
    for name in names:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            print(f"skipped {name}: not there", file=sys.stderr)
    return found


def train(documents, modules, out: Path, l2: float = 1.0, info: dict | None = None) -> list[dict]:
    """Fit and write every model the modules fill; returns one summary row per model."""
    rows: dict[str, list[dict]] = defaultdict(list)
    targets: dict[str, list[int]] = defaultdict(list)
    for module in modules:
        for document in documents:
            if document.error:
                continue
            for model, features, target in module.examples(document):
                rows[model].append(features)
                targets[model].append(target)
        if hasattr(module, "examples_of_all"):
            for model, features, target in module.examples_of_all([d for d in documents if not d.error]):
                rows[model].append(features)
                targets[model].append(target)
    summary = []
    for model in sorted(rows):
        start = time.perf_counter()
        weights, bias = fit_logistic(rows[model], targets[model], l2=l2)
        fitted = LinearModel(model, weights, bias, {**(info or {}), "examples": len(rows[model]),
                                                     "positives": sum(targets[model])})
        owner = next((m for m in modules if model in getattr(m, "MODELS", ())), None)
        if hasattr(owner, "calibrate"):
            fitted.info.update(owner.calibrate(fitted, [d for d in documents if not d.error]))
        right = sum((fitted.score(r) >= 0.5) == bool(t) for r, t in zip(rows[model], targets[model]))
        path = fitted.save(out)
        summary.append({
            "model": model,
            "examples": len(rows[model]),
            "positives": sum(targets[model]),
            "features": len(weights),
            "training_accuracy": right / len(rows[model]),
            "fit_s": time.perf_counter() - start,
            "bytes": path.stat().st_size,
        })
    return summary


def _available(family: str) -> bool:
    try:
        importlib.import_module(GENERATORS[family])
    except ModuleNotFoundError as e:
        print(f"skipped family {family}: {e}", file=sys.stderr)
        return False
    return True


def select(documents, leave_out: str | None):
    if not leave_out:
        return documents
    return [d for d in documents if leave_out not in (d.spec.family, d.layout)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(GENERATORS), help="generators to train on")
    parser.add_argument("--leave-out", help="a layout family or generator left out of training")
    parser.add_argument("--invoices", type=int, default=240, help="born-digital invoices per family")
    parser.add_argument("--scans", type=int, default=40, help="scanned invoices per family")
    parser.add_argument("--others", type=int, default=80, help="look-alikes per family")
    parser.add_argument("--corpus", choices=("dev", "none"), default="dev",
                        help="also train on the dev half of the real corpus (never the held-out half)")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--trainers", default=",".join(TRAINERS),
                        help="trainer modules whose models are fitted (default: all)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    specs = []
    families = [f for f in args.families.split(",") if f and _available(f)]
    for family in families:
        specs += document_specs(family, "train", invoices=args.invoices, scans=args.scans, others=args.others)
    documents = read_documents(specs, args.workers)
    if args.corpus == "dev":
        documents += corpus_documents("dev", args.workers)
    documents = select(documents, args.leave_out)
    read_s = time.perf_counter() - start
    failed = [d for d in documents if d.error]
    info = {
        "families": families + (["corpus dev half"] if args.corpus == "dev" else []),
        "left_out": args.leave_out,
        "documents": len(documents) - len(failed),
        "seeds": "train",
    }
    summary = train(documents, trainers(tuple(n for n in args.trainers.split(",") if n)), args.out, args.l2, info)
    print(f"read {len(documents)} documents in {read_s:.1f} s ({len(failed)} unreadable)")
    print("| model | examples | positives | features | training accuracy | fit | file |")
    print("|---|---|---|---|---|---|---|")
    for row in summary:
        print(f"| {row['model']} | {row['examples']} | {row['positives']} | {row['features']} "
              f"| {row['training_accuracy']:.3f} | {row['fit_s']:.2f} s | {row['bytes'] / 1024:.1f} KiB |")
    print(f"total {time.perf_counter() - start:.1f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
