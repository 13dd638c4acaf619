"""The text path on real documents nobody here made: the shared corpus, read with the embedded
XML switched off, scored on annotated fields only. Thresholds sit a little under the current
figures so that a regression fails while small wording changes do not."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from invoice_reader import process_document
from tests.conftest import CORPUS

FIELDS = {
    "issuer": "provider",
    "issuer_vat_id": "provider_vat_id",
    "buyer": "customer",
    "invoice_number": "invoice_number",
    "date": "date",
    "date_due": "due_date",
    "currency": "currency",
    "amount": "total_with_vat",
    "amount_untaxed": "total_without_vat",
    "amount_tax": "total_vat",
    "amount_due": "amount_due",
}
NOT_INVOICES = ("751",)
"""Type codes of documents that are not invoices (751: a booking aid that says 'KEINE Rechnung')."""


def _normalise(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return f"{abs(Decimal(str(value))):.2f}"
    return re.sub(r"[\s.]+", " ", str(value)).strip().lower()


def _matches(key: str, expected, got) -> bool:
    if key.endswith("vat_id") and got is not None:
        return got.replace(" ", "") == str(expected).replace(" ", "")
    e, g = _normalise(expected), _normalise(got)
    if key in ("issuer", "buyer") and e and g:
        return e in g or g in e
    return e == g


def field_accuracy(folder: str) -> tuple[float, list[str]]:
    """Share of annotated fields read right on the folder's PDF invoices, and the misses."""
    right = total = 0
    misses = []
    for row in map(json.loads, (CORPUS / folder / "expected.jsonl").read_text().splitlines()):
        path = CORPUS / folder / row["file"]
        notes = (row.get("notes") or "").lower()
        if path.suffix != ".pdf" or row.get("visual_xml_mismatch") or "receipt" in notes:
            continue
        if row.get("type_code") in NOT_INVOICES:
            continue
        invoice = process_document(Path(path), use_embedded_xml=False).invoice
        for key, name in FIELDS.items():
            expected = row.get(key)
            if expected is None:
                continue
            got = getattr(invoice, name) if invoice else None
            ok = str(got) == expected if key in ("date", "date_due") else _matches(key, expected, got)
            right += ok
            total += 1
            if not ok:
                misses.append(f"{row['file']} {key}: {expected!r} != {got!r}")
    return right / total, misses


@pytest.mark.skipif(not CORPUS.exists(), reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize(("folder", "minimum"), [("zugferd", 0.97), ("invoice2data", 0.85)])
def test_printed_pages_of_the_corpus_are_read_without_templates(folder, minimum):
    accuracy, misses = field_accuracy(folder)
    assert accuracy >= minimum, "\n".join(misses)
