"""Scanned PDFs through real Tesseract (about 2 s per page on one core)."""

import time

import pytest
from PIL import Image, ImageDraw

from invoice_reader import ReadOptions, EmptyPdf, OcrFailed, process_document
from invoice_reader.extract import extract_invoice
from invoice_reader import ocr
from invoice_reader.ocr import OCR_PSM, TesseractEngine, ocr_pages, read_page_image
from invoice_reader.pdf_text import PdfFile
from invoice_reader.scan_cleanup import remove_rules
from tests.pdf_factory import SCAN_DPI, make_blank_pdf, make_scanned_invoice, make_text_invoice

A4_POINTS = (595.3, 841.9)


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    spec = make_scanned_invoice(path, with_letter_page=True)
    return path, spec


@pytest.fixture(scope="module")
def scanned_result(scan):
    path, _ = scan
    return process_document(path)


def _ocr_first_page(path):
    """The first page as OCR reads it, and how it was read."""
    with PdfFile.open(path) as pdf:
        ocr = ocr_pages(pdf, [0], languages="fra+eng", dpi=300)
    return ocr.pages[0], ocr.reads[0]


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


def test_scan_has_mean_word_confidence(scanned_result):
    assert 80 < scanned_result.ocr_confidence <= 100


def test_born_digital_pdf_has_no_ocr_confidence(tmp_path):
    path = tmp_path / "text.pdf"
    make_text_invoice(path)
    assert process_document(path).ocr_confidence is None


@pytest.mark.parametrize(("quarter_turns", "rotate_deg"), [(1, 90), (2, 180)])
def test_turned_page_is_read_upright(tmp_path, quarter_turns, rotate_deg):
    path = tmp_path / "turned.pdf"
    spec = make_scanned_invoice(path, rotate_quarter_turns=quarter_turns)
    page, read = _ocr_first_page(path)
    assert read.rotate_deg == rotate_deg
    assert (page.width, page.height) == pytest.approx(A4_POINTS, abs=1)
    invoice = extract_invoice([page])
    assert invoice.invoice_number == spec.invoice_number
    assert invoice.total_with_vat == spec.total_with_vat
    # Boxes are on the upright page: the number is printed top right.
    number = next(w for line in page.lines for w in line.words if w.text == spec.invoice_number)
    assert number.x0 > page.width / 2 and number.bottom < page.height / 4


def test_skewed_page_is_straightened(tmp_path):
    path = tmp_path / "skewed.pdf"
    spec = make_scanned_invoice(path, rotation_deg=2.0)
    page, read = _ocr_first_page(path)
    assert read.skew_deg == pytest.approx(2.0, abs=0.5)
    assert read.prepared is None  # nobody asked to keep the image: dropped once read
    invoice = extract_invoice([page])
    assert invoice.invoice_number == spec.invoice_number
    assert invoice.total_without_vat == spec.total_without_vat
    assert invoice.total_with_vat == spec.total_with_vat


def test_speckled_scan_is_cleaned_before_it_is_read(tmp_path):
    # 2 % of the pixels black or white: read as rendered, Tesseract loses the totals among the specks.
    path = tmp_path / "speckled.pdf"
    spec = make_scanned_invoice(path, salt_and_pepper=0.02)
    page, read = _ocr_first_page(path)
    assert read.confidence > 75
    invoice = extract_invoice([page])
    assert invoice.invoice_number == spec.invoice_number
    assert invoice.total_without_vat == spec.total_without_vat
    assert invoice.total_with_vat == spec.total_with_vat


def test_ruled_table_is_read_without_its_rules(tmp_path):
    # A grid drawn close to the cells: read with its rules, Tesseract loses a designation to them.
    path = tmp_path / "ruled.pdf"
    spec = make_scanned_invoice(path, ruled=True, noise=20.0, rotation_deg=1.2)
    page, read = _ocr_first_page(path)
    assert read.confidence > 90
    invoice = extract_invoice([page])
    assert [(line.designation, line.total_ht) for line in invoice.lines] == [
        (line.designation, line.total) for line in spec.lines
    ]
    assert invoice.total_with_vat == spec.total_with_vat


def test_rules_are_removed_and_letters_kept():
    image = Image.new("L", (1200, 600), 240)
    draw = ImageDraw.Draw(image)
    draw.line((50, 100, 1150, 100), fill=0, width=4)  # a table's rule, 3.7 inches long
    draw.line((600, 100, 600, 500), fill=0, width=4)  # a column rule
    draw.rectangle((50, 300, 500, 360), fill=0)  # a dark header band, 0.2 inch high: not a rule
    draw.line((800, 300, 800, 345), fill=0, width=6)  # a letter's stem, 0.15 inch: not a rule
    cleaned = remove_rules(image, SCAN_DPI)
    assert cleaned.getpixel((300, 100)) == 240 and cleaned.getpixel((600, 250)) == 240
    assert cleaned.getpixel((300, 330)) == 0 and cleaned.getpixel((800, 320)) == 0
    assert remove_rules(Image.new("L", (300, 300), 240), SCAN_DPI).getpixel((150, 150)) == 240


