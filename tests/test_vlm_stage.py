"""Where Florence-2 reads (fallback and always modes) and how its reading joins the extraction
(invoice_reader/vlm_stage.py, process_document), on real PDFs and Tesseract.

No model runs here: the reader returns recorded Florence-style `<OCR_WITH_REGION>` output (text followed by
eight `<loc_N>` tokens per region, N in 1000 bins of the image it was given), through the real parser. The
recordings of whole pages are made from the born-digital twin of a scan: the text the scan printed, where it
printed it. The model itself is tested in test_vlm.py and test_vlm_service.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from invoice_reader import ReadOptions, process_document
from invoice_reader.ocr_engine import PreparedPage
from invoice_reader.pdf_text import PdfFile
from invoice_reader.result import DocumentError, FieldSource, InvoiceFields, LineItem
from invoice_reader.text_lines import PageText, Word, build_lines
from invoice_reader.vat import check_vat
from invoice_reader.vlm_stage import (
    MAX_REGIONS,
    FlorenceEngine,
    Region,
    choose_regions,
    fallback_reasons,
    found_fields,
    merge_readings,
    read_regions,
    words_of,
)
from invoice_reader.vlm import VlmError, VlmPage, parse_ocr_with_region
from tests.pdf_factory import erase_from_scan, make_scanned_invoice, make_text_invoice

# -- recorded Florence-style output --------------------------------------------------------------------------


def loc_region(text: str, box: tuple[float, float, float, float], size: tuple[float, float]) -> str:
    """One region as Florence-2 writes it: the text, then the quad's corners as bins of 1000."""
    width, height = size
    x0, top, x1, bottom = (int(box[0] / width * 1000), int(box[1] / height * 1000),
                           int(box[2] / width * 1000), int(box[3] / height * 1000))  # fmt: skip
    corners = [(x0, top), (x1, top), (x1, bottom), (x0, bottom)]
    return text + "".join(f"<loc_{min(999, x)}><loc_{min(999, y)}>" for x, y in corners)


def page_recording(page: PageText) -> str:
    """The page's cells as Florence-2 would write them for the whole page."""
    regions = []
    for line in page.lines:
        text, spans = line.layout()
        start = 0
        for cell in text.split("  "):
            if cell.strip():
                begin = text.index(cell, start)
                x0, x1 = line.x_range(spans, begin, begin + len(cell))
                regions.append(loc_region(cell.strip(), (x0, line.top, x1, line.top + line.height),
                                          (page.width, page.height)))  # fmt: skip
                start = begin + len(cell)
    return "</s><s>" + "".join(regions) + "</s>"


class RecordedReader:
    """Answers each image with a recorded output, parsed as the model's would be; records what it was asked."""

    def __init__(self, *outputs: str, error: Exception | None = None):
        self.outputs = list(outputs)
        self.error = error
        self.calls: list[tuple[list[Image.Image], int]] = []

    def ocr_with_region(self, images, max_new_tokens=1024):
        self.calls.append((list(images), max_new_tokens))
        if self.error is not None:
            raise self.error
        pages = []
        for image in images:
            text = self.outputs.pop(0) if self.outputs else "</s>"
            pages.append(VlmPage(parse_ocr_with_region(text, image.size), text, 0.01, len(images)))
        return pages

    @property
    def images(self) -> list[Image.Image]:
        return [image for images, _ in self.calls for image in images]


# -- documents -----------------------------------------------------------------------------------------------


def text_page(path: Path) -> PageText:
    with PdfFile.open(path) as pdf:
        return pdf.read_text_layer()[0]


def lines_with(page: PageText, *words: str):
    return [line for line in page.lines if any(word in line.layout_text() for word in words)]


@pytest.fixture(scope="module")
def twin(tmp_path_factory) -> tuple[Path, PageText]:
    """A born-digital invoice and its text layer: what the scans below print, and where."""
    path = tmp_path_factory.mktemp("twin") / "twin.pdf"
    make_text_invoice(path)
    return path, text_page(path)


@pytest.fixture(scope="module")
def scan_without_totals(tmp_path_factory, twin) -> tuple[Path, object]:
    """The twin scanned, with its totals block (labels and amounts) wiped off: OCR cannot find the total."""
    folder = tmp_path_factory.mktemp("scan")
    spec = make_scanned_invoice(folder / "scan.pdf", rotation_deg=0.0)
    totals = lines_with(twin[1], "Subtotal", "Total due")
    top = min(line.top for line in totals) - 4
    bottom = max(line.top + line.height for line in totals) + 4
    erase_from_scan(folder / "scan.pdf", folder / "no-totals.pdf", [(300, top, 560, bottom)])
    return folder / "no-totals.pdf", spec


