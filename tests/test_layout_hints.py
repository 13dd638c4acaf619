"""Corrections teach: a person corrects a field the reader got wrong on one invoice of a seller; the seller's
next invoices of the same layout are read right without a correction, and nobody else's are touched
(real PDFs, the real reader, API, runner and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import create_app
from invoice_reader import ReadOptions, process_document
from invoice_reader.layout_hints import LayoutHint, apply_hints, locate, seller_key
from invoice_reader.pdf_text import PdfFile
from invoice_reader.result import InvoiceFields
from tests import pdf_factory

NUMBERS = [f"VG-2024{n:05d}" for n in (117, 130, 143, 156, 169)]


@pytest.fixture(scope="module")
def kestrel(tmp_path_factory):
    """Five invoices of one seller whose number is printed only as the payment reference, and one of another
    seller in the same layout."""
    folder = tmp_path_factory.mktemp("teach")
    paths = []
    for i, number in enumerate(NUMBERS):
        path = folder / f"kestrel-{i}.pdf"
        pdf_factory.make_reference_only_invoice(path, number=number, day=dt.date(2024, 4 + i, 3 + i))
        paths.append(path)
    other = folder / "osprey.pdf"
    pdf_factory.make_reference_only_invoice(
        other, number="OS-55501", day=dt.date(2024, 5, 2), seller="Osprey Logistik GmbH", seller_vat_id="DE136695976"
    )
    return paths, other


def _pages(path):
    with PdfFile.open(path) as pdf:
        return pdf.read_text_layer()


def test_the_reader_misses_the_number_of_this_layout(kestrel):
    paths, other = kestrel
    for path in [*paths, other]:
        invoice = process_document(path).invoice
        assert invoice.invoice_number is None and invoice.provider_vat_id is not None


def test_a_hint_reads_the_field_where_the_correction_showed_it_and_only_for_that_seller(kestrel):
    paths, other = kestrel
    first = _pages(paths[0])
    page, box = locate(first, "invoice_number", NUMBERS[0])
    assert page == 0 and box[1] > 600  # the foot of the page, in points from the top
    hint = LayoutHint(seller_key("DE 811 907 980", None), "invoice_number", page, box, (first[0].width, first[0].height))

    fields = InvoiceFields(provider_vat_id="DE811907980")
    assert apply_hints(fields, _pages(paths[3]), (hint,)) == ["invoice_number"]
    assert fields.invoice_number == NUMBERS[3] and fields.provenance["invoice_number"].page == 0

    stranger = InvoiceFields(provider_vat_id="DE136695976")
    assert apply_hints(stranger, _pages(other), (hint,)) == [] and stranger.invoice_number is None
    letter = LayoutHint(hint.seller, hint.field, hint.page, hint.box, (612.0, 792.0))  # another paper size
    assert apply_hints(InvoiceFields(provider_vat_id="DE811907980"), _pages(paths[3]), (letter,)) == []

    read = process_document(paths[4], ReadOptions(layout_hints=(hint,))).invoice
    assert read.invoice_number == NUMBERS[4]
    assert read.validation["layout_hints"] == ["invoice_number"] and read.validation["overall_valid"] is True


@pytest.fixture
def api(sessions, folder_store, runner_factory):
    runner_factory(folder_store)
    with TestClient(create_app(sessions, folder_store)) as client:
        yield client


def _send(api, *paths):
    response = api.post(
        "/api/v1/invoices/batch-upload",
        files=[("files", (path.name, io.BytesIO(path.read_bytes()), "application/pdf")) for path in paths],
    )
    assert response.status_code == 200, response.text
    return [api.get(f"/api/v1/invoices/{r['invoice_id']}").json() for r in response.json()["results"]]


def test_one_correction_and_the_sellers_next_invoices_are_right(api, kestrel):
    paths, other = kestrel
    (first,) = _send(api, paths[0])
    assert first["invoice_number"] is None
    response = api.patch(f"/api/v1/invoices/{first['id']}", json={"invoice_number": NUMBERS[0]})
    assert response.status_code == 200, response.text

    later = _send(api, *paths[1:], other)
    right = sum(invoice["invoice_number"] == number for invoice, number in zip(later, NUMBERS[1:]))
    print(f"corrections teach: {right} of {len(NUMBERS) - 1} later invoices right after one correction")
    assert right == len(NUMBERS) - 1
    assert all(invoice["validation"]["layout_hints"] == ["invoice_number"] for invoice in later[:-1])
    assert later[-1]["invoice_number"] is None  # another seller, same layout: not taught
