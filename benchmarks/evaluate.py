"""Is extraction right? One command measures it on seeded synthetic documents and on the
real-world corpus in ../shared/corpus, and prints Markdown tables.

    .venv/bin/python benchmarks/evaluate.py [--seeds dev|held-out] [--count 150] [--scanned-count 48]
        [--lookalike-count 48] [--no-corpus] [--corpus-half held-out|dev|all] [--workers 2]
        [--families reportlab,html] [--generalisation all|generators]

Seeds: the dev range (0..999) is for development: look at its documents, debug with it, tune on it.
The held-out range (from 100000) must never be used while tuning the extractor or the generator;
run it only to report a number (docs/evaluation.md), so that the number means something.
The corpus is split the same way (benchmarks/corpus.py, benchmarks/corpus_split.json): the
held-out half (the default here, for reporting) is never used for tuning; develop on --corpus-half dev.

Synthetic documents come from two independent generators (families): 'reportlab'
(benchmarks/synthetic.py) and 'html' (benchmarks/synthetic_html, printed by Chromium); the counts are
per family. --generalisation adds the leave-one-family-out table (benchmarks/generalisation.py):
each layout family and generator read by models trained without it.

Synthetic documents are generated inside the worker processes and read
with process_document exactly as the runner reads uploads (OCR languages as in the settings).
Corpus documents are scored on their annotated fields only (see CORPUS_SKIPS for the documented
exceptions); the e-invoices are read twice, with the embedded-XML reader off (the printed page)
and on.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.scoring import (
    SCORED_FIELDS,
    FieldTally,
    LineScore,
    compare_field,
    prediction_from_result,
)
from benchmarks.corpus import HALVES, invoice_key, load_corpus
from benchmarks.training import GENERATORS

SEED_RANGES = {"dev": (0, 1000), "held-out": (100_000, None)}
DEFAULT_COUNT, DEFAULT_SCANNED, DEFAULT_LOOKALIKES, DEFAULT_WORKERS = 150, 48, 48, 2
DEFAULT_OCR_LANGUAGES = "auto"
"""As in invoice_processor.settings.Settings.ocr_languages."""

CORPUS_SKIPS = {
    # file: fields not scored, and why (from the row's notes in expected.jsonl)
    "compare/Orlen.txt": ("*", "not a PDF (plain-text invoice)"),
    "compare/oyo.pdf": ("fields", "payment receipt: scored for classification only (expected 'other')"),
    "compare/FlipkartInvoice.pdf": (
        "provider",
        "issuer is the template's label, the printed seller is WS Retail Services",
    ),
    "compare/SammyMaystoneLinesTest.pdf": (
        "provider lines",
        "issuer is a template label; expected lines hold only fragments",
    ),
}
_CORPUS_FIELD = {  # corpus key -> our field
    "issuer": "provider",
    "issuer_vat_id": "provider_vat_id",
    "buyer": "customer",
    "invoice_number": "invoice_number",
    "date": "date",
    "date_due": "due_date",
    "currency": "currency",
    "amount_untaxed": "total_without_vat",
    "amount_tax": "total_vat",
    "amount": "total_with_vat",
    "amount_due": "amount_due",
}


# -- workers -------------------------------------------------------------------------------


def _process(path: Path, use_xml: bool, ocr_languages: str) -> tuple[dict, float]:
    from invoice_reader import DocumentError, ReadOptions, process_document

    start = time.perf_counter()
    try:
        result = process_document(path, ReadOptions(ocr_languages=ocr_languages, use_embedded_xml=use_xml))
        prediction = prediction_from_result(result)
        prediction["timings"] = result.timings
    except DocumentError as e:
        prediction = {"document_type": "error", "error": f"{type(e).__name__}: {e}", "fields": {}, "page_count": 0}
    return prediction, time.perf_counter() - start


def run_synthetic(family: str, seed: int, kind: str, ocr_languages: str) -> dict:
    """Generate one document of a family, read it, return its labels, the prediction and the seconds taken."""
    pdf, labels = importlib.import_module(GENERATORS[family]).make_document(seed, kind)
    labels = {**labels, "family": family}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}-{seed}.pdf"
        path.write_bytes(pdf)
        prediction, seconds = _process(path, True, ocr_languages)
    return {"labels": labels, "prediction": prediction, "seconds": seconds}


def run_corpus(path: str, use_xml: bool, ocr_languages: str) -> dict:
    prediction, seconds = _process(Path(path), use_xml, ocr_languages)
    return {"prediction": prediction, "seconds": seconds}


# -- scoring -------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def score_synthetic(results: list[dict]) -> str:
    invoices = [r for r in results if r["labels"]["document_type"] == "invoice"]
    slices = {
        "born-digital": lambda r: not r["labels"]["scanned"],
        "scanned": lambda r: r["labels"]["scanned"],
        **{
            family: (lambda r, family=family: r["labels"]["family"] == family)
            for family in sorted({r["labels"]["family"] for r in invoices})
        },
        **{
            language.upper(): (lambda r, language=language: r["labels"]["language"] == language)
            for language in sorted({r["labels"]["language"] for r in invoices})
        },
    }
    tallies = {name: FieldTally() for name in ["all", *slices]}
    by_layout: dict[tuple[str, bool], FieldTally] = defaultdict(FieldTally)
    lines = {name: LineScore() for name in ("born-digital", "scanned", "multi-page", "credit notes")}
    for r in invoices:
        expected, predicted = r["labels"]["fields"], r["prediction"]["fields"]
        expected = {**expected, "subtype": r["labels"]["subtype"]}
        for name in SCORED_FIELDS:
            alternatives = (expected.get("due_date_from_terms"),) if name == "due_date" else ()
            outcome = compare_field(
                name, expected.get(name), predicted.get(name), strict=True, alternatives=alternatives
            )
            tallies["all"].add(name, outcome)
            by_layout[(r["labels"]["layout"], r["labels"]["scanned"])].add(name, outcome)
            for slice_name, test in slices.items():
                if test(r):
                    tallies[slice_name].add(name, outcome)
        exp_lines, pred_lines = expected["lines"], predicted.get("lines") or []
        lines["scanned" if r["labels"]["scanned"] else "born-digital"].add(exp_lines, pred_lines)
        if r["labels"]["pages"] > 1:
            lines["multi-page"].add(exp_lines, pred_lines)
        if r["labels"]["subtype"] == "credit_note":
            lines["credit notes"].add(exp_lines, pred_lines)

    n = {name: sum(1 for r in invoices if test(r)) for name, test in slices.items()}
    out = [
        "### Synthetic: field accuracy",
        "",
        (
            "Accuracy counts a correct value and a correctly absent value (null label, null prediction) as right. "
            "'found' = accuracy over documents whose label has a value."
        ),
        "",
    ]
    cols = ["all", *slices]
    out.append(
        "| field | "
        + " | ".join(f"{c} (n={len(invoices) if c == 'all' else n[c]})" for c in cols)
        + " | found, born-digital | found, scanned |"
    )
    out.append("|---" * (len(cols) + 3) + "|")
    for name in SCORED_FIELDS:
        row = [pct(tallies[c].accuracy(name)) for c in cols]
        row += [pct(tallies["born-digital"].found_accuracy(name)), pct(tallies["scanned"].found_accuracy(name))]
        out.append(f"| {name} | " + " | ".join(row) + " |")
    out.append("| **all fields** | " + " | ".join(f"**{pct(tallies[c].overall())}**" for c in cols) + " | | |")
    out += [
        "",
        "Outcome counts over all synthetic invoices:",
        "",
        "| field | correct | correct null | wrong | missed | false positive |",
        "|---|---|---|---|---|---|",
    ]
    for name in SCORED_FIELDS:
        c = tallies["all"].counts.get(name, {})
        out.append(
            f"| {name} | "
            + " | ".join(
                str(int(c.get(k, 0))) for k in ("correct", "correct_null", "wrong", "missed", "false_positive")
            )
            + " |"
        )

    out += [
        "",
        "### Synthetic: all-field accuracy by layout family",
        "",
        "| layout | born-digital | scanned |",
        "|---|---|---|",
    ]
    for family in sorted({k[0] for k in by_layout}):
        out.append(
            f"| {family} | {pct(by_layout[(family, False)].overall()) if (family, False) in by_layout else '—'} | "
            f"{pct(by_layout[(family, True)].overall()) if (family, True) in by_layout else '—'} |"
        )

    out += [
        "",
        "### Synthetic: line items",
        "",
        "| slice | expected | predicted | matched | precision | recall | F1 | qty right | unit price right | VAT rate right |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in lines.items():
        attrs = [f"{s.attribute_correct[a]}/{s.matched}" for a in ("quantity", "unit_price", "vat_rate")]
        out.append(
            f"| {name} | {s.expected} | {s.predicted} | {s.matched} | {pct(s.precision)} | {pct(s.recall)} | {pct(s.f1)} | "
            + " | ".join(attrs)
            + " |"
        )

    out += [
        "",
        "### Synthetic: classification (invoice vs other)",
        "",
        "| documents | n | classified right | predicted types |",
        "|---|---|---|---|",
    ]
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        lab = r["labels"]
        key = (
            f"{'scanned' if lab['scanned'] else 'born-digital'} {lab['subtype']}"
            if lab["document_type"] == "invoice"
            else f"look-alike: {lab['subtype']}"
        )
        groups[key].append(r)
    total_right = 0
    for key in sorted(groups):
        rs = groups[key]
        right = sum(r["prediction"]["document_type"] == r["labels"]["document_type"] for r in rs)
        total_right += right
        kinds = defaultdict(int)
        for r in rs:
            kinds[r["prediction"]["document_type"]] += 1
        out.append(f"| {key} | {len(rs)} | {pct(right / len(rs))} | {dict(kinds)} |")
    out.append(f"| **all** | {len(results)} | **{pct(total_right / len(results))}** | |")
    return "\n".join(out)


def _timing_row(name: str, runs: list[dict], stages: tuple[str, ...] = ()) -> str:
    """Median and max seconds per page: of the whole call, or of the named stages only."""
    def seconds(r: dict) -> float:
        timings = r["prediction"].get("timings") or {}
        return sum(timings.get(stage, 0.0) for stage in stages) if stages else r["seconds"]

    per_page = [seconds(r) / max(r["prediction"].get("page_count") or 1, 1) for r in runs]
    if not per_page:
        return f"| {name} | 0 | — | — |"
    return f"| {name} | {len(per_page)} | {statistics.median(per_page):.3f} | {max(per_page):.3f} |"


def _corpus_expected(row: dict) -> dict:
    fields = {ours: row.get(key) for key, ours in _CORPUS_FIELD.items()}
    # The XML states a credit note's amounts as magnitudes; InvoiceFields carries them negative.
    sign = -1 if row.get("type_code") == "381" else 1
    for name in ("total_without_vat", "total_vat", "total_with_vat", "amount_due"):
        if fields[name] is not None:
            fields[name] = sign * fields[name]
    if row.get("type_code") in ("380", "381"):
        fields["subtype"] = "credit_note" if row["type_code"] == "381" else "invoice"
    fields["lines"] = [
        {
            "designation": line.get("description") or "",
            "total_ht": _signed(line.get("total_net", line.get("total")), sign),
            "quantity": line.get("quantity"),
            "unit_price": line.get("unit_price_net", line.get("unit_price")),
            "vat_rate": line.get("tax_percent"),
        }
        for line in (row.get("lines") or [])
    ]
    return fields


def _signed(value, sign: int):
    return None if value is None else sign * value


def score_corpus(rows: list[dict], runs: dict[tuple[str, bool], dict], half: str = "held-out") -> str:
    einvoice = [r for r in rows if r["folder"] != "invoice2data"]
    # Stylesheet renderings repeat ~20 example invoices: each distinct invoice weighs 1 in all.
    sizes = defaultdict(int)
    for r in einvoice:
        sizes[invoice_key(r)] += 1
    sets = {
        "invoice2data": (
            [r for r in rows if r["folder"] == "invoice2data" and CORPUS_SKIPS.get(r["file"], ("",))[0] != "*"],
            False,
        ),
        "e-invoices, XML off": ([r for r in einvoice if not r.get("visual_xml_mismatch")], False),
        "e-invoices, XML on": (einvoice, True),
    }
    tallies, lines, classes = {}, {}, {}
    for name, (subset, use_xml) in sets.items():
        tally, line_score, right, weight_sum = FieldTally(), LineScore(name_only_labels=True), 0.0, 0.0
        for r in subset:
            weight = 1.0 / sizes[invoice_key(r)] if r["folder"] != "invoice2data" else 1.0
            pred = runs[(r["path"], use_xml)]["prediction"]
            expected_type = "other" if CORPUS_SKIPS.get(r["file"], ("",))[0] == "fields" else "invoice"
            right += weight * (pred["document_type"] == expected_type)
            weight_sum += weight
            if expected_type != "invoice":
                continue
            skip = CORPUS_SKIPS.get(r["file"], ("",))[0].split()
            expected, predicted = _corpus_expected(r), pred["fields"]
            checked = r.get("text_layer_check") or {}
            for key, ours in _CORPUS_FIELD.items():
                # With the XML reader off, a value that is not printed on the page cannot be read.
                if ours in skip or (not use_xml and checked.get(key) is False):
                    continue
                alternatives = (r.get("issuer_legal_name"),) if ours == "provider" else ()
                tally.add(
                    ours,
                    compare_field(ours, expected[ours], predicted.get(ours), strict=False, alternatives=alternatives),
                    weight,
                )
            if "subtype" in expected:
                tally.add(
                    "subtype",
                    compare_field("subtype", expected["subtype"], predicted.get("subtype"), strict=False),
                    weight,
                )
            text_blind = not use_xml and checked and not any(checked.values())  # nothing of the XML is printed
            if "lines" not in skip and expected["lines"] and not text_blind:
                line_score.add(expected["lines"], predicted.get("lines") or [])
        tallies[name], lines[name] = tally, line_score
        classes[name] = (len(subset), right / weight_sum if weight_sum else None, weight_sum)

    i2d_pdfs = [r for r in rows if r["folder"] == "invoice2data" and r["file"].endswith(".pdf")]
    not_pdf = [Path(r["file"]).name for r in rows if r["folder"] == "invoice2data" and not r["file"].endswith(".pdf")]
    receipts = [Path(r["file"]).name for r in i2d_pdfs if CORPUS_SKIPS.get(r["file"], ("",))[0] == "fields"]
    out = [
        f"### Corpus ({corpus_half_label(half)}): field accuracy (annotated fields only)",
        "",
        (
            f"Corpus half: {corpus_half_label(half)} (benchmarks/corpus_split.json), "
            f"{len(i2d_pdfs) + sum(r['file'].endswith('.pdf') for r in einvoice)} PDFs. "
            f"invoice2data: {len(i2d_pdfs)} PDFs"
            + (f" ({', '.join(not_pdf)} not a PDF)" if not_pdf else "")
            + (f", {', '.join(receipts)} for classification only" if receipts else "")
            + f". E-invoices: {sum(r['file'].endswith('.pdf') for r in einvoice)} PDFs of {len(sizes)} distinct "
            "invoices from the zugferd, akretion and horstoeko folders; each distinct invoice weighs 1 (its stylesheet "
            "renderings share the weight); with XML off, visual_xml_mismatch rows are left out and fields whose "
            "text_layer_check is false are not scored."
        ),
        "",
        "| field | " + " | ".join(sets) + " |",
        "|---" * (len(sets) + 1) + "|",
    ]
    for field_name in list(_CORPUS_FIELD.values()) + ["subtype"]:
        cells = []
        for name in sets:
            c = tallies[name].counts.get(field_name)
            cells.append(f"{pct(tallies[name].accuracy(field_name))} (n={sum(c.values()):.1f})" if c else "—")
        out.append(f"| {field_name} | " + " | ".join(cells) + " |")
    out.append("| **all fields** | " + " | ".join(f"**{pct(tallies[n].overall())}**" for n in sets) + " |")
    out += [
        "",
        "| set | documents (weighted) | classification accuracy | line precision | line recall | line F1 |",
        "|---|---|---|---|---|---|",
    ]
    for name in sets:
        n, acc, w = classes[name]
        s = lines[name]
        out.append(f"| {name} | {n} ({w:.1f}) | {pct(acc)} | {pct(s.precision)} | {pct(s.recall)} | {pct(s.f1)} |")
    return "\n".join(out)


# -- command -------------------------------------------------------------------------------


def corpus_half_label(half: str) -> str:
    return "whole corpus, both halves" if half == "all" else f"{half} half"


def seed_list(range_name: str, count: int) -> list[int]:
    start, end = SEED_RANGES[range_name]
    if end is not None and start + count > end:
        raise SystemExit(f"the {range_name} range holds {end - start} seeds; asked for {count}")
    return list(range(start, start + count))


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", choices=sorted(SEED_RANGES), default="dev")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="born-digital invoices")
    parser.add_argument("--scanned-count", type=int, default=DEFAULT_SCANNED)
    parser.add_argument("--lookalike-count", type=int, default=DEFAULT_LOOKALIKES)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument(
        "--corpus-half",
        choices=[*HALVES, "all"],
        default="held-out",
        help="which half of the corpus split to score (held-out for reporting; dev for development)",
    )
    parser.add_argument("--families", default=",".join(GENERATORS),
                        help="synthetic generators, each with the counts above (reportlab, html)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--ocr-languages", default=DEFAULT_OCR_LANGUAGES)
    parser.add_argument("--generalisation", choices=("all", "generators"),
                        help="also train without each layout family and generator ('all') or each generator only,"
                             " and score it unseen (benchmarks/generalisation.py)")
    args = parser.parse_args(argv)
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread per worker

    started = time.perf_counter()
    families = [f for f in args.families.split(",") if f]
    jobs = []
    for family in families:
        jobs += [(family, s, "scanned") for s in seed_list(args.seeds, args.scanned_count)]
        jobs += [(family, s, "invoice") for s in seed_list(args.seeds, args.count)]
        jobs += [(family, s, "lookalike") for s in seed_list(args.seeds, args.lookalike_count)]
    rows = [] if args.no_corpus else load_corpus(args.corpus_half)
    corpus_jobs = [(r["path"], use_xml) for r in rows if r["path"].endswith(".pdf") for use_xml in (False, True)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        synthetic_futures = [pool.submit(run_synthetic, *job, args.ocr_languages) for job in jobs]
        corpus_futures = {job: pool.submit(run_corpus, *job, args.ocr_languages) for job in corpus_jobs}
        results = [f.result() for f in synthetic_futures]
        corpus_runs = {job: f.result() for job, f in corpus_futures.items()}
    elapsed = time.perf_counter() - started

    seeds = SEED_RANGES[args.seeds][0]
    command = ".venv/bin/python benchmarks/evaluate.py " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    out = [
        "## Extraction evaluation",
        "",
        f"- command: `{command.strip()}`",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; wall time {elapsed:.0f} s with {args.workers} workers",
        (
            f"- seeds: {args.seeds} range, born-digital {seeds}..{seeds + args.count - 1}, scanned {seeds}..{seeds + args.scanned_count - 1}, "
            f"look-alikes {seeds}..{seeds + args.lookalike_count - 1} (each kind has its own generator stream)"
        ),
        f"- synthetic families: {', '.join(families)} (the counts are per family)",
        f"- OCR languages: {args.ocr_languages}",
        f"- corpus: {'not read' if args.no_corpus else corpus_half_label(args.corpus_half)}",
        "",
    ]
    errors = [r for r in results if r["prediction"]["document_type"] == "error"]
    if errors:
        out += [
            f"Documents the pipeline refused: {len(errors)} ("
            + "; ".join(
                f"{r['labels']['seed']}/{'scanned' if r['labels']['scanned'] else r['labels']['document_type']}: {r['prediction']['error']}"
                for r in errors[:5]
            )
            + ")",
            "",
        ]
    if results:
        out += [score_synthetic(results), ""]
    if rows:
        out += [score_corpus(rows, corpus_runs, args.corpus_half), ""]
    out += [
        "### Extraction time per page (seconds, whole process_document call)",
        "",
        "| documents | n | median | max |",
        "|---|---|---|---|",
    ]
    for family in families:
        runs = [r for r in results if r["labels"]["family"] == family]
        out += [
            _timing_row(f"{family} born-digital (incl. look-alikes)", [r for r in runs if not r["labels"]["scanned"]]),
            _timing_row(f"{family} scanned", [r for r in runs if r["labels"]["scanned"]]),
        ]
    born_digital = [r for r in results if not r["labels"]["scanned"]]
    out.append(_timing_row("born-digital, understanding only (classify + extract + validate)", born_digital,
                           stages=("classify", "extract", "validate")))
    if rows:
        out.append(
            _timing_row(f"corpus ({corpus_half_label(args.corpus_half)}), XML off", [v for (p, x), v in corpus_runs.items() if not x])
        )
    report = "\n".join(out)
    print(report, flush=True)
    if args.generalisation:
        from benchmarks import generalisation

        generalisation.main(
            ["--families", args.families, "--workers", str(args.workers), "--units", args.generalisation]
        )
    return report


if __name__ == "__main__":
    main()
