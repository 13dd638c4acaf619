"""Examples for the totals models of invoice_reader/totals_decoder.py (trained by benchmarks/train.py).

Role models (amount_net, amount_vat, amount_gross, amount_due, amount_prepaid, amount_vat_rate): one
example per amount on the pages, right when its value is the labelled one (signs ignored: credit
notes print magnitudes or negatives); amount_due learns from the documents whose amount due is not
their total. Assignment models (totals_net_vat_gross, totals_due): one
example per combination of the roles' options, right when the totals it gives are the labelled
ones. Their features hold the role models' log-odds, so they are made by cross-fitting (examples_of_all):
the role models are fitted on one half of the documents and score the other half, so that the
arithmetic's weights are learned against role scores as unsure as on unseen documents.

A field whose label is None is skipped when the labels say they are incomplete (the corpus).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

from benchmarks.training import ReadDocument, fit_logistic, once_per_document
from invoice_reader.amount_candidates import AmountReading, read_amounts
from invoice_reader.amounts import guess_decimal_comma
from invoice_reader.learned import LinearModel
from invoice_reader.totals_decoder import (
    DUE_MODEL,
    NONE,
    OPTION_ROLES,
    ROLE_MODELS,
    ROLES,
    TRIPLE_MODEL,
    assignment_totals,
    due_features,
    role_logits,
    role_options,
    triple_features,
)
from invoice_reader.vat_breakdown import find_vat_breakdown

MODELS = (*ROLE_MODELS.values(), TRIPLE_MODEL, DUE_MODEL)
SKIP = object()
"""A truth that any value satisfies (the label is missing from incomplete labels)."""


@once_per_document
def evidence(document: ReadDocument) -> tuple[AmountReading, list]:
    """The amounts of the document and its VAT breakdown, read as invoice_reader.extract reads
    them (once per document and process: the examples of both stages need them)."""
    return _evidence(document)


def _evidence(document: ReadDocument) -> tuple[AmountReading, list]:
    lines = [line for page in document.pages for line in page.lines]
    decimal_comma = guess_decimal_comma("\n".join(line.layout_text() for line in lines))
    rows = find_vat_breakdown(lines, decimal_comma)
    reading = read_amounts(document.pages, decimal_comma, document.ocr_pages, [(row.rate, row.line) for row in rows])
    page_of = [page.index for page in document.pages for _ in page.lines]
    return reading, [row.rate for row in rows if page_of[row.line] not in reading.explanatory_pages]


def truth(labels: dict) -> dict[str, object] | None:
    """Role -> the labelled magnitude, None (not printed) or SKIP; None for a document that is
    not an invoice."""
    fields = labels.get("fields") or {}
    if labels.get("document_type", "invoice") != "invoice" or not fields:
        return None
    complete = labels.get("complete") is not False

    def value(name: str):
        raw = fields.get(name)
        if raw is None:
            return None if complete else SKIP
        return abs(Decimal(str(raw)))

    found = {
        "net": value("total_without_vat"),
        "vat": value("total_vat"),
        "gross": value("total_with_vat"),
        "due": value("amount_due"),
    }
    gross, due = found["gross"], found["due"]
    if isinstance(gross, Decimal) and isinstance(due, Decimal):
        # Due above the gross is arrears carried in, not a prepayment.
        found["prepaid"] = gross - due if gross > due else None
    else:
        found["prepaid"] = SKIP
    rates = fields.get("vat_breakdown")
    if rates is None and not complete:
        found["vat_rate"] = SKIP
    else:
        found["vat_rate"] = {abs(Decimal(str(r["amount"]))) for r in rates or [] if r.get("amount") is not None}
    return found


def _right(value: Decimal | None, expected: object) -> bool:
    if expected is SKIP:
        return True
    if expected is None:
        return value is None
    return value is not None and abs(value) == expected


def examples(document: ReadDocument) -> Iterator[tuple[str, dict[str, float], int]]:
    """One example per amount and role model."""
    expected = truth(document.labels)
    if expected is None:
        return
    reading, _ = evidence(document)
    for role in ROLES:
        wanted = expected[role]
        if wanted is SKIP:
            continue
        if role == "due" and not isinstance(expected["prepaid"], Decimal):
            # Where nothing is deducted the amount due is the total, which the gross model and
            # the arithmetic find; the due model learns what marks an amount due that differs.
            continue
        for c in reading.candidates:
            if role == "vat_rate":
                right = abs(c.value) in wanted
            else:
                right = wanted is not None and abs(c.value) == wanted
            yield ROLE_MODELS[role], c.features, int(right)


def examples_of_all(documents: list[ReadDocument]) -> Iterator[tuple[str, dict[str, float], int]]:
    """Assignment examples, by two-fold cross-fitting: the role models fitted on the documents of
    one fold score the candidates of the other. The lowest log-odds at which a role's right amount
    was scored so becomes that role's option floor (see calibrate)."""
    invoices = [(d, truth(d.labels)) for d in documents]
    invoices = [(d, t) for d, t in invoices if t is not None]
    folds = ([pair for pair in invoices if _fold(pair[0]) == 0], [pair for pair in invoices if _fold(pair[0]) == 1])
    scored = []
    for k in (0, 1):
        models = _fit_roles([d for d, _ in folds[1 - k]])
        for document, expected in folds[k]:
            reading, breakdown = evidence(document)
            scored.append((reading, breakdown, expected, role_logits(reading, models)))
    _floors.clear()
    _floors.update(option_floors(scored))
    for reading, breakdown, expected, logits in scored:
        yield from assignment_examples(reading, breakdown, expected, logits, _floors)


