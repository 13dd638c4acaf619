"""Florence-2 where the text path is unsure: a second reading of a page, or of the bands around the values
that are missing, which the extraction then chooses from.

VLM_MODE decides where the model reads:
- "fallback": only pages read by OCR (a text layer is exact; the model cannot read it better), and only when
  a page was read with low OCR confidence (the whole page), a required field is missing (the bands around
  its label, or the page where it is usually printed), the totals fail the arithmetic (the bands around the
  total labels) or the lines do not sum to the total (the pages that hold the table and totals).
  E-invoices are never read again: their XML is what gets booked.
- "always": every page, whole, for comparison.

What the model reads: the page images OCR already rendered, turned upright and straightened
(ocr_engine.PreparedPage, kept by ocr_pages when the caller asks), cropped to each region, through
FlorenceEngine, the Florence-2 side of the OcrEngine interface Tesseract also implements. So a scanned page
is rendered once, and the model's boxes land on the OCR page's points. A page with a text layer ('always') is
rendered for the model alone.

How the second reading is used: the model's words replace the OCR words inside each region it read, the
invoice is extracted again from those pages, and its values are taken only where the first reading has
none, or where the first reading's totals (or lines) fail the arithmetic and the second's pass. Nothing the
first reading found and checked is overwritten. A value printed by words the model read has provenance
'vlm'; a value the second extraction found on OCR words keeps 'ocr'.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from PIL import Image

from .label_values import label_lines
from .labels import FIELD_LABELS, TOTAL_LABELS
from .ocr_engine import Box, OcrEngine, PreparedPage, RegionWords
from .result import InvoiceFields
from .text_lines import PageText, Word, build_lines

log = logging.getLogger(__name__)

VLM_MODES = ("off", "fallback", "always")
DEFAULT_MIN_OCR_CONFIDENCE = 70.0
"""A page OCR read with a lower mean word confidence is read by the model in fallback mode. The evaluation's
scans read at 73-94 with their checks passing; under 70 the OCR stage itself suspects a turned page."""
REQUIRED_FIELDS = ("invoice_number", "date", "total_with_vat")
"""Fields without which an invoice cannot be booked: one missing sends its region to the model."""
MAX_REGIONS = 6
"""Most images one document sends to the model in fallback mode; more would cost minutes per file on a CPU."""
MAX_IMAGE_SIDE = 1536
"""Images are shrunk to this many pixels on their long side before they go to the model process. Florence-2
sees 768 x 768 whatever it is given; this keeps what crosses the process boundary small."""
PAGE_TOKENS = 1024
"""Tokens the model may write for a whole page: each text region is its words plus 8 location tokens."""
BAND_TOKENS = 256
"""Tokens for a band around one label."""
BAND_ABOVE = 1.5
BAND_BELOW = 4.0
"""A band reaches this many of the label line's heights above and below it: the value is on the label's line
or in the cell under it."""
MIN_BAND_PT = 72.0
"""A band is at least an inch tall."""

# The labels that announce each field whose absence sends its band to the model.
_FIELD_LABEL_KINDS = {
    "invoice_number": ("invoice_number",),
    "date": ("date",),
    "total_with_vat": ("total_with_vat", "total"),
}
_TOTAL_LABEL_KINDS = ("total_without_vat", "total_vat", "total_with_vat", "total")
# Where a field is printed when its label was not read: the number and date head the first page, the total
# ends the last.
_FIRST_PAGE_FIELDS = ("invoice_number", "date")
_SCALAR_FIELDS = (
    "provider",
    "provider_vat_id",
    "customer",
    "invoice_number",
    "date",
    "due_date",
    "currency",
    "customer_vat_id",
    "purchase_order",
    "iban",
    "bic",
    "payment_terms",
)
_TOTAL_FIELDS = ("total_without_vat", "total_vat", "total_with_vat", "amount_due")


class VlmReader(Protocol):
    """What reads page images with Florence-2: invoice_reader.vlm.FlorenceModel in-process, or the client of a
    runner's model process. Raises invoice_reader.vlm.VlmError when it cannot."""

    def ocr_with_region(self, images: list[Image.Image], max_new_tokens: int = ...) -> list: ...


