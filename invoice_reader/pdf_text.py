"""The one module that calls PDFium: open a PDF, read its text layer with word positions,
render pages for OCR and read embedded files.

PDFium is not thread-safe, not even across documents, so every call into it holds
PDFIUM_LOCK. The lock is held for milliseconds per page; Tesseract runs outside it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from .result import CorruptPdf, EmptyPdf, EncryptedPdf, NotAPdf, TooManyPages
from .text_lines import PageText, Word, build_lines

PDFIUM_LOCK = threading.RLock()

MIN_TEXT_CHARS = 10
"""A page whose text layer has fewer non-space characters than this is read by OCR."""

HEADER_WINDOW_BYTES = 1024
"""The PDF specification lets readers find `%PDF-` anywhere in the first 1024 bytes."""
TRAILER_WINDOW_BYTES = 1024
"""A complete PDF ends with `%%EOF` within its last 1024 bytes (readers look for it there)."""

_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "the file could not be read",
    pdfium_c.FPDF_ERR_FORMAT: "its structure is broken",
    pdfium_c.FPDF_ERR_UNKNOWN: "unknown error",
}
_WORD_BREAKS = frozenset({0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x3000})
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head>", b"<body")
_KNOWN_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"PK\x03\x04": "a ZIP archive or an Office document",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"<?xml": "an XML file",
    b"{\\rtf": "an RTF document",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}


class PdfFile:
    """An open PDF. Use as a context manager; every method is safe to call from any thread."""

    def __init__(self, document: pdfium.PdfDocument):
        self._document = document

    @classmethod
    def open(cls, path: Path, *, max_pages: int | None = None) -> PdfFile:
        """Open the PDF at path.

        Raises NotAPdf (no %PDF- header), EncryptedPdf (needs a password),
        CorruptPdf (PDFium cannot parse it), EmptyPdf (it has no pages) or
        TooManyPages (more than max_pages; checked before any page is loaded).
        """
        with open(path, "rb") as f:
            head = f.read(HEADER_WINDOW_BYTES)
        if b"%PDF-" not in head:
            raise NotAPdf(_not_a_pdf_message(head))
        with PDFIUM_LOCK:
            raw = pdfium_c.FPDF_LoadDocument((str(path) + "\x00").encode("utf-8"), None)
            if not raw:
                raise _open_error(pdfium_c.FPDF_GetLastError(), cut_short=_is_cut_short(path))
            count = pdfium_c.FPDF_GetPageCount(raw)
            if count < 1:
                pdfium_c.FPDF_CloseDocument(raw)
                raise EmptyPdf("This PDF has no pages. Check that the right file was sent.")
            if max_pages is not None and count > max_pages:
                pdfium_c.FPDF_CloseDocument(raw)
                raise TooManyPages(
                    f"This PDF has {count:,} pages, more than the {max_pages:,} allowed in one file "
                    "(MAX_PDF_PAGES). Split it into smaller files, e.g. one per invoice, and send them again."
                )
            document = pdfium.PdfDocument(raw)
        return cls(document)

    def __enter__(self) -> PdfFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._document.close()

    @property
    def page_count(self) -> int:
        with PDFIUM_LOCK:
            return len(self._document)

    def page_size(self, index: int) -> tuple[float, float]:
        """The page's (width, height) in points, as render_page sizes its image; nothing is rendered."""
        with PDFIUM_LOCK:
            page = self._document[index]
            try:
                return page.get_size()
            finally:
                page.close()

    def read_text_layer(self) -> list[PageText]:
        """Every page's text layer as lines of positioned words (empty for scanned pages).

        Raises CorruptPdf when a page cannot be loaded.
        """
        pages = []
        with PDFIUM_LOCK:
            for index in range(len(self._document)):
                try:
                    page = self._document[index]
                except pdfium.PdfiumError as e:
                    raise CorruptPdf(
                        f"Page {index + 1} of this PDF is damaged and cannot be read. "
                        "Export or download the document again and resend it."
                    ) from e
                try:
                    pages.append(_read_page(page, index))
                finally:
                    page.close()
        return pages

    def render_page(self, index: int, dpi: int) -> Image.Image:
        """The page as a grayscale image at dpi dots per inch."""
        with PDFIUM_LOCK:
            page = self._document[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                image = bitmap.to_pil()
                # to_pil() may share the bitmap's buffer; copy before the bitmap is freed.
                image = image.copy()
                bitmap.close()
            finally:
                page.close()
        return image

    def image_boxes(self, index: int) -> list[tuple[float, float, float, float]]:
        """Where the page draws images (logos, letterheads, scans), as (x0, top, x1, bottom) in points
        from the page's top-left corner, clipped to the page. Images inside form objects are left out
        (their positions are in the form's space)."""
        with PDFIUM_LOCK:
            page = self._document[index]
            try:
                width, height = page.get_size()
                boxes = []
                for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=1):
                    left, bottom, right, top = image.get_bounds()
                    box = (max(0.0, left), max(0.0, height - top), min(width, right), min(height, height - bottom))
                    if box[2] > box[0] and box[3] > box[1]:
                        boxes.append(box)
            finally:
                page.close()
        return boxes

    def xml_attachments(self) -> list[tuple[str, bytes]]:
        """The embedded files named *.xml as (name, content); files that cannot be read are
        left out, and other files (delivery notes, images) are not loaded at all."""
        found = []
        with PDFIUM_LOCK:
            for index in range(self._document.count_attachments()):
                try:
                    attachment = self._document.get_attachment(index)
                    name = attachment.get_name()
                    if name.lower().endswith(".xml"):
                        found.append((name, bytes(attachment.get_data())))
                except pdfium.PdfiumError:
                    continue
        return found


