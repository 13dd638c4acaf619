"""How well the reader does on layouts and generators it was not trained on (leave-one-family-out).

    .venv/bin/python benchmarks/generalisation.py [--invoices 240 --scans 40 --others 80]
        [--test-invoices 60 --test-scans 12 --test-others 24] [--test-seeds held-out|dev]
        [--workers 2] [--json out.json] [--keep-models DIR]

For every unit left out (each layout family of each generator, and each whole generator), the
reader's models are trained without it (benchmarks/train.py's trainers, training seeds 10000..) into
a temporary folder (the dev half of the real corpus is always in training), and the left-out unit's
held-out documents (seeds 100000..) are read with those models: the 'unseen' figure. The 'seen'
figure reads the same documents with models trained on everything. The gap is seen - unseen.
Nothing here is fitted on held-out documents: they are only scored. To look into what fails without
a family, test on the dev seeds (--test-seeds dev): the held-out figure is for reporting only. Pages
are read once (text layer or OCR) and cached by benchmarks/training.py, so each left-out unit costs
a training run and a re-reading of words, not OCR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.scoring import SCORED_FIELDS, FieldTally, LineScore, compare_field, prediction_from_result  # noqa: E402
from benchmarks.train import _available, select, train, trainers  # noqa: E402
from benchmarks.training import GENERATORS, SEED_START, corpus_documents, document_specs, read_documents  # noqa: E402
from invoice_reader.learned import MODELS_ENV  # noqa: E402

MEASURES = ("born-digital fields", "scanned fields", "invoice or other", "line-item F1", "customer", "provider")


def score(documents, predictions) -> dict[str, float | None]:
    """The headline measures over documents and their predictions (prediction_from_result dicts)."""
    tallies = {"born-digital": FieldTally(), "scanned": FieldTally()}
    lines = LineScore()
    classified = right = 0
    for document, predicted in zip(documents, predictions):
        labels = document.labels
        classified += 1
        right += predicted["document_type"] == labels["document_type"]
        if labels["document_type"] != "invoice":
            continue
        expected = {**labels["fields"], "subtype": labels["subtype"]}
        got = predicted.get("fields") or {}
        tally = tallies["scanned" if labels["scanned"] else "born-digital"]
        for name in SCORED_FIELDS:
            alternatives = (expected.get("due_date_from_terms"),) if name == "due_date" else ()
            tally.add(name, compare_field(name, expected.get(name), got.get(name), strict=True, alternatives=alternatives))
        lines.add(expected.get("lines") or [], got.get("lines") or [])
    both = FieldTally()
    for tally in tallies.values():
        for name, counts in tally.counts.items():
            for outcome, n in counts.items():
                both.add(name, outcome, n)
    return {
        "born-digital fields": tallies["born-digital"].overall(),
        "scanned fields": tallies["scanned"].overall(),
        "invoice or other": right / classified if classified else None,
        "line-item F1": lines.f1,
        "customer": both.accuracy("customer"),
        "provider": both.accuracy("provider"),
        "documents": classified,
    }


def predict(documents, models: Path) -> list[dict]:
    """Each document read from its cached words with the models in folder models."""
    from invoice_reader import read_words

    os.environ[MODELS_ENV] = str(models)
    try:
        out = []
        for document in documents:
            if document.error:
                out.append({"document_type": "error", "fields": {}})
            else:
                out.append(prediction_from_result(read_words(document.pages, document.ocr_pages)))
        return out
    finally:
        os.environ.pop(MODELS_ENV, None)


def units(documents, what: str = "all") -> list[str]:
    """What can be left out: each generator (when there are two or more) and, unless what is
    'generators', each layout family."""
    generators = sorted({d.spec.family for d in documents})
    layouts = sorted({d.layout for d in documents}) if what != "generators" else []
    return (generators if len(generators) > 1 else []) + layouts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(GENERATORS))
    parser.add_argument("--invoices", type=int, default=240, help="training invoices per family")
    parser.add_argument("--scans", type=int, default=40)
    parser.add_argument("--others", type=int, default=80)
    parser.add_argument("--test-invoices", type=int, default=60, help="held-out invoices per family")
    parser.add_argument("--test-scans", type=int, default=12)
    parser.add_argument("--test-others", type=int, default=24)
    parser.add_argument("--test-seeds", choices=("held-out", "dev"), default="held-out",
                        help="the seeds read and scored: held-out for reporting, dev for development")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--units", choices=("all", "generators"), default="all",
                        help="leave out each layout family and each generator, or the generators only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep-models", type=Path,
                        help="train into DIR/all and DIR/without-<unit> and keep them (for looking into the misses)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    families = [f for f in args.families.split(",") if f and _available(f)]
    train_specs, test_specs = [], []
    for family in families:
        train_specs += document_specs(family, "train", invoices=args.invoices, scans=args.scans, others=args.others)
        test_specs += document_specs(
            family, args.test_seeds, invoices=args.test_invoices, scans=args.test_scans, others=args.test_others
        )
    training = read_documents(train_specs, args.workers) + corpus_documents("dev", args.workers)
    testing = read_documents(test_specs, args.workers)
    modules = trainers()

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep_models or Path(tmp)
        everything = root / "all"
        train(training, modules, everything)
        seen_predictions = predict(testing, everything)
        for unit in units(testing, args.units):
            members = [i for i, d in enumerate(testing) if unit in (d.spec.family, d.layout)]
            if not members:
                continue
            folder = root / f"without-{unit}"
            kept = select(training, unit)
            if len(kept) == len(training):
                continue  # nothing of it in training: seen and unseen are the same
            train(kept, modules, folder)
            docs = [testing[i] for i in members]
            results[unit] = {
                "seen": score(docs, [seen_predictions[i] for i in members]),
                "unseen": score(docs, predict(docs, folder)),
            }

    print("## Generalisation: held-out documents of each family, read with models trained with it (seen) and without it (unseen)")
    print()
    print(f"- training: seeds 10000.., per family {args.invoices} invoices, {args.scans} scans, {args.others} others;"
          f" testing: {args.test_seeds} seeds {SEED_START[args.test_seeds]}.., per family {args.test_invoices}/{args.test_scans}/{args.test_others}")
    print(f"- wall time {time.perf_counter() - started:.0f} s")
    print()
    header = " | ".join(f"{m} seen / unseen" for m in MEASURES)
    print(f"| left out | n | {header} |")
    print("|---|---|" + "---|" * len(MEASURES))
    gaps: dict[str, list[float]] = defaultdict(list)
    for unit, figures in results.items():
        cells = []
        for measure in MEASURES:
            seen, unseen = figures["seen"][measure], figures["unseen"][measure]
            cells.append(f"{_pct(seen)} / {_pct(unseen)}")
            if seen is not None and unseen is not None:
                gaps[measure].append(seen - unseen)
        print(f"| {unit} | {figures['seen']['documents']} | " + " | ".join(cells) + " |")
    print()
    print("Mean gap (seen - unseen), points: " + "; ".join(
        f"{m} {100 * sum(g) / len(g):+.1f}" for m, g in gaps.items() if g))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


if __name__ == "__main__":
    sys.exit(main())
