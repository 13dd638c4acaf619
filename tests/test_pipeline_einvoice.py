"""E-invoices (Factur-X / ZUGFeRD / XRechnung CII, and UBL): the XML is read exactly, credit
notes get negative totals, and the printed page is compared with the XML."""

import dataclasses
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from invoice_reader import ReadOptions, process_document
from invoice_reader.einvoice import (
    MAX_EINVOICE_XML_BYTES,
    compare_with_print,
    parse_cii,
    parse_einvoice,
    parse_ubl,
    read_embedded_invoice,
)
from invoice_reader.result import InvoiceFields, VatRate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
XML_RECHNUNG = CORPUS / "zugferd" / "XML-Rechnung"

SAMPLES = [
    ("akretion-factur-x", "invoice_EN16931.pdf"),
    ("horstoeko-zugferd", "pdf_fx_extended_1.pdf"),
    ("zugferd", "XML-Rechnung/FX/XRECHNUNG_Einfach.pdf"),
    ("zugferd", "ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_FR_BASICWL.pdf"),
    ("zugferd", "ZUGFeRDv2/correct/intarsys/EXTENDED/zugferd_2p0_EXTENDED_Fremdwaehrung.pdf"),
    ("zugferd", "ZUGFeRDv2/correct/FNFE-factur-x-examples/Avoir_FR_type381_BASIC.pdf"),
    ("zugferd", "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Rechnungskorrektur.pdf"),
]
CREDIT_NOTE = SAMPLES[5]
CORRECTIVE_INVOICE = SAMPLES[6]
PRINT_DIFFERS = ("zugferd", "ZUGFeRDv2/correct/PHP_@gpFacturX/sample_inofficial_20190125_atgp_factur-x_v_1_0.pdf")


def need_corpus() -> None:
    if not CORPUS.exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (it lives beside the project, in ../shared/corpus)")


def expected_row(folder: str, file: str) -> dict:
    need_corpus()
    path = CORPUS / folder / "expected.jsonl"
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["file"] == file:
            return row
    raise AssertionError(f"{file} is not in {path}")


def spaces(text: str | None) -> str | None:
    return re.sub(r"\s+", " ", text).strip() if text else text


def amount(value, *, sign: int = 1) -> Decimal | None:
    """The corpus states credit-note amounts as the XML does (positive); sign=-1 applies our rule."""
    return sign * Decimal(str(value)) if value is not None else None


def day(value) -> date | None:
    return date.fromisoformat(value) if value else None


@pytest.mark.parametrize(("folder", "file"), SAMPLES, ids=[file.rsplit("/", 1)[-1] for _, file in SAMPLES])
def test_embedded_xml_fields_match_the_corpus_exactly(folder, file):
    row = expected_row(folder, file)
    result = process_document(CORPUS / folder / file)
    invoice = result.invoice
    sign = -1 if row["type_code"] in {"381", "261", "262", "396", "532"} else 1
    assert result.document_type == "invoice"
    assert invoice.source == "xml"
    assert invoice.type_code == row["type_code"]
    assert invoice.subtype == ("credit_note" if sign == -1 else "invoice")
    assert invoice.provider == spaces(row["issuer"])
    assert invoice.provider_vat_id == row["issuer_vat_id"]
    assert invoice.customer == spaces(row["buyer"])
    assert invoice.invoice_number == row["invoice_number"]
    assert invoice.date == day(row["date"])
    assert invoice.due_date == day(row["date_due"])
    assert invoice.currency == row["currency"]
    assert invoice.total_without_vat == amount(row["amount_untaxed"], sign=sign)
    assert invoice.total_vat == amount(row["amount_tax"], sign=sign)
    assert invoice.total_with_vat == amount(row["amount"], sign=sign)
    assert invoice.amount_due == amount(row["amount_due"], sign=sign)
    expected_lines = row["lines"] or []
    assert [
        (li.designation, li.quantity, li.unit, li.unit_price, li.vat_rate, li.total_ht) for li in invoice.lines
    ] == [
        (
            spaces(li["description"]),
            amount(li["quantity"]),
            li["unit_code"],
            amount(li["unit_price_net"]),
            amount(li["tax_percent"]),
            amount(li["total_net"], sign=sign),
        )
        for li in expected_lines
    ]
    if invoice.vat_breakdown:
        assert sum(rate.base for rate in invoice.vat_breakdown) == invoice.total_without_vat
        assert sum(rate.amount for rate in invoice.vat_breakdown) == invoice.total_vat
    assert result.text  # the printed page is still returned


@pytest.mark.parametrize(("folder", "file"), SAMPLES[:4], ids=[file.rsplit("/", 1)[-1] for _, file in SAMPLES[:4]])
def test_every_field_read_from_the_xml_has_einvoice_provenance(folder, file):
    expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    with_values = {
        field.name
        for field in dataclasses.fields(invoice)
        if field.name not in {"validation", "confidence_score", "source", "provenance"}
        and getattr(invoice, field.name) not in (None, [], "")
    }
    assert {"provider", "invoice_number", "total_with_vat", "amount_due", "vat_breakdown"} <= with_values
    assert set(invoice.provenance) == with_values
    assert all(source.source == "einvoice_xml" and source.page is None for source in invoice.provenance.values())
    assert all(line.provenance.source == "einvoice_xml" for line in invoice.lines)


