"""The pipeline on whole PDFs made by pdf_factory: born-digital invoices, a letter, broken files."""

from decimal import Decimal
from pathlib import Path

import pytest

from invoice_reader import (
    CorruptPdf,
    DocumentResult,
    EmptyPdf,
    EncryptedPdf,
    NotAPdf,
    process_document,
)
from tests.pdf_factory import (
    InvoiceSpec,
    make_corrupt_pdf,
    make_empty_pdf,
    make_encrypted_pdf,
    make_letter,
    make_text_invoice,
)

STAGES = {"read", "ocr", "xml", "classify", "extract", "validate"}


def assert_fields_match(result: DocumentResult, spec: InvoiceSpec) -> None:
    invoice = result.invoice
    assert result.document_type == "invoice"
    assert invoice is not None and invoice.source == "text"
    assert invoice.provider == spec.seller
    assert invoice.provider_vat_id == spec.seller_vat_id
    assert invoice.customer == spec.customer
    assert invoice.invoice_number == spec.invoice_number
    assert invoice.date == spec.date
    assert invoice.due_date == spec.due_date
    assert invoice.currency == spec.currency
    assert invoice.total_without_vat == spec.total_without_vat
    assert invoice.total_vat == spec.total_vat
    assert invoice.total_with_vat == spec.total_with_vat


@pytest.fixture(scope="module")
def english_invoice(tmp_path_factory) -> tuple[DocumentResult, InvoiceSpec]:
    path = tmp_path_factory.mktemp("en") / "invoice.pdf"
    spec = make_text_invoice(path)
    return process_document(path), spec


def test_text_invoice_gives_every_field(english_invoice):
    result, spec = english_invoice
    assert_fields_match(result, spec)
    assert result.ocr_pages == []
    assert result.page_count == 1


def test_text_invoice_gives_every_line_exactly(english_invoice):
    result, spec = english_invoice
    got = [(li.designation, li.quantity, li.unit_price, li.vat_rate, li.total_ht) for li in result.invoice.lines]
    expected = [(li.designation, li.quantity, li.unit_price, li.vat_rate, li.total) for li in spec.lines]
    assert got == expected


def test_text_invoice_passes_the_vat_check_with_high_confidence(english_invoice):
    invoice = english_invoice[0].invoice
    assert invoice.validation["vat"] == {"is_valid": True, "difference": "0.00"}
    assert invoice.validation["lines"]["is_valid"] is True
    assert invoice.validation["overall_valid"] is True
    assert invoice.confidence_score >= 0.95


def test_text_invoice_reports_a_timing_per_stage(english_invoice):
    result = english_invoice[0]
    assert set(result.timings) == STAGES
    assert all(seconds >= 0 for seconds in result.timings.values())
    assert "Invoice No" in result.text


def test_french_invoice_gives_every_field_and_line(tmp_path):
    path = tmp_path / "facture.pdf"
    spec = make_text_invoice(
        path,
        language="fr",
        seller="Boulangerie Martin SAS",
        seller_vat_id="FR61987654321",
        customer="Café Lumière SARL",
        customer_address=("8 quai Saint-Vincent", "69001 Lyon"),
        invoice_number="FA-2024-117",
    )
    result = process_document(path)
    assert_fields_match(result, spec)
    assert spec.total_with_vat > Decimal("1000")  # printed as "3 479,76 €"
    assert [li.total_ht for li in result.invoice.lines] == [li.total for li in spec.lines]
    assert [li.unit_price for li in result.invoice.lines] == [li.unit_price for li in spec.lines]


def test_dollar_invoice_with_other_values(tmp_path):
    path = tmp_path / "usd.pdf"
    spec = make_text_invoice(path, currency="USD", invoice_number="2024/118", seller="Blue Ocean Software Inc.")
    result = process_document(path)
    assert_fields_match(result, spec)


def test_letter_is_other_with_its_sender(tmp_path):
    path = tmp_path / "letter.pdf"
    make_letter(path)
    result = process_document(path)
    assert result.document_type == "other"
    assert result.invoice is None
    assert result.provider == "Harbour Lights Consulting Ltd"


def test_png_renamed_to_pdf_is_not_a_pdf(tmp_path):
    path = tmp_path / "photo.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(NotAPdf, match=r"This file is not a PDF \(it starts with .*PNG image"):
        process_document(path)


def test_text_file_is_not_a_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("Invoice 42, total 12.00 EUR")
    with pytest.raises(NotAPdf, match=r"it starts with b'Invoice 42"):
        process_document(path)


def test_empty_file_is_not_a_pdf(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(NotAPdf, match="it is empty"):
        process_document(path)


def test_damaged_pdf_raises_corrupt_pdf(tmp_path):
    path = tmp_path / "damaged.pdf"
    make_corrupt_pdf(path)
    with pytest.raises(CorruptPdf, match="damaged.*download it again"):
        process_document(path)


def test_password_protected_pdf_says_how_to_remove_the_password(tmp_path):
    path = tmp_path / "locked.pdf"
    make_encrypted_pdf(path)
    with pytest.raises(EncryptedPdf, match="qpdf --decrypt"):
        process_document(path)


def test_pdf_without_pages_raises_empty_pdf(tmp_path):
    path = tmp_path / "no-pages.pdf"
    make_empty_pdf(path)
    with pytest.raises(EmptyPdf, match="no pages"):
        process_document(path)


def test_errors_are_document_errors_with_the_message_for_the_sender(tmp_path):
    from invoice_reader import DocumentError

    path = tmp_path / "locked.pdf"
    make_encrypted_pdf(path)
    with pytest.raises(DocumentError) as raised:
        process_document(path)
    assert str(raised.value).startswith("This PDF is password-protected.")


def test_text_layer_reading_is_fast(tmp_path):
    path = tmp_path / "invoice.pdf"
    make_text_invoice(path)
    result = process_document(path)
    assert result.timings["read"] < 0.1


def test_documents_processed_in_parallel_threads_match_one_after_the_other(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    paths = []
    for i in range(6):
        path = tmp_path / f"invoice{i}.pdf"
        make_text_invoice(path, invoice_number=f"INV-{i:03d}", language="fr" if i % 2 else "en")
        paths.append(path)
    sequential = [process_document(path).invoice for path in paths]
    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = [result.invoice for result in pool.map(process_document, paths * 3)]
    assert [invoice.invoice_number for invoice in sequential] == [f"INV-{i:03d}" for i in range(6)]
    assert parallel == sequential * 3


def test_path_may_be_given_as_a_string(tmp_path):
    path = tmp_path / "invoice.pdf"
    make_text_invoice(path)
    assert process_document(str(path)).document_type == "invoice"


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        process_document(Path(tmp_path / "absent.pdf"))