@dataclass(frozen=True)
class Region:
    """Part of a page to read with the model."""

    page: int
    """0-based page index."""
    box: Box | None
    """(x0, top, x1, bottom) in the page's points; None for the whole page."""
    reason: str
    """Why it is read: 'always', 'low_ocr_confidence', 'missing:<field>', 'arithmetic:totals' or
    'arithmetic:lines'; bands merged for several reasons join them with '+'."""

    def as_json(self) -> dict:
        box = [round(v, 1) for v in self.box] if self.box else None
        return {"page": self.page, "box": box, "reason": self.reason}


@dataclass
class SecondReading:
    """The pages with the model's words in place of the OCR words of the regions it read."""

    pages: list[PageText]
    regions: list[Region]
    words: int
    """How many words the model read in all."""
    model_seconds: float = 0.0
    """Seconds spent waiting for the model."""
    report: dict = field(default_factory=dict)


# -- where the model reads ----------------------------------------------------------------------------------


def fallback_reasons(
    document_type: str,
    fields: InvoiceFields | None,
    page_confidence: dict[int, float | None],
    min_confidence: float,
) -> list[str]:
    """Why the model should read this document in fallback mode; empty when it should not.

    page_confidence has each OCR page's mean word confidence (None: no word read); a document without OCR
    pages, or whose fields come from an e-invoice XML, is never sent."""
    if not page_confidence or (fields is not None and fields.source == "xml"):
        return []
    reasons = []
    if any(value is None or value < min_confidence for value in page_confidence.values()):
        reasons.append("low_ocr_confidence")
    if document_type == "invoice" and fields is not None:
        reasons += [f"missing:{name}" for name in REQUIRED_FIELDS if getattr(fields, name) is None]
        reasons += _failed_checks(fields)
    return reasons


def choose_regions(
    mode: str,
    pages: list[PageText],
    page_confidence: dict[int, float | None],
    fields: InvoiceFields | None,
    reasons: list[str],
    min_confidence: float,
) -> list[Region]:
    """The regions to read: every page in 'always' mode; in 'fallback' mode, for each reason, the regions of
    the OCR pages it concerns. A whole page takes the place of bands on it, overlapping bands become one,
    and at most MAX_REGIONS are kept, whole pages first."""
    if mode == "always":
        return [Region(page.index, None, "always") for page in pages]
    ocr_pages = [page for page in pages if page.index in page_confidence]
    if not ocr_pages:
        return []
    regions: list[Region] = []
    for reason in reasons:
        if reason == "low_ocr_confidence":
            regions += [
                Region(page.index, None, reason)
                for page in ocr_pages
                if page_confidence[page.index] is None or page_confidence[page.index] < min_confidence
            ]
        elif reason.startswith("missing:"):
            name = reason.removeprefix("missing:")
            bands = _label_bands(ocr_pages, _FIELD_LABEL_KINDS.get(name, (name,)), reason)
            page = ocr_pages[0] if name in _FIRST_PAGE_FIELDS else ocr_pages[-1]
            regions += bands or [Region(page.index, None, reason)]
        elif reason == "arithmetic:totals":
            # The totals block: the bands around the total labels, else the pages the totals were read on.
            bands = _label_bands(ocr_pages, _TOTAL_LABEL_KINDS, reason)
            regions += bands or [Region(index, None, reason) for index in _totals_pages(fields, ocr_pages)]
        elif reason == "arithmetic:lines":
            # Rows misread or missed: the whole table, on the pages that hold the totals.
            regions += [Region(index, None, reason) for index in _totals_pages(fields, ocr_pages)]
    return _tidy(regions)


def _failed_checks(fields: InvoiceFields) -> list[str]:
    """'arithmetic:totals' when the totals or VAT rates do not add up, 'arithmetic:lines' when the lines do not
    sum to the total."""
    validation = fields.validation
    failed = []
    if validation.get("vat", {}).get("is_valid") is False or any(
        rate.get("is_valid") is False for rate in validation.get("rates", [])
    ):
        failed.append("arithmetic:totals")
    if validation.get("lines", {}).get("is_valid") is False:
        failed.append("arithmetic:lines")
    return failed


def _label_bands(pages: list[PageText], kinds: tuple[str, ...], reason: str) -> list[Region]:
    """A band across the page around each line that prints one of the label kinds."""
    bands = []
    for page in pages:
        for labelled in label_lines(page.lines, FIELD_LABELS + TOTAL_LABELS):
            if any(label.kind in kinds for label in labelled.labels):
                line = labelled.line
                top = max(0.0, line.top - BAND_ABOVE * line.height)
                bottom = min(page.height, line.top + line.height * (1 + BAND_BELOW))
                if bottom - top < MIN_BAND_PT:
                    grow = (MIN_BAND_PT - (bottom - top)) / 2
                    top, bottom = max(0.0, top - grow), min(page.height, bottom + grow)
                bands.append(Region(page.index, (0.0, top, page.width, bottom), reason))
    return bands


