"""The HTML family of synthetic documents (benchmarks/synthetic_html): labels that add up, labels
that are printed, the same labels for the same seed, and the first family's label schema."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal

import pypdfium2 as pdfium
import pytest

from benchmarks import synthetic
from benchmarks.synthetic_html import chromium, make_document, make_html
from benchmarks.synthetic_html.content import INVOICE_KINDS, LOOKALIKE_KINDS

CENT = Decimal("0.01")

try:
    chromium.find_chromium()
except chromium.ChromiumMissing as e:  # CI installs it (infra/install.sh): there, a missing one fails
    if os.environ.get("CI") != "true":
        pytest.skip(str(e), allow_module_level=True)


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    finally:
        document.close()


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def invoices():
    docs = [make_document(seed, "invoice", document_kind=kind) for seed, kind in enumerate(INVOICE_KINDS)]
    docs.append(make_document(100, "invoice"))
    docs.append(make_document(5, "scanned", document_kind="receipt"))  # a small page: a quick scan
    return docs


@pytest.fixture(scope="module")
def lookalikes():
    return [make_document(seed, "lookalike", document_kind=kind) for seed, kind in enumerate(LOOKALIKE_KINDS)]


def test_every_kind_of_invoice_adds_up(invoices):
    d = Decimal
    assert {labels["document_kind"] for _, labels in invoices} == set(INVOICE_KINDS)
    for _, labels in invoices:
        f, adj = labels["fields"], labels["adjustments"]
        lines = f["lines"]
        assert lines, labels["document_kind"]
        for line, discount in zip(lines, labels["line_discounts"]):
            expected = d(line["quantity"]) * d(line["unit_price"]) * (100 - d(discount)) / 100
            assert expected.quantize(CENT, ROUND_HALF_UP) == d(line["total_ht"])
        lines_after = sum(d(line["total_ht"]) for line in lines) - d(adj["discount"]) + d(adj["surcharges"])
        net, vat, gross = d(f["total_without_vat"]), d(f["total_vat"]), d(f["total_with_vat"])
        # Lines are net, except on till receipts, which print prices with VAT.
        assert lines_after == (gross if labels["prices"] == "gross" else net), labels["document_kind"]
        assert net + vat == gross
        assert gross - d(adj["prepaid"]) + d(adj.get("arrears", "0")) == d(f["amount_due"])
        assert sum(d(b["base"]) for b in f["vat_breakdown"]) == net
        assert sum(d(b["amount"]) for b in f["vat_breakdown"]) == vat
        for b in f["vat_breakdown"]:
            rate, base, amount = d(b["rate"]), d(b["base"]), d(b["amount"])
            if labels["prices"] == "gross":
                assert ((base + amount) * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP) == amount
            else:
                assert (base * rate / 100).quantize(CENT, ROUND_HALF_UP) == amount
        assert (gross < 0) == (labels["subtype"] == "credit_note")


def test_labelled_values_are_printed(invoices):
    for pdf, labels in invoices:
        if labels["scanned"]:
            continue
        text, printed = _text(pdf), labels["printed"]
        where = f"{labels['document_kind']} {labels['template']} seed {labels['seed']}"
        assert _flat(printed["invoice_number"]) in text, where
        assert _flat(printed["date"]) in text, where
        assert _flat(printed["total_with_vat"]) in text, where
        assert _flat(labels["fields"]["provider"]) in text, where
        if labels["fields"]["customer"]:
            assert _flat(labels["fields"]["customer"]) in text, where


def test_scans_are_image_only(invoices):
    pdf, labels = invoices[-1]
    assert labels["scanned"] and labels["scan"]["dpi"] in (200, 300)
    assert _text(pdf).strip() == ""
    assert len(pdfium.PdfDocument(pdf)) == labels["pages"]


def test_lookalikes_are_other_documents(lookalikes):
    assert {labels["document_kind"] for _, labels in lookalikes} == set(LOOKALIKE_KINDS)
    for pdf, labels in lookalikes:
        assert labels["document_type"] == "other" and labels["subtype"] == labels["document_kind"]
        assert labels["fields"] == {}
        assert labels["layout"] in ("html-erp", "html-webapp", "html-word")
        assert _text(pdf)


def test_same_seed_same_labels(invoices):
    pdf, labels = invoices[0]
    again_pdf, again = make_document(labels["seed"], "invoice", document_kind=labels["document_kind"])
    assert again == labels
    assert _text(again_pdf) == _text(pdf)
    for seed in (7, 8):
        for kind in ("invoice", "scanned", "lookalike"):
            html_a, labels_a, _ = make_html(seed, kind)
            html_b, labels_b, _ = make_html(seed, kind)
            assert (html_a, labels_a) == (html_b, labels_b)
    assert make_html(1, "invoice")[1]["fields"] != make_html(2, "invoice")[1]["fields"]


def test_schema_is_the_first_family_s(invoices):
    _, first = synthetic.make_document(0)
    for _, labels in invoices:
        assert set(first) - {"font"} <= set(labels)
        assert set(labels["fields"]) == set(first["fields"])
        assert all(set(line) == set(first["fields"]["lines"][0]) for line in labels["fields"]["lines"])
        assert labels["family"] == "html" and labels["layout"].startswith("html-") and labels["template"]
        for name in ("total_without_vat", "total_vat", "total_with_vat", "amount_due"):
            assert isinstance(labels["fields"][name], str)


def test_generator_says_how_to_get_chromium(monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(chromium.ChromiumMissing, match="apt-get install chromium"):
        chromium.find_chromium()


def test_some_parties_trade_without_a_legal_form_and_some_windows_have_no_heading():
    """Sole traders' names carry no legal form, and a window letter's address often has no heading
    ("Bill to"): the second family must teach both, as the first does."""
    from benchmarks.synthetic_html.locales import _FORMS

    forms = {form for by_locale in _FORMS.values() for form in by_locale}
    bare, unheaded = 0, 0
    for seed in range(120):
        html, labels, _ = make_html(seed)
        provider = labels["fields"]["provider"] or ""
        bare += not any(provider.endswith(" " + form) for form in forms)
        unheaded += '<div class="sender">' in html and 'class="party bill_to" style=""><div>' in html
    assert 10 <= bare <= 60
    assert unheaded >= 10


def test_a_discount_and_charges_printed_under_the_items_leave_the_totals_and_the_labelled_lines():
    import random

    from benchmarks.synthetic_html import adjustments_in_table
    from benchmarks.synthetic_html.content import trade
    from benchmarks.synthetic_html.locales import LOCALES

    for seed in range(100):
        doc, labels = trade(random.Random(seed), LOCALES["de-DE"], "html-erp", "erp-sap", "invoice")
        if labels["adjustments"]["discount"] != "0" and doc.adjustment_rows[1:]:
            break
    items, totals = list(doc.items.rows), list(doc.totals)
    bold = [totals[i][0] for i in doc.emphasise]
    names = [row["designation"][0] for row in doc.adjustment_rows]
    assert [label for label, _ in totals[1 : 1 + len(names)]] == names  # under the subtotal, in the totals
    adjustments_in_table(doc)
    assert doc.items.rows == items + doc.adjustment_rows
    assert doc.totals == totals[1 + len(names) :]  # the subtotal goes with them
    assert [doc.totals[i][0] for i in doc.emphasise] == bold
    lines = labels["fields"]["lines"]
    assert len(lines) == len(items) and not {line["designation"] for line in lines} & set(names)
    assert doc.adjustment_rows[0]["total"][0].lstrip().startswith("-")  # the discount
