"""ZUGFeRD 1.0 (rsm:CrossIndustryDocument) in its three profiles, embedded in real PDFs made here: every
field is read from the XML, as for ZUGFeRD 2 / Factur-X, credit notes with negative amounts. The
corpus holds no ZUGFeRD 1.0 document, so the documents are made up (tests/einvoice_pdfs.py)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from invoice_reader import process_document
from invoice_reader.einvoice import parse_cii, parse_einvoice, parse_zugferd1, read_embedded_invoice
from invoice_reader.result import VatRate
from tests.einvoice_pdfs import factur_x_xml, make_einvoice_pdf, zugferd1_xml
from tests.pdf_factory import InvoiceLine, InvoiceSpec

D = Decimal
ZUGFERD1_NAME = "ZUGFeRD-invoice.xml"

SPEC = {
    "seller": "Kessler Feinmechanik GmbH",
    "seller_vat_id": "DE814159265",
    "seller_address": ("Werkstattweg 7", "70173 Stuttgart, Germany"),
    "customer": "Brandt & Sohn Maschinenbau KG",
    "invoice_number": "ZF1-2019-0815",
    "date": date(2019, 5, 14),
    "due_date": date(2019, 6, 13),
    "currency": "EUR",
    "lines": [
        InvoiceLine("Drill press stand", D("2"), D("149.50"), D("19")),
        InvoiceLine("Safety goggles", D("10"), D("4.20"), D("19")),
        InvoiceLine("Technical manual", D("1"), D("18.00"), D("7")),
    ],
}
PAYMENT = {
    "customer_vat_id": "DE271828182",
    "purchase_order": "PO-77-3141",
    "iban": "DE75512108001245126199",
    "bic": "TESTDEFFXXX",
    "payment_terms": "Payable within 30 days net.",
}
LINES = [
    ("Drill press stand", D("2"), "C62", D("149.50"), D("19.00"), D("299.00")),
    ("Safety goggles", D("10"), "C62", D("4.20"), D("19.00"), D("42.00")),
    ("Technical manual", D("1"), "C62", D("18.00"), D("7.00"), D("18.00")),
]
BREAKDOWN = [VatRate(D("19.00"), D("341.00"), D("64.79")), VatRate(D("7.00"), D("18.00"), D("1.26"))]


def rows(invoice):
    return [(li.designation, li.quantity, li.unit, li.unit_price, li.vat_rate, li.total_ht) for li in invoice.lines]


def read_pdf(tmp_path, profile: str, *, type_code: str = "380", **xml_options):
    path = tmp_path / f"zugferd1-{profile.lower()}-{type_code}.pdf"
    make_einvoice_pdf(
        path,
        lambda spec: zugferd1_xml(spec, profile=profile, type_code=type_code, **xml_options),
        ZUGFERD1_NAME,
        **SPEC,
    )
    return process_document(path)


def assert_header(invoice, sign: int = 1):
    assert invoice.source == "xml"
    assert invoice.provider == "Kessler Feinmechanik GmbH"
    assert invoice.provider_vat_id == "DE814159265"  # the VAT id, not the tax office number before it
    assert invoice.customer == "Brandt & Sohn Maschinenbau KG"
    assert invoice.invoice_number == "ZF1-2019-0815"
    assert invoice.date == date(2019, 5, 14)
    assert invoice.due_date == date(2019, 6, 13)
    assert invoice.currency == "EUR"
    assert invoice.total_without_vat == sign * D("359.00")
    assert invoice.total_vat == sign * D("66.05")
    assert invoice.total_with_vat == sign * D("425.05")
    assert invoice.lines_total == sign * D("359.00")
    assert invoice.vat_breakdown == [VatRate(rate.rate, sign * rate.base, sign * rate.amount) for rate in BREAKDOWN]


@pytest.mark.parametrize("profile", ["COMFORT", "EXTENDED"])
def test_zugferd1_comfort_and_extended_pdfs_give_every_field_from_their_xml(tmp_path, profile):
    extra = {"tax_currency_total": ("CHF", D("71.90"))} if profile == "EXTENDED" else {}
    result = read_pdf(tmp_path, profile, **PAYMENT, **extra)
    invoice = result.invoice
    assert result.document_type == "invoice"
    assert_header(invoice)
    assert (invoice.type_code, invoice.subtype) == ("380", "invoice")
    assert invoice.amount_due == D("425.05")
    assert invoice.customer_vat_id == "DE271828182"
    assert invoice.purchase_order == "PO-77-3141"
    assert (invoice.iban, invoice.bic) == ("DE75512108001245126199", "TESTDEFFXXX")
    assert invoice.payment_terms == "Payable within 30 days net."
    assert rows(invoice) == LINES
    assert invoice.validation["vat"] == {"is_valid": True, "difference": "0.00"}
    assert invoice.validation["overall_valid"] is True
    assert invoice.validation["xml_vs_print"] == {}  # the printed page says the same
    assert result.text  # the printed page is still returned


def test_zugferd1_basic_has_no_line_prices_rates_or_amount_due(tmp_path):
    invoice = read_pdf(tmp_path, "BASIC").invoice
    assert_header(invoice)
    assert (invoice.type_code, invoice.subtype) == ("380", "invoice")
    # BASIC states neither line prices, line VAT rates nor an amount due: left empty, not guessed.
    assert rows(invoice) == [(name, qty, unit, None, None, total) for name, qty, unit, _, _, total in LINES]
    assert invoice.amount_due is None
    assert (invoice.customer_vat_id, invoice.purchase_order, invoice.iban, invoice.bic) == (None, None, None, None)
    assert invoice.payment_terms is None
    assert invoice.validation["vat"]["is_valid"] is True
    assert invoice.validation["xml_vs_print"] == {}


def test_zugferd1_fields_have_einvoice_provenance(tmp_path):
    invoice = read_pdf(tmp_path, "COMFORT", **PAYMENT).invoice
    with_values = {
        field.name
        for field in dataclasses.fields(invoice)
        if field.name not in {"validation", "confidence_score", "source", "provenance"}
        and getattr(invoice, field.name) not in (None, [], "")
    }
    assert set(invoice.provenance) == with_values
    assert all(source.source == "einvoice_xml" for source in invoice.provenance.values())
    assert all(line.provenance.source == "einvoice_xml" for line in invoice.lines)


def test_zugferd1_credit_note_has_the_credit_note_subtype_and_negative_amounts(tmp_path):
    invoice = read_pdf(tmp_path, "COMFORT", type_code="381", **PAYMENT).invoice
    assert (invoice.type_code, invoice.subtype) == ("381", "credit_note")
    assert_header(invoice, sign=-1)
    assert invoice.amount_due == D("-425.05")
    # Line totals negated; quantities and unit prices as stated.
    assert rows(invoice) == [(name, qty, unit, price, rate, -total) for name, qty, unit, price, rate, total in LINES]
    assert invoice.validation["vat"]["is_valid"] is True
    assert invoice.validation["overall_valid"] is True
    assert invoice.validation["xml_vs_print"] == {}  # the page prints the amounts positive, as the XML states them


def test_zugferd1_is_told_apart_from_cii_d16b():
    spec = InvoiceSpec(**SPEC)
    zugferd1, cii = zugferd1_xml(spec), factur_x_xml(spec)
    assert parse_einvoice(zugferd1).invoice_number == parse_einvoice(cii).invoice_number == "ZF1-2019-0815"
    assert parse_zugferd1(zugferd1) is not None and parse_zugferd1(cii) is None
    assert parse_cii(zugferd1) is None and parse_cii(cii) is not None
    # The same invoice reads the same in both syntaxes.
    for name in ("provider", "provider_vat_id", "customer", "date", "due_date", "currency", "total_without_vat",
                 "total_vat", "total_with_vat", "amount_due", "lines_total", "vat_breakdown", "type_code"):
        assert getattr(parse_einvoice(zugferd1), name) == getattr(parse_einvoice(cii), name), name
    assert rows(parse_einvoice(zugferd1)) == rows(parse_einvoice(cii)) == LINES


def test_zugferd1_attachment_is_found_by_its_standard_name_among_others():
    xml = zugferd1_xml(InvoiceSpec(**SPEC), profile="BASIC")
    read = read_embedded_invoice([("delivery-note.xml", b"<note/>"), (ZUGFERD1_NAME, xml)])
    assert read.fields is not None and read.fields.invoice_number == "ZF1-2019-0815"
