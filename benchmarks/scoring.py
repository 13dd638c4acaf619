"""How a predicted field is compared with an expected one, and how scores add up.

Comparison rules (one per kind of field):
- names (provider, customer): case-, accent- and whitespace-insensitive, punctuation ignored,
  and one trailing legal-form suffix (GmbH, SARL, Ltd, Inc., ...) dropped from both sides, so
  'Dupont SARL' = 'DUPONT', and one leading salutation (Herrn, Frau, Mr, Mme, ...) dropped, so
  'Herrn Max Muster' = 'Max Muster'. Nothing else is forgiven: a different or truncated name is wrong.
- identifiers (VAT ids, invoice/PO numbers, IBAN, BIC): upper-cased, spaces, dots and dashes
  ignored ('FR 12 345 678 901' = 'FR12345678901'); anything else must match exactly.
- amounts: equal as Decimal to the cent.  - dates: equal.  - currency, subtype: equal.
- vat_breakdown: the same multiset of (rate, base, amount).
Where the label has no printed due date but the payment terms are printed, the date plus the
term (label `due_date_from_terms`) is accepted as an alternative, and so is null.
Outcomes per field: 'correct', 'wrong' (a different value), 'missed' (null predicted for a
non-null expected), 'false_positive' (a value where the label is null) and 'correct_null'.
A null label counts only where labels are complete (the synthetic set, strict=True); in the
corpus a null means "not annotated" and the field is skipped.

Line items: a predicted line matches an expected one when their total_ht are equal and their
designations are similar: Dice overlap of normalised word tokens 2|A∩B|/(|A|+|B|) >= 0.5.
Each predicted line matches at most one expected line (greedy, in document order). Where the
labels hold an item's name alone while the page prints its description after it (the corpus: an
e-invoice's BT-153 without its BT-154), a predicted designation whose
words begin with the name's words matches too (`name_only_labels`); the synthetic labels hold the
whole printed designation, so there a designation with more words is still judged by the overlap.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from invoice_reader.fields import FIELDS, names_of_kind

NAME_FIELDS = names_of_kind("name")
ID_FIELDS = names_of_kind("id")
AMOUNT_FIELDS = names_of_kind("amount")
DATE_FIELDS = names_of_kind("date")
EXACT_FIELDS = names_of_kind("code")
SCORED_FIELDS = tuple(f.name for f in FIELDS if f.kind != "text")
"""Every declared field but free text (payment terms), in declaration order."""
LEGAL_FORMS = {
    "sarl",
    "sas",
    "sasu",
    "sa",
    "eurl",
    "sci",
    "snc",
    "gmbh",
    "ag",
    "kg",
    "ug",
    "ohg",
    "ev",
    "gbr",
    "mbh",
    "ltd",
    "limited",
    "llp",
    "plc",
    "inc",
    "llc",
    "corp",
    "co",
    "bv",
    "nv",
    "spa",
    "srl",
    "gmbhcokg",
    "haftungsbeschrankt",
}
SALUTATIONS = {"herr", "herrn", "frau", "mr", "mrs", "ms", "miss", "m", "mme", "mlle", "monsieur", "madame", "dhr",
               "mevr", "sig", "sigra", "sr", "sra", "d", "dna", "don", "dona"}
"""A person's form of address: part of how a letter is addressed, not of the name."""
LINE_SIMILARITY = 0.5


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def normalise_name(value: str) -> str:
    tokens = re.findall(r"[a-z0-9]+", _fold(value).replace("&", " "))
    while len(tokens) > 1 and tokens[-1] in LEGAL_FORMS:
        tokens.pop()
    if len(tokens) > 2 and tokens[0] in SALUTATIONS:
        tokens.pop(0)
    return " ".join(tokens)


def normalise_id(value: str) -> str:
    return re.sub(r"[\s.\-]", "", str(value)).upper()


def to_decimal(value) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def to_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _breakdown_key(items) -> list[tuple]:
    out = []
    for item in items or []:
        rate = item.get("rate")
        out.append(
            (
                Decimal(str(rate)).normalize() if rate is not None else None,
                to_decimal(item.get("base")),
                to_decimal(item.get("amount")),
            )
        )
    return sorted(out, key=repr)


def same_value(name: str, expected, predicted, alternatives: tuple = ()) -> bool:
    """Whether predicted counts as expected (or as one of the alternative expected values)."""
    for candidate in (expected, *alternatives):
        if candidate is None:
            continue
        if name in NAME_FIELDS and normalise_name(str(predicted)) == normalise_name(str(candidate)):
            return True
        if name in ID_FIELDS and normalise_id(predicted) == normalise_id(candidate):
            return True
        if name in AMOUNT_FIELDS and to_decimal(predicted) == to_decimal(candidate):
            return True
        if name in DATE_FIELDS and to_date(predicted) == to_date(candidate):
            return True
        if name in EXACT_FIELDS and str(predicted).strip().upper() == str(candidate).strip().upper():
            return True
        if name == "vat_breakdown" and _breakdown_key(predicted) == _breakdown_key(candidate):
            return True
    return False


