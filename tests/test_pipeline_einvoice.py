"""Factur-X / ZUGFeRD / XRechnung PDFs from the shared corpus: the embedded XML is read exactly."""

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from job_runner.pipeline import process_document
from job_runner.pipeline.einvoice import parse_cii

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"

SAMPLES = [
    ("akretion-factur-x", "invoice_EN16931.pdf"),
    ("horstoeko-zugferd", "pdf_fx_extended_1.pdf"),
    ("zugferd", "XML-Rechnung/FX/XRECHNUNG_Einfach.pdf"),
    ("zugferd", "ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_FR_BASICWL.pdf"),
    ("zugferd", "ZUGFeRDv2/correct/intarsys/EXTENDED/zugferd_2p0_EXTENDED_Fremdwaehrung.pdf"),
]


def expected_row(folder: str, file: str) -> dict:
    path = CORPUS / folder / "expected.jsonl"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (it lives beside the project, in ../shared/corpus)")
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["file"] == file:
            return row
    raise AssertionError(f"{file} is not in {path}")


def spaces(text: str | None) -> str | None:
    return re.sub(r"\s+", " ", text).strip() if text else text


def amount(value) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def day(value) -> date | None:
    return date.fromisoformat(value) if value else None


@pytest.mark.parametrize(("folder", "file"), SAMPLES, ids=[file.rsplit("/", 1)[-1] for _, file in SAMPLES])
def test_embedded_xml_fields_match_the_corpus_exactly(folder, file):
    row = expected_row(folder, file)
    result = process_document(CORPUS / folder / file)
    invoice = result.invoice
    assert result.document_type == "invoice"
    assert invoice.source == "xml"
    assert invoice.type_code == row["type_code"]
    assert invoice.provider == spaces(row["issuer"])
    assert invoice.provider_vat_id == row["issuer_vat_id"]
    assert invoice.customer == spaces(row["buyer"])
    assert invoice.invoice_number == row["invoice_number"]
    assert invoice.date == day(row["date"])
    assert invoice.due_date == day(row["date_due"])
    assert invoice.currency == row["currency"]
    assert invoice.total_without_vat == amount(row["amount_untaxed"])
    assert invoice.total_vat == amount(row["amount_tax"])
    assert invoice.total_with_vat == amount(row["amount"])
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
            amount(li["total_net"]),
        )
        for li in expected_lines
    ]
    assert result.text  # the printed page is still returned


def test_tax_total_is_the_one_in_the_invoice_currency():
    folder, file = SAMPLES[-1]
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert invoice.currency == "GBP"
    assert invoice.total_vat == amount(row["amount_tax"]) == Decimal("163.16")


def test_xml_reader_can_be_switched_off_to_read_the_printed_page():
    folder, file = SAMPLES[1]
    row = expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file, use_embedded_xml=False).invoice
    assert invoice.source == "text"
    assert invoice.invoice_number == row["invoice_number"]
    assert invoice.total_with_vat == amount(row["amount"])


def test_valid_einvoice_passes_the_vat_check():
    folder, file = SAMPLES[0]
    expected_row(folder, file)
    invoice = process_document(CORPUS / folder / file).invoice
    assert invoice.validation["vat"] == {"is_valid": True, "difference": "0.00"}
    assert invoice.confidence_score == 1.0


def test_xml_with_a_doctype_is_refused():
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
    )
    assert parse_cii(xml) is None


def test_xml_that_is_not_cii_is_ignored():
    assert parse_cii(b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>") is None
    assert parse_cii(b"not xml at all") is None
