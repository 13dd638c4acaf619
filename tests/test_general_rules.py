"""Extraction follows general rules only: no code names a corpus document, a vendor or an expected value.
A template keyed on a vendor would score well on the corpus and fail on the next supplier."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import CORPUS

PROJECT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("job_runner", "ingest_api", "invoice_processor")
# Shorter strings (an invoice number "F", a buyer "ACME") would match ordinary code by chance.
MIN_LENGTH = 5


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def corpus_values() -> dict[str, str]:
    """Distinctive expected values of the corpus -> the document they come from."""
    values = {}
    for expected in CORPUS.glob("*/expected.jsonl"):
        for line in expected.read_text().splitlines():
            row = json.loads(line)
            where = f"{expected.parent.name}/{row['file']}"
            values[_normalise(Path(row["file"]).stem)] = where
            for key in ("issuer", "issuer_legal_name", "buyer", "invoice_number", "issuer_vat_id"):
                if isinstance(row.get(key), str):
                    values[_normalise(row[key])] = where
            for key in ("amount", "amount_untaxed", "amount_tax"):
                value = row.get(key)
                if isinstance(value, (int, float)) and value >= 100 and Decimal(str(value)) % 1:
                    values[f"{Decimal(str(value)):.2f}"] = where
    return {value: where for value, where in values.items() if len(value) >= MIN_LENGTH}


def code_files() -> list[Path]:
    return [p for folder in CODE_FOLDERS for p in sorted((PROJECT / folder).rglob("*.py"))]


@pytest.mark.skipif(not CORPUS.exists(), reason=f"shared corpus not found at {CORPUS}")
def test_no_code_names_a_corpus_document_vendor_or_expected_value():
    values = corpus_values()
    assert len(values) > 100  # the guard really has something to look for
    found = []
    for path in code_files():
        text = _normalise(path.read_text())
        for value, where in values.items():
            if value in text:
                found.append(f"{path.relative_to(PROJECT)} contains {value!r} (from {where})")
    assert found == []