def compare_field(name: str, expected, predicted, *, strict: bool, alternatives: tuple = ()) -> str | None:
    """The outcome for one field, or None when it is not scored (null label outside strict mode)."""
    empty = lambda v: v is None or v == "" or v == []
    if empty(expected):
        if not strict:
            return None
        if empty(predicted):
            return "correct_null"
        # An unprinted value the document still implies (a due date from "30 days net") is right too.
        return "correct" if same_value(name, None, predicted, alternatives) else "false_positive"
    if empty(predicted):
        return "missed"
    return "correct" if same_value(name, expected, predicted, alternatives) else "wrong"


# -- line items ----------------------------------------------------------------------------


def word_list(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _fold(text or ""))


def tokens(text: str) -> set[str]:
    return set(word_list(text))


def designation_similarity(a: str, b: str) -> float:
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return 2 * len(ta & tb) / (len(ta) + len(tb))


def designation_matches(expected: str, predicted: str, name_only_labels: bool = False) -> bool:
    if designation_similarity(expected, predicted) >= LINE_SIMILARITY:
        return True
    name = word_list(expected)
    return name_only_labels and bool(name) and word_list(predicted)[: len(name)] == name


def match_lines(
    expected: list[dict], predicted: list[dict], name_only_labels: bool = False
) -> list[tuple[int, int]]:
    """(expected index, predicted index) pairs: equal total_ht and similar designation."""
    used: set[int] = set()
    pairs = []
    for i, exp in enumerate(expected):
        total = _line_total(exp)
        for j, pred in enumerate(predicted):
            if j in used or total is None or to_decimal(pred.get("total_ht")) != total:
                continue
            if designation_matches(exp.get("designation", ""), pred.get("designation", ""), name_only_labels):
                used.add(j)
                pairs.append((i, j))
                break
    return pairs


def _line_total(line: dict) -> Decimal | None:
    """A line's net total, or quantity x unit price where the label gives only those (some
    annotations do)."""
    total = to_decimal(line.get("total_ht"))
    if total is not None:
        return total
    quantity, price = line.get("quantity"), line.get("unit_price")
    if quantity is None or price is None:
        return None
    try:
        return (Decimal(str(quantity)) * Decimal(str(price))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


@dataclass
class LineScore:
    expected: int = 0
    predicted: int = 0
    matched: int = 0
    attribute_correct: dict = field(default_factory=lambda: defaultdict(int))
    """On matched lines: how many had quantity / unit_price / vat_rate right."""

    name_only_labels: bool = False
    """The expected designations are item names without the description printed after them."""

    def add(self, expected: list[dict], predicted: list[dict]) -> None:
        pairs = match_lines(expected, predicted, self.name_only_labels)
        self.expected += len(expected)
        self.predicted += len(predicted)
        self.matched += len(pairs)
        for i, j in pairs:
            for attr in ("quantity", "unit_price", "vat_rate"):
                e, p = expected[i].get(attr), predicted[j].get(attr)
                if e is not None and p is not None and Decimal(str(e)) == Decimal(str(p)):
                    self.attribute_correct[attr] += 1

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if not p or not r:
            return 0.0 if (p is not None and r is not None) else None
        return 2 * p * r / (p + r)


# -- tallies -------------------------------------------------------------------------------


@dataclass
class FieldTally:
    """Weighted outcome counts per field, for one slice of documents."""

    counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))

    def add(self, name: str, outcome: str | None, weight: float = 1.0) -> None:
        if outcome is not None:
            self.counts[name][outcome] += weight

    def accuracy(self, name: str) -> float | None:
        c = self.counts.get(name)
        total = sum(c.values()) if c else 0
        return (c["correct"] + c["correct_null"]) / total if total else None

    def found_accuracy(self, name: str) -> float | None:
        """Accuracy over documents whose label has a value (nulls left out)."""
        c = self.counts.get(name)
        total = (c["correct"] + c["wrong"] + c["missed"]) if c else 0
        return c["correct"] / total if total else None

    def overall(self) -> float | None:
        right = sum(c["correct"] + c["correct_null"] for c in self.counts.values())
        total = sum(sum(c.values()) for c in self.counts.values())
        return right / total if total else None


def prediction_from_result(result) -> dict:
    """A DocumentResult as plain JSON-ready values in the label's shape."""
    inv = result.invoice
    out = {"document_type": result.document_type, "page_count": result.page_count, "fields": {}}
    if inv is None:
        return out
    s = lambda v: None if v is None else str(v)
    f = {name: getattr(inv, name, None) for name in NAME_FIELDS + ID_FIELDS + EXACT_FIELDS}
    f.update({name: s(getattr(inv, name, None)) for name in AMOUNT_FIELDS + DATE_FIELDS})
    f["vat_breakdown"] = [
        {"rate": s(v.rate), "base": s(v.base), "amount": s(v.amount)} for v in (inv.vat_breakdown or [])
    ]
    f["lines"] = [
        {
            "designation": line.designation,
            "quantity": s(line.quantity),
            "unit_price": s(line.unit_price),
            "total_ht": s(line.total_ht),
            "vat_rate": s(line.vat_rate),
        }
        for line in inv.lines
    ]
    out["fields"] = f
    return out
