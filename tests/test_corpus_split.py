"""The corpus split (benchmarks/corpus.py) is fixed: the recorded file is what the rule gives, every
rendering of an invoice is in one half, and both halves hold each kind of document."""

from __future__ import annotations

import pytest

from benchmarks.corpus import (
    HALVES,
    NOT_DOCUMENTS,
    compute_split,
    invoice_key,
    load_corpus,
    load_split,
    source,
    split_group,
)
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=f"shared corpus not found at {CORPUS}")


def test_recorded_split_is_the_recomputed_one():
    # If this fails, a document moved between halves or the corpus changed: look at the diff of
    # `benchmarks/corpus.py --write`, never move a held-out document to dev to make a number better.
    assert load_split() == compute_split()


def test_every_rendering_of_an_invoice_is_in_the_same_half():
    halves_of_invoice: dict[tuple, set[str]] = {}
    halves_of_group: dict[str, set[str]] = {}
    for row in load_corpus():
        halves_of_invoice.setdefault(invoice_key(row), set()).add(row["half"])
        halves_of_group.setdefault(split_group(row), set()).add(row["half"])
    assert all(len(h) == 1 for h in halves_of_invoice.values())
    assert all(len(h) == 1 for h in halves_of_group.values())


def test_companion_files_follow_their_document():
    files = load_split()["files"]
    assert files["zugferd/XML-Rechnung/CII/XRECHNUNG_Einfach.cii.xml"]["half"] == (
        files["zugferd/XML-Rechnung/FX/XRECHNUNG_Einfach.pdf"]["half"]
    )
    assert files["zugferd/XML-Rechnung/UBL/XRECHNUNG_Einfach.ubl.xml"]["half"] == (
        files["zugferd/XML-Rechnung/FX/XRECHNUNG_Einfach.pdf"]["half"]
    )
    # Every corpus file but the licences, readmes and annotation files is assigned.
    every_file = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.parent != CORPUS and p.name not in NOT_DOCUMENTS
    }
    assert every_file == set(files)


def test_halves_partition_the_corpus_and_each_holds_both_sources():
    rows = load_corpus()
    by_half = {half: load_corpus(half) for half in HALVES}
    assert sorted(r["key"] for r in rows) == sorted(r["key"] for half in HALVES for r in by_half[half])
    for half, half_rows in by_half.items():
        pdfs = [r for r in half_rows if r["file"].endswith(".pdf")]
        assert {source(r) for r in pdfs} == {"invoice2data", "e-invoice"}, half
        # Distinct e-invoices: neither half is a token one.
        assert len({invoice_key(r) for r in pdfs if source(r) == "e-invoice"}) >= 10, half
    assert load_corpus("all") == rows
    with pytest.raises(ValueError):
        load_corpus("test")
