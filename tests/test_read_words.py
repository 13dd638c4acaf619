"""invoice_reader.read_words: the type and fields of a document from words read before (what the
evaluation scores cached pages with) are those process_document finds in the file."""

from dataclasses import replace
from pathlib import Path

from invoice_reader import ReadOptions, process_document, read_pages, read_words
from invoice_reader.pdf_text import PdfFile
from tests.pdf_factory import make_text_invoice


def test_words_read_before_give_the_fields_the_file_gives(tmp_path: Path):
    path = tmp_path / "invoice.pdf"
    spec = make_text_invoice(path, invoice_number="RW-0042", language="fr")
    with PdfFile.open(path) as pdf:
        pages, ocr = read_pages(pdf, ReadOptions())

    from_words = read_words(pages, ocr.pages)
    from_file = process_document(path)

    assert from_words.document_type == "invoice"
    assert from_words.invoice.invoice_number == spec.invoice_number
    assert from_words.invoice.total_with_vat == spec.total_with_vat
    # The same reading, but for what only the file has (timings, language, OCR details).
    assert from_words.invoice == from_file.invoice
    assert replace(from_words, timings={}, language=None, ocr_confidence=None, ocr_languages=None,
                   ocr_language_choice=None) == replace(
        from_file, timings={}, language=None, ocr_confidence=None, ocr_languages=None, ocr_language_choice=None
    )