def test_buyer_vat_id_order_payment_and_vat_breakdown_are_read_from_factur_x():
    folder, file = SAMPLES[0]
    expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert invoice.customer_vat_id == "FR 05 987 654 321"
    assert invoice.purchase_order == "PO201925478"
    assert invoice.due_date == date(2026, 3, 2)
    assert invoice.iban == "FR2012542547256985425874698"  # the XML writes it in groups of four
    assert invoice.bic == "BIC_MONCOMPTE"
    assert invoice.payment_terms == "PAIEMENT 30 JOURS NET"
    assert invoice.vat_breakdown == [
        VatRate(Decimal("20.00"), Decimal("11.00"), Decimal("2.20")),
        VatRate(Decimal("0.00"), Decimal("60.00"), Decimal("0.00")),
        VatRate(Decimal("10.00"), Decimal("27.00"), Decimal("2.70")),
        VatRate(Decimal("0.00"), Decimal("2.00"), Decimal("0.00")),
    ]


def test_xrechnung_payment_means_and_terms_are_read():
    folder, file = SAMPLES[2]
    expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert (invoice.iban, invoice.bic) == ("DE02120300000000202051", "BYLADEM1001")
    assert invoice.payment_terms.startswith("Zahlbar innerhalb 30 Tagen netto bis 04.04.2018")
    assert [(rate.rate, rate.base, rate.amount) for rate in invoice.vat_breakdown] == [
        (Decimal("7.00"), Decimal("275.00"), Decimal("19.25")),
        (Decimal("19.00"), Decimal("198.00"), Decimal("37.62")),
    ]


def test_amount_due_after_a_prepayment_is_the_due_payable_amount():
    folder, file = SAMPLES[3]
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert (invoice.customer_vat_id, invoice.purchase_order) == ("FR19787878784", "PO445")
    assert invoice.total_with_vat == Decimal("671.15")
    assert invoice.amount_due == amount(row["amount_due"]) == Decimal("470.15")


def test_tax_total_is_the_one_in_the_invoice_currency():
    folder, file = SAMPLES[4]
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert invoice.currency == "GBP"
    assert invoice.total_vat == amount(row["amount_tax"]) == Decimal("163.16")


def test_credit_note_has_the_credit_note_subtype_and_negative_totals():
    folder, file = CREDIT_NOTE
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert (invoice.type_code, invoice.subtype) == ("381", "credit_note")
    assert row["amount"] > 0  # the XML states a credit note's amounts positive
    assert invoice.total_with_vat == -amount(row["amount"]) == Decimal("-233.47")
    assert invoice.total_without_vat < 0 and invoice.total_vat < 0 and invoice.amount_due < 0
    assert all(line.total_ht < 0 and line.quantity > 0 for line in invoice.lines)
    assert invoice.validation["vat"]["is_valid"] is True
    assert invoice.validation["overall_valid"] is True


def test_corrective_invoice_keeps_the_signs_the_xml_states():
    folder, file = CORRECTIVE_INVOICE
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert (invoice.type_code, invoice.subtype) == ("384", "invoice")
    assert invoice.total_with_vat == amount(row["amount"]) == Decimal("-8.79")


def test_ubl_invoice_reads_the_same_as_its_cii_twin():
    need_corpus()
    ubl = parse_ubl((XML_RECHNUNG / "UBL" / "XRECHNUNG_Einfach.ubl.xml").read_bytes())
    cii = parse_cii((XML_RECHNUNG / "CII" / "XRECHNUNG_Einfach.cii.xml").read_bytes())
    row = expected_row("zugferd", "XML-Rechnung/FX/XRECHNUNG_Einfach.pdf")
    assert ubl.source == "xml" and ubl.provenance["invoice_number"].source == "einvoice_xml"
    assert (ubl.invoice_number, ubl.provider, ubl.provider_vat_id) == (
        row["invoice_number"],
        row["issuer"],
        row["issuer_vat_id"],
    )
    assert (ubl.total_without_vat, ubl.total_vat, ubl.total_with_vat, ubl.amount_due) == (
        amount(row["amount_untaxed"]),
        amount(row["amount_tax"]),
        amount(row["amount"]),
        amount(row["amount_due"]),
    )
    for name in ("customer", "date", "due_date", "currency", "type_code", "iban", "bic", "payment_terms"):
        assert getattr(ubl, name) == getattr(cii, name), name
    assert ubl.vat_breakdown == cii.vat_breakdown
    assert [(li.designation, li.quantity, li.unit, li.unit_price, li.vat_rate, li.total_ht) for li in ubl.lines] == [
        (li.designation, li.quantity, li.unit, li.unit_price, li.vat_rate, li.total_ht) for li in cii.lines
    ]


