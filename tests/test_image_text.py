"""A seller shown only in a picture on a born-digital page (a letterhead image, a logo with the address):
the reader reads the page's images with Tesseract when the text layer leaves the invoice without its
seller, and only then (invoice_reader.image_text)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from invoice_reader import ReadOptions, process_document
from invoice_reader.image_text import image_regions
from invoice_reader.pdf_text import PdfFile
from tests.pdf_factory import make_text_invoice


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_seller_printed_only_in_an_image_is_read_from_it(tmp_path, language):
    path = tmp_path / "letterhead.pdf"
    spec = make_text_invoice(path, letterhead="image", language=language)

    result = process_document(path)

    invoice = result.invoice
    assert (invoice.provider, invoice.provider_vat_id) == (spec.seller, spec.seller_vat_id)
    assert invoice.provenance["provider"].source == "image_ocr"
    assert invoice.provenance["provider"].page == 0
    report = invoice.validation["image_text"]
    assert set(report["used"]) >= {"provider", "provider_vat_id"}
    assert len(report["images"]) == 1 and report["words"] > 5
    x0, top, x1, bottom = report["images"][0]["box"]
    name = invoice.provenance["provider"].box
    assert x0 <= name[0] < name[2] <= x1 and top <= name[1] < name[3] <= top + 0.3 * (bottom - top)
    assert "image_text" in result.timings
    # The rest of the invoice is the text layer's, as before.
    assert invoice.total_with_vat == spec.total_with_vat
    assert invoice.provenance["total_with_vat"].source == "text_layer"


def test_images_are_not_read_when_the_text_names_the_seller(tmp_path):
    path = tmp_path / "logo.pdf"
    spec = make_text_invoice(path, letterhead="text+logo")
    with PdfFile.open(path) as pdf:
        assert pdf.image_boxes(0), "the logo is an image on the page"

    result = process_document(path)

    assert result.invoice.provider == spec.seller
    assert "image_text" not in result.timings
    assert "image_text" not in result.invoice.validation


def test_a_failed_image_reading_keeps_the_first_reading(tmp_path):
    path = tmp_path / "letterhead.pdf"
    spec = make_text_invoice(path, letterhead="image")

    result = process_document(path, ReadOptions(ocr_timeout_s=0.0))

    invoice = result.invoice
    assert invoice.provider is None
    assert invoice.invoice_number == spec.invoice_number
    assert "error" in invoice.validation["image_text"]


def _page_with_images(path, words_over_background: bool) -> None:
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    grey = ImageReader(Image.new("L", (200, 200), 200))
    c.drawImage(grey, 0, 0, width=width, height=height)  # a background over the whole page
    c.drawImage(grey, 50, height - 60, width=10, height=10)  # an icon
    c.drawImage(grey, 300, height - 120, width=200, height=60)  # a logo
    c.drawImage(grey, 50, 300, width=300, height=80)  # a box the text is printed on
    if words_over_background:
        c.drawString(60, 340, "Printed on a tinted box: three words")
    c.drawString(60, 600, "Invoice text")
    c.showPage()
    c.save()


def test_only_images_that_may_hold_unread_text_are_read(tmp_path):
    path = tmp_path / "images.pdf"
    _page_with_images(path, words_over_background=True)
    with PdfFile.open(path) as pdf:
        pages = pdf.read_text_layer()
        assert len(pdf.image_boxes(0)) == 4
        regions = image_regions(pdf, pages, read_by_ocr=set())
        assert [tuple(round(v) for v in r.box) for r in regions] == [(300, 60, 500, 120)]
        assert image_regions(pdf, pages, read_by_ocr={0}) == []  # a page read by OCR has no images to read


def test_image_boxes_are_in_the_pages_top_left_points(tmp_path):
    path = tmp_path / "images.pdf"
    _page_with_images(path, words_over_background=False)
    with PdfFile.open(path) as pdf:
        boxes = sorted(tuple(round(v) for v in box) for box in pdf.image_boxes(0))
    assert boxes == [(0, 0, 595, 842), (50, 50, 60, 60), (50, 462, 350, 542), (300, 60, 500, 120)]