_floors: dict[str, float] = {}
"""Each role's option floor from the last examples_of_all, for calibrate."""


def option_floors(scored: list) -> dict[str, float]:
    """Per role, the lowest cross-fitted log-odds of the surest right amount of a document."""
    lowest: dict[str, float] = {}
    for reading, _, expected, logits in scored:
        for role in OPTION_ROLES:
            wanted = expected[role]
            if not isinstance(wanted, Decimal):
                continue
            right = [score for c, score in zip(reading.candidates, logits[role], strict=True) if abs(c.value) == wanted]
            if right:
                lowest[role] = min(lowest.get(role, max(right)), max(right))
    return {role: round(value, 3) for role, value in lowest.items()}


def calibrate(model: LinearModel, documents: list[ReadDocument]) -> dict:
    """What joins a role model's info: its option floor (amounts scored lower are never options)."""
    role = next((r for r, name in ROLE_MODELS.items() if name == model.name), None)
    return {"option_floor": _floors[role]} if role in _floors else {}


def assignment_examples(reading: AmountReading, breakdown: list, expected: dict, logits, floors) -> Iterator:
    options = role_options(reading, logits, breakdown, floors)
    for net, vat, gross in itertools.product(options.net, options.vat, options.gross):
        got = assignment_totals(net, vat, gross, NONE, NONE)
        right = all(_right(getattr(got, f), expected[r]) for f, r in _TRIPLE_FIELDS)
        yield TRIPLE_MODEL, triple_features(net, vat, gross, reading, breakdown), int(right)
    for gross, prepaid, due in itertools.product(options.gross, options.prepaid, options.due):
        got = assignment_totals(NONE, NONE, gross, prepaid, due)
        right = all(_right(getattr(got, f), expected[r]) for f, r in _DUE_FIELDS)
        yield DUE_MODEL, due_features(gross, prepaid, due, reading, options), int(right)


_TRIPLE_FIELDS = (("total_without_vat", "net"), ("total_vat", "vat"), ("total_with_vat", "gross"))
_DUE_FIELDS = (("total_with_vat", "gross"), ("prepaid", "prepaid"), ("amount_due", "due"))


def _fold(document: ReadDocument) -> int:
    spec = document.spec
    return (spec.seed if spec.path is None else sum(spec.path.encode())) % 2


def _fit_roles(documents: list[ReadDocument]) -> dict[str, LinearModel]:
    rows: dict[str, list] = {name: [] for name in ROLE_MODELS.values()}
    targets: dict[str, list] = {name: [] for name in ROLE_MODELS.values()}
    for document in documents:
        for name, features, target in examples(document):
            rows[name].append(features)
            targets[name].append(target)
    models = {}
    for role, name in ROLE_MODELS.items():
        weights, bias = fit_logistic(rows[name], targets[name])
        models[role] = LinearModel(name, weights, bias)
    return models


