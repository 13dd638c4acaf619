"""Examples for the classifier's two models (invoice_reader/classify.py), and a quick check of them.

    .venv/bin/python benchmarks/train_classifier.py [--seeds dev] [--families reportlab,html]
        [--invoices 150 --scans 0 --others 150]

benchmarks/train.py imports this module: `examples(document)` yields
- ('document_type', the document's type features, 1 for an invoice), one per document;
- ('invoice_subtype', an invoice's subtype features given its labelled kind, 1 for a credit note),
  one per invoice (at run time the kind is the document_kind model's choice);
- ('document_kind', a candidate kind's features, 1 for the labelled kind), one per kind of the
  labelled type whose words appear in the document.
Run on its own, it classifies documents of the given seeds (the dev range by default, never the
training range) from the page cache and prints accuracy by labelled kind and the confusions.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from invoice_reader.kind_features import document_cues  # noqa: E402
from invoice_reader.kind_words import load_lexicon  # noqa: E402

MODELS = ("document_type", "document_kind", "invoice_subtype")


def document_kind(labels: dict) -> str:
    """The labelled kind: labels['document_kind'] where the generator gives it; else the subtype
    ('invoice', 'credit_note'; a look-alike's subtype is its kind, e.g. 'quote')."""
    if labels.get("document_kind"):
        return labels["document_kind"]
    return labels.get("subtype") or ("invoice" if labels["document_type"] == "invoice" else "other")


def examples(document):
    cues = document_cues(document.pages)
    labels = document.labels
    document_type = labels["document_type"]
    yield "document_type", cues.type_features(), int(document_type == "invoice")
    kind = document_kind(labels)
    if document_type == "invoice":
        subtype = int(labels.get("subtype") == "credit_note")
        yield "invoice_subtype", cues.subtype_features(kind), subtype
    for candidate in load_lexicon().of_type(document_type):
        if cues.evidence_of(candidate):
            yield "document_kind", cues.kind_features(candidate), int(candidate == kind)


def check(documents) -> str:
    """Accuracy of type and kind by labelled kind, the confusions, and the time per document."""
    from invoice_reader.classify import classify_pages

    by_kind: dict[str, Counter] = defaultdict(Counter)
    confusions: Counter = Counter()
    seconds = []
    for document in documents:
        if document.error:
            continue
        start = time.perf_counter()
        result = classify_pages(document.pages)
        seconds.append(time.perf_counter() - start)
        labels = document.labels
        kind = document_kind(labels)
        tally = by_kind[f"{document.spec.family}/{'scan' if labels.get('scanned') else 'text'}/{kind}"]
        tally["n"] += 1
        tally["type"] += result.document_type == labels["document_type"]
        tally["kind"] += result.document_kind == kind
        if labels["document_type"] == "invoice":
            tally["invoices"] += 1
            tally["subtype"] += result.subtype == labels.get("subtype", "invoice")
        if result.document_kind != kind:
            confusions[(kind, result.document_kind, result.document_type)] += 1
    out = ["| documents | n | type right | kind right | subtype right |", "|---|---|---|---|---|"]
    total = Counter()
    for name in sorted(by_kind):
        tally = by_kind[name]
        total.update(tally)
        out.append(f"| {name} | {tally['n']} | {tally['type'] / tally['n']:.1%} | {tally['kind'] / tally['n']:.1%} "
                   f"| {_share(tally['subtype'], tally['invoices'])} |")
    if total["n"]:
        out.append(f"| **all** | {total['n']} | **{total['type'] / total['n']:.1%}** | **{total['kind'] / total['n']:.1%}** "
                   f"| **{_share(total['subtype'], total['invoices'])}** |")
    out.append("")
    out += [f"- {labelled} read as {read} ({typed}): {n}" for (labelled, read, typed), n in confusions.most_common(20)]
    if seconds:
        seconds.sort()
        out.append(f"- classification time per document: median {1000 * seconds[len(seconds) // 2]:.2f} ms, "
                   f"max {1000 * seconds[-1]:.2f} ms")
    return "\n".join(out)


def _share(right: int, n: int) -> str:
    return f"{right / n:.1%}" if n else "—"


def main(argv: list[str] | None = None) -> int:
    from benchmarks.training import GENERATORS, document_specs, read_documents

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="dev", choices=["dev", "held-out"])
    parser.add_argument("--families", default=",".join(GENERATORS))
    parser.add_argument("--invoices", type=int, default=150)
    parser.add_argument("--scans", type=int, default=0)
    parser.add_argument("--others", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    specs = []
    for family in args.families.split(","):
        try:
            __import__(GENERATORS[family])
        except ModuleNotFoundError:
            print(f"skipped family {family}: no generator", file=sys.stderr)
            continue
        specs += document_specs(family, args.seeds, invoices=args.invoices, scans=args.scans, others=args.others)
    print(check(read_documents(specs, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