def test_ubl_credit_note_is_a_credit_note_with_negative_totals():
    need_corpus()
    note = parse_einvoice((XML_RECHNUNG / "UBL" / "ubl-tc434-creditnote1.xml").read_bytes())
    assert (note.type_code, note.subtype) == ("381", "credit_note")
    assert note.invoice_number == "018304 / 28865"
    assert note.total_with_vat == note.amount_due == Decimal("-100.11")
    assert (note.iban, note.bic) == ("BE91000000143476", "BPOTBEB1")
    assert [line.total_ht for line in note.lines] == [Decimal("-100.11")]


def test_ubl_attachment_of_an_odoo_pdf_is_read_without_its_section_rows():
    row = expected_row("invoice2data", "compare/AzureInterior.pdf")
    invoice = process_document(CORPUS / "invoice2data" / row["file"]).invoice
    assert invoice.source == "xml"
    assert (invoice.invoice_number, invoice.date, invoice.due_date, invoice.currency) == (
        row["invoice_number"],
        day(row["date"]),
        day(row["date_due"]),
        row["currency"],
    )
    assert invoice.total_with_vat == amount(row["amount"])
    assert [line.total_ht for line in invoice.lines] == [amount(line["total"]) for line in row["lines"]]


def test_printed_page_that_differs_from_the_xml_is_reported():
    row = expected_row(*PRINT_DIFFERS)
    assert row["visual_xml_mismatch"]
    invoice = process_document(CORPUS / PRINT_DIFFERS[0] / PRINT_DIFFERS[1]).invoice
    report = invoice.validation["xml_vs_print"]
    assert report["invoice_number"]["xml"] == "FA-2017-0010"
    assert report["invoice_number"]["print"] != "FA-2017-0010"
    assert invoice.invoice_number == "FA-2017-0010"  # the XML still wins


def test_printed_page_that_matches_the_xml_reports_no_disagreement():
    folder, file = SAMPLES[3]
    row = expected_row(folder, file)
    assert not row["visual_xml_mismatch"]
    assert process_document(CORPUS / folder / file).invoice.validation["xml_vs_print"] == {}


def test_print_comparison_ignores_spacing_case_missing_values_and_credit_note_sign():
    xml = InvoiceFields(
        invoice_number="AV-2017-0005",
        provider_vat_id="FR11999999998",
        date=date(2017, 11, 16),
        currency="EUR",
        total_with_vat=Decimal("-233.47"),
        total_vat=Decimal("-14.99"),
        subtype="credit_note",
    )
    printed = InvoiceFields(
        invoice_number="av-2017-0005 ",
        provider_vat_id="FR 11 999 999 998",
        date=None,
        currency="eur",
        total_with_vat=Decimal("233.47"),
        total_vat=Decimal("-14.990"),
    )
    assert compare_with_print(xml, printed) == {}
    printed.date = date(2017, 11, 17)
    printed.total_without_vat = Decimal("1")  # the XML has none: nothing to compare
    assert compare_with_print(xml, printed) == {"date": {"xml": "2017-11-16", "print": "2017-11-17"}}


def test_print_comparison_is_not_made_when_the_xml_reader_is_off():
    folder, file = SAMPLES[1]
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file, ReadOptions(use_embedded_xml=False)).invoice
    assert invoice.source == "text"
    assert "xml_vs_print" not in invoice.validation
    assert invoice.invoice_number == row["invoice_number"]
    assert invoice.total_with_vat == amount(row["amount"])


def test_valid_einvoice_passes_the_vat_check():
    folder, file = SAMPLES[0]
    expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert invoice.validation["vat"] == {"is_valid": True, "difference": "0.00"}
    assert invoice.confidence_score == 1.0


MINIMAL_CII = (
    b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"'
    b' xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">'
    b"<rsm:ExchangedDocument><ram:ID>F-1</ram:ID><ram:TypeCode>380</ram:TypeCode></rsm:ExchangedDocument>"
    b"</rsm:CrossIndustryInvoice>"
)


def test_oversized_attachment_is_skipped_with_a_reason_and_the_next_one_read():
    huge = MINIMAL_CII + b" " * (MAX_EINVOICE_XML_BYTES + 2**20)
    read = read_embedded_invoice([("factur-x.xml", huge), ("invoice.xml", MINIMAL_CII)])
    assert read.fields.invoice_number == "F-1"
    assert read.skipped == "e-invoice attachment 'factur-x.xml' not read: 21.0 MiB is over the 20 MiB limit"
    assert read_embedded_invoice([("factur-x.xml", huge)]).fields is None


def test_xml_with_a_doctype_is_refused_in_any_encoding():
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
    )
    assert parse_cii(xml.encode("utf-16")) is None
    assert parse_cii(xml.replace("UTF-16", "UTF-8").encode()) is None
    assert parse_einvoice(xml.replace("UTF-16", "UTF-8").encode()) is None


def test_xml_that_is_neither_cii_nor_ubl_is_ignored():
    assert parse_cii(b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>") is None
    assert parse_ubl(MINIMAL_CII) is None
    assert parse_einvoice(b"<Order xmlns='urn:example'/>") is None
    assert parse_einvoice(b"not xml at all") is None