def _totals_pages(fields: InvoiceFields | None, ocr_pages: list[PageText]) -> list[int]:
    """The OCR pages where the totals were read; the last OCR page when none was."""
    indexes = {page.index for page in ocr_pages}
    found = sorted(
        {
            source.page
            for name, source in (fields.provenance.items() if fields else [])
            if name in _TOTAL_FIELDS and source.page in indexes
        }
    )
    return found or [ocr_pages[-1].index]


def _tidy(regions: list[Region]) -> list[Region]:
    """Whole pages first, bands on pages not read whole merged where they overlap; at most MAX_REGIONS."""
    whole: dict[int, Region] = {}
    for region in regions:
        if region.box is None:
            whole.setdefault(region.page, region)
    bands: list[Region] = []
    for region in sorted((r for r in regions if r.box is not None), key=lambda r: (r.page, r.box[1])):
        if region.page in whole:
            continue
        last = bands[-1] if bands else None
        if last is not None and last.page == region.page and region.box[1] <= last.box[3]:
            box = (last.box[0], last.box[1], max(last.box[2], region.box[2]), max(last.box[3], region.box[3]))
            reason = last.reason if region.reason in last.reason.split("+") else f"{last.reason}+{region.reason}"
            bands[-1] = Region(last.page, box, reason)
        else:
            bands.append(region)
    return (sorted(whole.values(), key=lambda r: r.page) + bands)[:MAX_REGIONS]


# -- reading ------------------------------------------------------------------------------------------------


def read_regions(
    regions: list[Region],
    pages: list[PageText],
    prepared: Callable[[int], PreparedPage],
    engine: OcrEngine,
    check: Callable[[], None],
) -> SecondReading:
    """Let the engine (FlorenceEngine) read each region from its page's prepared image (prepared: page index
    -> the upright image, asked once per page: OCR's own for a scanned page, so that the words land on the
    OCR page's points), and put its words in place of the page's words inside the region. Raises what the
    engine raises (VlmError)."""
    images: dict[int, PreparedPage] = {}
    for region in regions:
        check()
        if region.page not in images:
            images[region.page] = prepared(region.page)
    started = time.perf_counter()
    reads = engine.read([(images[region.page], region.box) for region in regions])
    model_seconds = time.perf_counter() - started
    images.clear()

    new_words: dict[int, list[Word]] = {}
    removed: dict[int, list[Box | None]] = {}
    for region, read in zip(regions, reads, strict=True):
        new_words.setdefault(region.page, []).extend(read.words)
        removed.setdefault(region.page, []).append(region.box)
    second = [
        _replace_words(page, removed[page.index], new_words[page.index]) if page.index in removed else page
        for page in pages
    ]
    return SecondReading(
        pages=second,
        regions=regions,
        words=sum(len(words) for words in new_words.values()),
        model_seconds=round(model_seconds, 4),
    )


@dataclass(frozen=True)
class FlorenceEngine:
    """Florence-2 as an ocr_engine.OcrEngine, through a VlmReader: each region cropped from its prepared page
    and shrunk to MAX_IMAGE_SIDE, whole pages and bands sent in one call each (PAGE_TOKENS, BAND_TOKENS), the
    model's text regions cut into words in the page's points. No confidence: the model gives none.
    check is called after each call to the model and may raise to stop the work."""

    reader: VlmReader
    check: Callable[[], None] = lambda: None

    def read(self, regions: Sequence[tuple[PreparedPage, Box | None]]) -> list[RegionWords]:
        """The words of each region, in order. Raises VlmError from the reader."""
        images = [_shrunk(page, box) for page, box in regions]
        budgets = [PAGE_TOKENS if box is None else BAND_TOKENS for _, box in regions]
        words: list[list[Word]] = [[] for _ in regions]
        for tokens in sorted(set(budgets)):
            chosen = [i for i, budget in enumerate(budgets) if budget == tokens]
            answers = self.reader.ocr_with_region([images[i][0] for i in chosen], max_new_tokens=tokens)
            for i, answer in zip(chosen, answers, strict=True):
                _, (x_origin, y_origin), (x_scale, y_scale) = images[i]
                for line in answer.lines:
                    x0, top, x1, bottom = line.box
                    box = (
                        x_origin + x0 * x_scale,
                        y_origin + top * y_scale,
                        x_origin + x1 * x_scale,
                        y_origin + bottom * y_scale,
                    )
                    words[i] += words_of(line.text, box)
            self.check()
        return [RegionWords(region_words, None) for region_words in words]