def test_tesseract_reads_a_box_of_the_kept_upright_page_in_page_points(tmp_path):
    path = tmp_path / "turned.pdf"
    spec = make_scanned_invoice(path, rotate_quarter_turns=2)
    with PdfFile.open(path) as pdf:
        read = ocr_pages(pdf, [0], languages="fra+eng", dpi=300, keep_images=True).reads[0]
    assert (read.prepared.rotate_deg, read.prepared.size_pt) == (180, pytest.approx(A4_POINTS, abs=1))
    number = next(w for line in read.page.lines for w in line.words if w.text == spec.invoice_number)
    box = (number.x0 - 30, number.top - 10, number.x1 + 30, number.bottom + 10)
    [band] = TesseractEngine("fra+eng", OCR_PSM, time.monotonic() + 60).read([(read.prepared, box)])
    [again] = [w for w in band.words if w.text == spec.invoice_number]
    assert (again.x0, again.x1, again.top) == pytest.approx((number.x0, number.x1, number.top), abs=2)
    assert band.confidence is not None  # Tesseract, unlike Florence-2, says how sure it is


def test_only_the_inked_part_of_a_page_is_cleaned_and_read_and_words_keep_their_place(scan, monkeypatch):
    path, spec = scan
    read_sizes = []
    recognise = ocr._recognise
    monkeypatch.setattr(ocr, "_recognise", lambda image, *a: read_sizes.append(image.size) or recognise(image, *a))
    with PdfFile.open(path) as pdf:
        rendered = pdf.render_page(0, SCAN_DPI)
        read = ocr_pages(pdf, [0], languages="fra+eng", dpi=300, keep_images=True).reads[0]
    [(width, height)] = read_sizes
    assert width * height < 0.9 * rendered.width * rendered.height  # the blank margins were not read
    # The words stay where they are on the page: the number is printed top right.
    number = next(w for line in read.page.lines for w in line.words if w.text == spec.invoice_number)
    whole = TesseractEngine("fra+eng", OCR_PSM, time.monotonic() + 60).read([(read.prepared, None)])[0]
    [again] = [w for w in whole.words if w.text == spec.invoice_number]
    assert (number.x0, number.top, number.x1) == pytest.approx((again.x0, again.top, again.x1), abs=1.5)


def test_upside_down_sparse_page_too_short_for_osd_is_read_upright(scan):
    path, spec = scan
    with PdfFile.open(path) as pdf:
        full = pdf.render_page(0, SCAN_DPI)
    # Only the invoice number's line: too few letters for Tesseract's orientation detection.
    sparse = Image.new("L", full.size, 255)
    sparse.paste(full.crop((1450, 320, 2320, 400)), (1450, 320))
    read = read_page_image(sparse.rotate(180), 0, "fra+eng", SCAN_DPI, 60)
    assert read.rotate_deg == 180
    assert spec.invoice_number in read.page.text


def test_tesseract_models_are_loaded_once_and_kept_for_the_next_pages(scan, monkeypatch):
    path, _ = scan
    loads = []
    load = ocr._load_tesseract
    monkeypatch.setattr(ocr, "_load_tesseract", lambda languages, psm: loads.append(languages) or load(languages, psm))
    monkeypatch.setattr(ocr, "TESSERACTS", ocr.LoadedTesseracts())
    with PdfFile.open(path) as pdf:
        for _ in range(3):
            result = ocr_pages(pdf, [0], languages="fra+eng", dpi=300)
    assert loads == ["fra+eng"]
    assert set(result.reads[0].seconds) >= {"layout", "upright", "cleanup", "recognise"}
    assert set(result.seconds) >= {"render", "recognise"}


def test_page_whose_ocr_times_out_is_skipped_not_failed(scan):
    path, _ = scan
    result = process_document(path, ReadOptions(ocr_timeout_s=0.01))
    assert result.skipped_pages == [0, 1]
    assert result.ocr_pages == []
    assert result.document_type == "other"
    assert result.ocr_confidence is None


def test_missing_language_data_raises_ocr_failed_saying_what_to_install(scan):
    path, _ = scan
    with pytest.raises(OcrFailed, match="could not load the language data 'xx_missing' .* Install the missing"):
        process_document(path, ReadOptions(ocr_languages="xx_missing"))


def test_blank_page_has_no_readable_text(tmp_path):
    path = tmp_path / "blank.pdf"
    make_blank_pdf(path)
    with pytest.raises(EmptyPdf, match="no readable text"):
        process_document(path)
