"""Scanned PDFs through real Tesseract (about 2 s per page on one core)."""

import pytest

from job_runner.pipeline import EmptyPdf, OcrFailed, process_document
from tests.pdf_factory import make_blank_pdf, make_scanned_invoice


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    spec = make_scanned_invoice(path, with_letter_page=True)
    return path, spec


@pytest.fixture(scope="module")
def scanned_result(scan):
    path, _ = scan
    return process_document(path)


def test_scanned_invoice_key_fields_are_read_by_ocr(scanned_result, scan):
    _, spec = scan
    invoice = scanned_result.invoice
    assert scanned_result.document_type == "invoice"
    assert invoice.invoice_number == spec.invoice_number
    assert invoice.date == spec.date
    assert invoice.total_without_vat == spec.total_without_vat
    assert invoice.total_vat == spec.total_vat
    assert invoice.total_with_vat == spec.total_with_vat
    assert invoice.validation["vat"]["is_valid"] is True


def test_scanned_pages_are_all_read_by_ocr_in_page_order(scanned_result):
    assert scanned_result.ocr_pages == [0, 1]
    assert scanned_result.skipped_pages == []
    first, second = scanned_result.text.split("\f")
    assert "INVOICE" in first
    assert "Dear Ms Laurent" in second
    assert scanned_result.timings["ocr"] > 0


def test_page_whose_ocr_times_out_is_skipped_not_failed(scan):
    path, _ = scan
    result = process_document(path, ocr_timeout_s=0.01)
    assert result.skipped_pages == [0, 1]
    assert result.ocr_pages == []
    assert result.document_type == "other"


def test_tesseract_failure_raises_ocr_failed(scan):
    path, _ = scan
    with pytest.raises(OcrFailed, match="Tesseract failed on page 1"):
        process_document(path, ocr_languages="xx_missing")


def test_blank_page_has_no_readable_text(tmp_path):
    path = tmp_path / "blank.pdf"
    make_blank_pdf(path)
    with pytest.raises(EmptyPdf, match="no readable text"):
        process_document(path)
