"""The key-value fields (invoice number, issue date, due date, order number) chosen among candidates.

For each field every value on the page that could be it is a candidate (candidates.py), described by
features of layout and language (features.py) and scored by one learned logistic model per field
(invoice_reader/models/field_<name>.json, written by benchmarks/train.py from benchmarks/train_fields.py).
The best candidate is taken when its score reaches the threshold chosen on the training documents
(stored with the model), else the field stays None. What the older rule finders chose
(key_rules.py) is one feature among the others.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from .amounts import guess_day_first
from .candidates import Candidate, date_candidates, normalise_id, number_candidates
from .features import DocumentLayout, date_agreement_features, describe, rule_features
from .key_rules import RuleChoices, rule_choices
from .label_values import LabelledLine, label_lines
from .labels import FIELD_LABELS
from .learned import load_model
from .parties import vat_ids_in
from .payment import Found, PaymentTerm, find_iban, find_payment_term
from .provenance import PageLines
from .text_lines import PageText

FIELD_MODELS = {
    "invoice_number": "field_invoice_number",
    "date": "field_date",
    "due_date": "field_due_date",
    "purchase_order": "field_purchase_order",
}
"""The model file of each field."""
NUMBER_FIELDS = ("invoice_number", "purchase_order")
DATE_FIELDS = ("date", "due_date")
_VAT_ID_LABEL_RE = re.compile(r"\b(?:vat|tva|mwst|ust|btw|iva|uid|steuer\w*)\b[^\n]{0,24}$", re.IGNORECASE)
"""A VAT-id label shortly before a VAT id on its line ("VAT No. ", "USt-IdNr.: ")."""
DEFAULT_THRESHOLD = 0.5
"""For a model written without a threshold in its info."""


class KeyCandidates(NamedTuple):
    """The candidates of a document, with their features."""

    numbers: list[Candidate]
    dates: list[Candidate]
    rules: RuleChoices
    iban: str | None
    vat_ids: frozenset[str] = frozenset()
    """The VAT ids printed after a VAT-id label, compact, with and without their country prefix."""

    def of(self, field: str) -> list[Candidate]:
        """The candidates of field; an invoice number is never part of the bank account number, and
        neither an invoice number nor an order number is a VAT id printed after its label."""
        if field in DATE_FIELDS:
            return self.dates
        numbers = [c for c in self.numbers if normalise_id(str(c.value)) not in self.vat_ids]
        if field == "invoice_number" and self.iban:
            return [c for c in numbers if len(str(c.value)) < 6 or normalise_id(str(c.value)) not in self.iban]
        return numbers


class Chosen(NamedTuple):
    """A field's value, the line it was read on and the model's score; all None when not found."""

    value: str | date | None
    line: int | None
    score: float | None


NOTHING = Chosen(None, None, None)


def key_candidates(
    pages: list[PageText],
    where: PageLines,
    labelled: list[LabelledLine],
    day_first: bool,
    iban: Found | None,
    term: PaymentTerm | None,
) -> KeyCandidates:
    """Every number and date candidate of the document, described by its features."""
    rules = rule_choices(where.lines, labelled, day_first, iban)
    layout = DocumentLayout(pages, where, labelled)
    numbers = number_candidates(where)
    dates = date_candidates(where, day_first)
    _add_rule_value(numbers, where, rules.invoice_number, rules.number_line)
    _add_rule_value(numbers, where, rules.purchase_order, rules.order_line)
    _add_rule_value(dates, where, rules.date, rules.date_line)
    _add_rule_value(dates, where, rules.due_date, rules.due_line)
    describe(numbers, layout)
    describe(dates, layout)
    rule_features(numbers, "invoice_number", rules.invoice_number, rules.number_line)
    rule_features(numbers, "purchase_order", rules.purchase_order, rules.order_line)
    rule_features(dates, "date", rules.date, rules.date_line)
    rule_features(dates, "due_date", rules.due_date, rules.due_line)
    date_agreement_features(dates, rules.date, rules.due_date, term.days if term else None, rules.number_line)
    vat_ids = _labelled_vat_ids(where)
    return KeyCandidates(numbers, dates, rules, normalise_id(iban.value) if iban else None, vat_ids)


def _labelled_vat_ids(where: PageLines) -> frozenset[str]:
    """The VAT ids printed after a VAT-id label, compact, with and without their country prefix: a
    number under such a label is no invoice or order number."""
    found = set()
    for line in where.lines:
        text = line.text
        for start, vat in vat_ids_in(text, ocr=bool(where.ocr_pages)):
            if _VAT_ID_LABEL_RE.search(text[:start]):
                found |= {vat, vat[2:]} if len(vat) > 8 else {vat}
    return frozenset(found)


def choose_key_fields(found: KeyCandidates) -> dict[str, Chosen]:
    """Each field's best candidate when the field's model scores it at or above its threshold.
    An invoice number and an order number are never the same value: the surer keeps it, the other
    takes its next best. Raises learned.ModelMissing when a model file is missing."""
    ranked = {field: _ranked(field, found.of(field)) for field in FIELD_MODELS}
    chosen = {field: next(iter(ranked[field]), NOTHING) for field in FIELD_MODELS}
    number, order = chosen["invoice_number"], chosen["purchase_order"]
    if number.value is not None and order.value is not None and _same(number.value, order.value):
        loser = "purchase_order" if number.score >= order.score else "invoice_number"
        taken = chosen["invoice_number" if loser == "purchase_order" else "purchase_order"].value
        chosen[loser] = next((c for c in ranked[loser] if not _same(c.value, taken)), NOTHING)
    return chosen


def document_key_candidates(pages: list[PageText], ocr_pages: set[int] | frozenset[int] = frozenset()) -> KeyCandidates:
    """key_candidates of the pages, prepared as extract_invoice prepares them: the training reads
    documents through this, so that its features are those the reader scores."""
    where = PageLines(pages, ocr_pages)
    lines = where.lines
    day_first = guess_day_first("\n".join(line.layout_text() for line in lines))
    labelled = label_lines(lines, FIELD_LABELS)
    iban = find_iban(lines, ocr=bool(where.ocr_pages))
    return key_candidates(pages, where, labelled, day_first, iban, find_payment_term(lines))


def read_key_fields(
    pages: list[PageText],
    where: PageLines,
    labelled: list[LabelledLine],
    day_first: bool,
    iban: Found | None,
    term: PaymentTerm | None,
) -> dict[str, Chosen]:
    """The invoice number, issue date, printed due date and order number of the document."""
    return choose_key_fields(key_candidates(pages, where, labelled, day_first, iban, term))


def _ranked(field: str, candidates: list[Candidate]) -> list[Chosen]:
    """The candidates scoring at or above the field's threshold, best first, one per value."""
    model = load_model(FIELD_MODELS[field])
    threshold = float(model.info.get("threshold", DEFAULT_THRESHOLD))
    scored = sorted(((model.score(c.features), i) for i, c in enumerate(candidates)), reverse=True)
    ranked, seen = [], set()
    for score, i in scored:
        if score < threshold:
            break
        c = candidates[i]
        key = _key(c.value)
        if key not in seen:
            seen.add(key)
            ranked.append(Chosen(c.value, c.line, score))
    return ranked


def _add_rule_value(
    candidates: list[Candidate], where: PageLines, value: str | date | None, line: int | None
) -> None:
    """The rule's value as a candidate of its own when no candidate holds it (a value glued to its
    label, or cut differently), so that the model can always choose what the rule chose."""
    if value is None or line is None or any(_same(c.value, value) and c.line == line for c in candidates):
        return
    text = where.lines[line].layout_text()
    start = text.find(value) if isinstance(value, str) else -1
    if start < 0:
        start, end = 0, len(text)
    else:
        end = start + len(value)
    words = where.lines[line].words_covering(start, end)
    words = words or where.lines[line].words
    kind = "date" if isinstance(value, date) else "number"
    candidates.append(
        Candidate(kind, value, text[start:end], line, start, end, min(w.x0 for w in words),
                  max(w.x1 for w in words), min(w.top for w in words), max(w.bottom for w in words))
    )


def _key(value: str | date) -> object:
    return value if isinstance(value, date) else normalise_id(value)


def _same(a: str | date, b: str | date) -> bool:
    return _key(a) == _key(b)