def _read_page(page: pdfium.PdfPage, index: int) -> PageText:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        words = _read_words(textpage, height)
    finally:
        textpage.close()
    return PageText(index=index, lines=build_lines(words), width=width, height=height)


def _read_words(textpage: pdfium.PdfTextPage, page_height: float) -> list[Word]:
    """Group the page's characters into words by their loose boxes.

    Calls the raw PDFium functions in one loop because the helper methods allocate per
    character; this keeps a dense page to a few milliseconds.
    """
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    get_unicode = pdfium_c.FPDFText_GetUnicode
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    box = pdfium_c.FS_RECTF()
    words: list[Word] = []
    chars: list[str] = []
    x0 = top = x1 = bottom = 0.0

    def flush() -> None:
        if chars:
            words.append(Word(_join_utf16("".join(chars)), x0, top, x1, bottom))
            chars.clear()

    for i in range(count):
        code = get_unicode(raw, i)
        if code in _WORD_BREAKS or code < 0x20 or code == 0xFFFE or code == 0xFFFF:
            flush()
            continue
        if not get_box(raw, i, box):
            continue
        c_x0, c_x1 = box.left, box.right
        c_top, c_bottom = page_height - box.top, page_height - box.bottom
        c_height = c_bottom - c_top
        if chars:
            w_height = bottom - top
            same_band = abs((c_top + c_bottom) - (top + bottom)) / 2 <= 0.5 * min(c_height, w_height)
            gap = c_x0 - x1
            if not same_band or gap > 0.3 * w_height or c_x0 < x0 - 0.5 * w_height:
                flush()
        if chars:
            x1 = max(x1, c_x1)
            top = min(top, c_top)
            bottom = max(bottom, c_bottom)
        else:
            x0, top, x1, bottom = c_x0, c_top, c_x1, c_bottom
        chars.append(chr(code))
    flush()
    return words


def _join_utf16(text: str) -> str:
    """Combine the surrogate pairs PDFium reports as two characters (emoji, rare CJK)."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _is_cut_short(path: Path) -> bool:
    """Whether the file lacks the `%%EOF` a complete PDF ends with: an interrupted download or upload."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - TRAILER_WINDOW_BYTES))
        return b"%%EOF" not in f.read()


def _open_error(code: int, *, cut_short: bool = False) -> Exception:
    """The error for a PDFium load failure code (FPDF_GetLastError); cut_short when the file does not
    end like a PDF, which says why its structure is broken."""
    if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return EncryptedPdf(
            "This PDF is password-protected. Remove the password (e.g. with "
            "`qpdf --decrypt --password=YOUR_PASSWORD in.pdf out.pdf`) and send it again."
        )
    if code == pdfium_c.FPDF_ERR_FORMAT and cut_short:
        return CorruptPdf(
            "This PDF is damaged and cannot be read: it is incomplete, cut short as by an interrupted "
            "download or upload. Export or download it again and resend it."
        )
    reason = _LOAD_ERRORS.get(code, "unknown error")
    return CorruptPdf(f"This PDF is damaged and cannot be read ({reason}). Export or download it again and resend it.")


def _not_a_pdf_message(head: bytes) -> str:
    if not head:
        return (
            "This file is not a PDF (it is empty: 0 bytes), as after an upload or download that did not "
            "finish. Send the invoice again as a PDF file."
        )
    if any(marker in head.lower() for marker in _HTML_MARKERS):
        return (
            "This file is not a PDF but a web page (HTML), e.g. a login or error page saved instead of the "
            "document. Open the invoice in its portal or e-mail, download the PDF itself and send it again."
        )
    for signature, kind in _KNOWN_SIGNATURES.items():
        if head.startswith(signature):
            return f"This file is not a PDF (it starts with {head[:8]!r}, like {kind}). Send the invoice as a PDF file."
    return f"This file is not a PDF (it starts with {head[:16]!r}). Send the invoice as a PDF file."