@pytest.fixture(scope="module")
def clean_scan(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "scan.pdf"
    spec = make_scanned_invoice(path)
    return path, spec


# -- the whole path ------------------------------------------------------------------------------------------


def test_missing_total_is_taken_from_the_model_with_provenance_vlm(scan_without_totals, twin):
    path, spec = scan_without_totals
    first = process_document(path)
    assert first.invoice.total_with_vat is None  # the premise: OCR cannot read what is not there

    reader = RecordedReader(page_recording(twin[1]))
    result = process_document(path, ReadOptions(vlm_mode="fallback"), vlm=reader)

    invoice = result.invoice
    assert invoice.total_with_vat == spec.total_with_vat
    assert invoice.total_without_vat == spec.total_without_vat
    assert invoice.total_vat == spec.total_vat
    assert invoice.validation["vat"]["is_valid"] is True
    assert invoice.provenance["total_with_vat"].source == "vlm"
    # What the first reading found stays, with its own provenance.
    assert invoice.invoice_number == first.invoice.invoice_number == spec.invoice_number
    assert invoice.provenance["invoice_number"].source == "ocr"
    report = invoice.validation["vlm"]
    assert "missing:total_with_vat" in report["reasons"]
    assert report["regions"] == [{"page": 0, "box": None, "reason": "missing:total_with_vat"}]
    assert {"total_with_vat", "total_without_vat", "total_vat"} <= set(report["used"])
    assert "invoice_number" not in report["used"]
    assert report["words"] > 20
    assert result.vlm == report
    assert result.timings["vlm"] > 0
    # One image of the upright page, shrunk for the trip to the model, with the page's proportions.
    [(images, tokens)] = reader.calls
    assert len(images) == 1 and max(images[0].size) == 1536 and tokens == 1024
    assert images[0].size[1] / images[0].size[0] == pytest.approx(842 / 595, rel=0.01)


def test_a_page_ocr_cannot_read_at_all_is_read_by_the_model_alone(tmp_path, twin):
    """A wiped page: OCR reads nothing (no confidence at all), so the model reads the page, and since only its
    reading shows an invoice, everything comes from it."""
    scan = tmp_path / "scan.pdf"
    make_scanned_invoice(scan, rotation_deg=0.0)
    erase_from_scan(scan, tmp_path / "blank.pdf", [(0, 0, 595, 842)])
    with pytest.raises(DocumentError, match="no readable text"):
        process_document(tmp_path / "blank.pdf")

    result = process_document(tmp_path / "blank.pdf", ReadOptions(vlm_mode="fallback"), vlm=RecordedReader(page_recording(twin[1])))
    assert result.document_type == "invoice"
    assert result.vlm["reasons"] == ["low_ocr_confidence"]
    invoice = result.invoice
    assert (invoice.invoice_number, invoice.total_with_vat) == ("INV-2024-0042", Decimal("2899.80") * Decimal("1.2"))
    assert {"invoice_number", "date", "total_with_vat", "lines"} <= set(result.vlm["used"])
    assert invoice.provenance["invoice_number"].source == "vlm"
    assert "INV-2024-0042" in result.text


def test_each_page_is_rendered_once_for_ocr_and_the_model_together(tmp_path, twin, monkeypatch):
    """The model reads the upright images OCR prepared: each scanned page is rendered once (and turned once,
    so the sideways scan reaches the model upright), and a page with a text layer once, for the model only."""
    scan = tmp_path / "scan.pdf"
    make_scanned_invoice(scan, with_letter_page=True, rotate_quarter_turns=1)
    mixed = tmp_path / "mixed.pdf"  # the twin's text page, then the two sideways scanned pages
    document = pdfium.PdfDocument.new()
    for part in (twin[0], scan):
        source = pdfium.PdfDocument(str(part))
        document.import_pages(source)
        source.close()
    document.save(str(mixed))
    document.close()
    rendered: list[int] = []
    render_page = PdfFile.render_page

    def counted(pdf, index, dpi):
        rendered.append(index)
        return render_page(pdf, index, dpi)

    monkeypatch.setattr(PdfFile, "render_page", counted)
    reader = RecordedReader()
    result = process_document(mixed, ReadOptions(vlm_mode="always"), vlm=reader)

    assert result.ocr_pages == [1, 2] and len(result.vlm["regions"]) == 3
    assert sorted(rendered) == [0, 1, 2]
    assert [image.height > image.width for image in reader.images] == [True, True, True]


def test_model_error_keeps_the_ocr_reading_and_says_why(scan_without_totals):
    path, spec = scan_without_totals
    reader = RecordedReader(error=VlmError("The Florence-2 model process cannot be reached"))
    result = process_document(path, ReadOptions(vlm_mode="fallback"), vlm=reader)
    assert result.document_type == "invoice"
    assert result.invoice.total_with_vat is None
    assert result.invoice.invoice_number == spec.invoice_number
    assert result.invoice.validation["vlm"]["error"] == "The Florence-2 model process cannot be reached"
    assert "used" not in result.invoice.validation["vlm"]
    assert all(source.source != "vlm" for source in result.invoice.provenance.values())


def test_a_clean_scan_is_not_sent_in_fallback_but_is_in_always(clean_scan):
    path, spec = clean_scan
    reader = RecordedReader()
    result = process_document(path, ReadOptions(vlm_mode="fallback"), vlm=reader)
    assert reader.calls == []
    assert result.vlm is None and "vlm" not in result.invoice.validation and "vlm" not in result.timings
    assert result.invoice.total_with_vat == spec.total_with_vat

    always = process_document(path, ReadOptions(vlm_mode="always"), vlm=reader)
    assert len(reader.images) == 1
    # The model read nothing (the recording is empty): nothing is taken, the OCR values stay.
    assert always.vlm["used"] == [] and always.vlm["reasons"] == ["always"]
    assert always.invoice.total_with_vat == spec.total_with_vat
    assert always.invoice.provenance["total_with_vat"].source == "ocr"


def test_born_digital_pages_are_never_sent_in_fallback(twin, tmp_path):
    path = tmp_path / "bad-total.pdf"
    make_text_invoice(path)
    reader = RecordedReader()
    result = process_document(twin[0], ReadOptions(vlm_mode="fallback"), vlm=reader)
    assert reader.calls == [] and result.vlm is None


def test_mode_off_or_no_reader_never_calls(scan_without_totals):
    path, _ = scan_without_totals
    reader = RecordedReader()
    for vlm, mode in ((reader, "off"), (None, "fallback")):
        result = process_document(path, ReadOptions(vlm_mode=mode), vlm=vlm)
        assert result.vlm is None and "vlm" not in result.invoice.validation
    assert reader.calls == []
    with pytest.raises(ValueError, match="fallback"):
        process_document(path, ReadOptions(vlm_mode="sometimes"), vlm=reader)


def test_missing_number_sends_the_band_around_its_label(tmp_path, twin):
    """The number's value wiped, its label kept: only a band around the label goes to the model, with the
    smaller token budget, and its words land where the band is on the page."""
    scan = tmp_path / "scan.pdf"
    make_scanned_invoice(scan, rotation_deg=0.0)
    [number_line] = lines_with(twin[1], "Invoice No")
    value_left = number_line.words[-1].x0 - 2
    erase_from_scan(
        scan,
        tmp_path / "no-number.pdf",
        [(value_left, number_line.top - 3, 560, number_line.top + number_line.height + 3)],
    )
    first = process_document(tmp_path / "no-number.pdf")
    assert first.invoice.invoice_number is None

    # Where the band is: ask once with a model that fails (the report still lists the regions).
    failing = process_document(tmp_path / "no-number.pdf", ReadOptions(vlm_mode="fallback"), vlm=RecordedReader(error=VlmError("x")))
    [region] = failing.vlm["regions"]
    assert region["reason"] == "missing:invoice_number" and region["page"] == 0
    x0, top, x1, bottom = region["box"]
    assert top <= number_line.top and number_line.top + number_line.height <= bottom
    assert bottom - top < 842 / 4  # a band, not the page

    # What the model would write for that band: the twin's lines inside it, in the band's own bins.
    inside = [line for line in twin[1].lines if top <= line.top and line.top + line.height <= bottom]
    shifted = [Word(w.text, w.x0 - x0, w.top - top, w.x1 - x0, w.bottom - top) for line in inside for w in line.words]
    reader = RecordedReader(page_recording(PageText(0, build_lines(shifted), x1 - x0, bottom - top)))
    result = process_document(tmp_path / "no-number.pdf", ReadOptions(vlm_mode="fallback"), vlm=reader)

    [(images, tokens)] = reader.calls
    assert tokens == 256
    assert images[0].size[0] / images[0].size[1] == pytest.approx((x1 - x0) / (bottom - top), rel=0.02)
    assert result.invoice.invoice_number == "INV-2024-0042"
    source = result.invoice.provenance["invoice_number"]
    assert source.source == "vlm"
    word = number_line.words[-1]
    assert source.box[0] == pytest.approx(word.x0, abs=6) and source.box[1] == pytest.approx(word.top, abs=6)
    assert result.vlm["used"] == ["invoice_number"]


# -- the parts -----------------------------------------------------------------------------------------------


def page_of(*rows: tuple[str, float], index: int = 0, width: float = 600.0, height: float = 800.0) -> PageText:
    """A page with one line per (text, top), words 6 pt per character, 10 pt tall."""
    words = []
    for text, top in rows:
        x = 50.0
        for token in text.split():
            words.append(Word(token, x, top, x + 6 * len(token), top + 10))
            x += 6 * len(token) + 6
    return PageText(index, build_lines(words), width, height)


def invoice(**values) -> InvoiceFields:
    fields = InvoiceFields(**values)
    fields.validation = check_vat(fields)
    return fields


def test_fallback_reasons():
    complete = invoice(invoice_number="A1", date=None, total_without_vat=Decimal(100), total_vat=Decimal(20),
                       total_with_vat=Decimal(120))  # fmt: skip
    assert fallback_reasons("invoice", complete, {0: 95.0}, 80) == ["missing:date"]
    assert fallback_reasons("invoice", complete, {0: 60.0}, 80) == ["low_ocr_confidence", "missing:date"]
    assert fallback_reasons("other", None, {0: None}, 80) == ["low_ocr_confidence"]
    assert fallback_reasons("other", None, {0: 95.0}, 80) == []
    wrong = invoice(invoice_number="A1", total_without_vat=Decimal(100), total_vat=Decimal(20),
                    total_with_vat=Decimal(125))  # fmt: skip
    assert fallback_reasons("invoice", wrong, {0: 95.0}, 80) == ["missing:date", "arithmetic:totals"]
    lines_wrong = invoice(
        invoice_number="A1",
        date=date(2024, 1, 1),
        lines=[LineItem("Work", total_ht=Decimal(90))],
        total_without_vat=Decimal(100),
        total_vat=Decimal(20),
        total_with_vat=Decimal(120),
    )
    assert fallback_reasons("invoice", lines_wrong, {0: 95.0}, 80) == ["arithmetic:lines"]
    # No OCR page, or an e-invoice: never.
    assert fallback_reasons("invoice", wrong, {}, 80) == []
    assert fallback_reasons("invoice", replace(wrong, source="xml"), {0: 10.0}, 80) == []


def test_regions_whole_pages_first_bands_merged_and_capped():
    first = page_of(("Invoice No : ", 100), ("Date : 2024-01-01", 115), index=0)
    last = page_of(("Total due", 700), index=1)
    pages = [first, last]
    confidence = {0: 95.0, 1: 95.0}
    regions = choose_regions(
        "fallback", pages, confidence, invoice(), ["missing:invoice_number", "missing:total_with_vat"], 80
    )
    assert [(r.page, r.reason) for r in regions] == [(0, "missing:invoice_number"), (1, "missing:total_with_vat")]
    assert all(r.box is not None and r.box[0] == 0 and r.box[2] == 600 for r in regions)
    # A missing date with its label next to the number's: one band for both.
    both = choose_regions("fallback", pages, confidence, invoice(), ["missing:invoice_number", "missing:date"], 80)
    assert [r.reason for r in both] == ["missing:invoice_number+missing:date"]
    # A page read whole takes the place of its bands.
    low = choose_regions("fallback", pages, {0: 50.0, 1: 95.0}, invoice(),
                         ["low_ocr_confidence", "missing:invoice_number"], 80)  # fmt: skip
    assert low == [Region(0, None, "low_ocr_confidence")]
    # A label nowhere: the page where the field is usually printed (number: first; total: last).
    bare = [page_of(("Hello", 100), index=0), page_of(("World", 100), index=1)]
    assert [(r.page, r.box) for r in choose_regions("fallback", bare, confidence, invoice(),
                                                    ["missing:invoice_number", "missing:total_with_vat"], 80)] == [
        (0, None), (1, None)]  # fmt: skip
    # Totals that do not add up: the band around the total labels; lines that do not sum: the whole page.
    totals = choose_regions("fallback", pages, confidence, invoice(), ["arithmetic:totals"], 80)
    assert [(r.page, r.box is not None) for r in totals] == [(1, True)]
    table = choose_regions("fallback", pages, confidence, invoice(), ["arithmetic:lines"], 80)
    assert table == [Region(1, None, "arithmetic:lines")]
    many = [page_of(("x", 10), index=i) for i in range(10)]
    assert (
        len(choose_regions("fallback", many, {i: 10.0 for i in range(10)}, None, ["low_ocr_confidence"], 80))
        == MAX_REGIONS
    )
    assert len(choose_regions("always", many, {}, None, ["always"], 80)) == 10


def test_band_words_land_on_the_page_where_the_model_saw_them():
    page = page_of(("Header text here", 50), ("Total due ???", 400), ("Footer", 750))
    region = Region(0, (0.0, 380.0, 600.0, 460.0), "missing:total_with_vat")
    # The model sees only the band: 600 x 80 points. It reads "Total due 120.00" in the band's middle row.
    recording = loc_region("Total due", (50, 20, 110, 30), (600, 80)) + loc_region(
        "120.00", (500, 20, 540, 30), (600, 80)
    )
    prepared = PreparedPage(0, Image.new("L", (1200, 1600), 255), dpi=144)  # the page at 2 px per point
    reader = RecordedReader(recording)
    second = read_regions([region], [page], lambda index: prepared, FlorenceEngine(reader), lambda: None)

    [(images, tokens)] = reader.calls
    assert images[0].size == (1200, 160) and tokens == 256
    texts = [line.layout_text() for line in second.pages[0].lines]
    assert texts == ["Header text here", "Total due  120.00", "Footer"]  # the OCR line in the band is gone
    amount = second.pages[0].lines[1].words[-1]
    assert amount.source == "vlm"
    assert (amount.x0, amount.top, amount.x1, amount.bottom) == pytest.approx((500, 400, 540, 410), abs=1.0)
    assert second.pages[0].lines[0].words[0].source is None
    assert second.words == 3 and second.regions == [region]


def test_words_of_share_the_box_by_characters():
    words = words_of("ab  cd", (0, 0, 60, 10))
    assert [(w.text, w.x0, w.x1, w.source) for w in words] == [("ab", 0, 20, "vlm"), ("cd", 40, 60, "vlm")]
    assert words_of("   ", (0, 0, 10, 10)) == []


def vlm_source() -> FieldSource:
    return FieldSource("vlm", 0, (0, 0, 1, 1), 0.9)


def test_merge_fills_what_is_missing_and_keeps_what_was_read():
    first = invoice(
        invoice_number="A1", total_without_vat=Decimal(100), total_vat=Decimal(20), total_with_vat=Decimal(120)
    )
    second = invoice(invoice_number="XX", customer="Acme", total_without_vat=Decimal(1),
                     total_vat=Decimal(1), total_with_vat=Decimal(2))  # fmt: skip
    second.provenance = {"customer": vlm_source(), "total_with_vat": vlm_source()}
    merged, used = merge_readings(first, second)
    assert used == ["customer"]
    assert (merged.invoice_number, merged.customer, merged.total_with_vat) == ("A1", "Acme", Decimal(120))
    assert merged.provenance == {"customer": second.provenance["customer"]}
    assert first.customer is None  # the first reading is not changed


def test_merge_takes_totals_that_add_up_over_totals_that_do_not():
    first = invoice(total_without_vat=Decimal(100), total_vat=Decimal(20), total_with_vat=Decimal(126))
    second = invoice(total_without_vat=Decimal(100), total_vat=Decimal(20), total_with_vat=Decimal(120))
    second.provenance = {"total_with_vat": vlm_source()}
    merged, used = merge_readings(first, second)
    assert used == ["total_with_vat"] and merged.total_with_vat == Decimal(120)
    assert merged.provenance["total_with_vat"].source == "vlm"
    # Totals that fail on both sides: the first reading's stay.
    second.total_with_vat = Decimal(121)
    second.validation = check_vat(second)
    assert merge_readings(first, second) == (first, [])


def test_found_fields_name_what_a_reading_has():
    fields = invoice(invoice_number="A1", total_with_vat=Decimal(5), lines=[LineItem("Work", total_ht=Decimal(5))])
    assert found_fields(fields) == ["invoice_number", "total_with_vat", "lines"]
    assert found_fields(InvoiceFields()) == []


def test_merge_takes_lines_only_where_they_check_out_better():
    line = LineItem("Work", total_ht=Decimal(100))
    wrong = LineItem("Work", total_ht=Decimal(10))
    totals = {"total_without_vat": Decimal(100), "total_vat": Decimal(20), "total_with_vat": Decimal(120)}
    assert merge_readings(invoice(**totals), invoice(lines=[line], **totals))[1] == ["lines"]
    assert merge_readings(invoice(lines=[wrong], **totals), invoice(lines=[line], **totals))[1] == ["lines"]
    assert merge_readings(invoice(lines=[line], **totals), invoice(lines=[wrong], **totals))[1] == []