def _shrunk(
    page: PreparedPage, box: Box | None
) -> tuple[Image.Image, tuple[float, float], tuple[float, float]]:
    """The region's image shrunk to MAX_IMAGE_SIDE, the page point at its top left, and its points per pixel
    on each axis."""
    image, origin = page.crop(box)
    width_pt, height_pt = image.width * page.points_per_pixel, image.height * page.points_per_pixel
    shrink = min(1.0, MAX_IMAGE_SIDE / max(image.width, image.height))
    if shrink < 1.0:
        size = (max(1, round(image.width * shrink)), max(1, round(image.height * shrink)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image, origin, (width_pt / image.width, height_pt / image.height)


def words_of(text: str, box: Box) -> list[Word]:
    """The words of one text region the model read, each given the share of the box its characters take."""
    x0, top, x1, bottom = box
    width = (x1 - x0) / max(1, len(text))
    words = []
    start = 0
    for token in text.split():
        start = text.index(token, start)
        end = start + len(token)
        words.append(Word(token, x0 + start * width, top, x0 + end * width, bottom, source="vlm"))
        start = end
    return words


def _replace_words(page: PageText, boxes: list[Box | None], words: list[Word]) -> PageText:
    """The page with the words whose middle lies in any of the boxes (every word for None) replaced."""
    kept = [word for line in page.lines for word in line.words]
    for box in boxes:
        if box is None:
            kept = []
        else:
            kept = [w for w in kept if not (box[1] <= w.middle <= box[3] and box[0] <= (w.x0 + w.x1) / 2 <= box[2])]
    return replace(page, lines=build_lines(kept + words))


# -- choosing between the readings --------------------------------------------------------------------------


def merge_readings(first: InvoiceFields, second: InvoiceFields) -> tuple[InvoiceFields, list[str]]:
    """The first reading, completed by the second; and the names of the fields taken from the second.

    Both must carry their validation (check_vat). The second reading's value is taken for a field the first
    lacks; its totals (with the VAT breakdown) replace the first's when the first's fail the VAT check and
    the second's pass it; its lines replace the first's when the first has none, or when the first's fail the
    lines check and the second's pass it. The caller validates the result again."""
    merged = replace(first, provenance=dict(first.provenance), lines=list(first.lines))
    used: list[str] = []

    def take(name: str) -> None:
        setattr(merged, name, getattr(second, name))
        merged.provenance.pop(name, None)
        if name in second.provenance:
            merged.provenance[name] = second.provenance[name]
        used.append(name)

    if _vat_valid(first) is not True and _vat_valid(second) is True:
        for name in _TOTAL_FIELDS:
            if getattr(second, name) != getattr(first, name):
                take(name)
        if second.vat_breakdown != first.vat_breakdown:
            merged.vat_breakdown = list(second.vat_breakdown)
            merged.provenance.pop("vat_breakdown", None)
            if "vat_breakdown" in second.provenance:
                merged.provenance["vat_breakdown"] = second.provenance["vat_breakdown"]
            used.append("vat_breakdown")
    for name in (*_SCALAR_FIELDS, *_TOTAL_FIELDS):
        if getattr(merged, name) is None and getattr(second, name) is not None:
            take(name)
    first_lines, second_lines = _lines_valid(first), _lines_valid(second)
    if second.lines and (not first.lines or (first_lines is not True and second_lines is True)):
        merged.lines = list(second.lines)
        used.append("lines")
    return merged, used


def found_fields(fields: InvoiceFields) -> list[str]:
    """The names of the fields that have a value, 'lines' when there are lines: what a reading contributes
    when it is the only one."""
    found = [name for name in (*_SCALAR_FIELDS, *_TOTAL_FIELDS) if getattr(fields, name) is not None]
    return found + ["vat_breakdown"] * bool(fields.vat_breakdown) + ["lines"] * bool(fields.lines)


def _vat_valid(fields: InvoiceFields) -> bool | None:
    return fields.validation.get("vat", {}).get("is_valid")


def _lines_valid(fields: InvoiceFields) -> bool | None:
    return fields.validation.get("lines", {}).get("is_valid")
