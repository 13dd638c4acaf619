"""How one document is to be read: the reader's options, in one typed, picklable object."""

from __future__ import annotations

from dataclasses import dataclass

from .layout_hints import LayoutHint
from .ocr import OCR_PAGE_TIMEOUT_S
from .vlm_stage import DEFAULT_MIN_OCR_CONFIDENCE, VLM_MODES


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What process_document may do with a document. The runner builds one from its settings and
    the job's request; the defaults are the settings' defaults."""

    ocr_languages: str = "auto"
    """Tesseract languages pages without a text layer may be read with: 'auto' (every installed one
    of eng, fra, deu, nld, ita, spa) or a '+'-separated list, e.g. 'fra+eng'. Of more than two, each
    document is read with the language it is written in and a second (ocr.ocr_pages;
    DocumentResult.ocr_languages)."""
    dpi: int = 300
    """Resolution at which pages are rendered for OCR and for the model."""
    use_embedded_xml: bool = True
    """Read an embedded Factur-X / ZUGFeRD / XRechnung / UBL XML when there is one; False reads the print."""
    ocr_timeout_s: float = OCR_PAGE_TIMEOUT_S
    """A page whose OCR takes longer is skipped (and listed in DocumentResult.skipped_pages)."""
    max_pages: int | None = None
    """More pages than this: TooManyPages. None: no limit."""
    max_page_pixels: int | None = None
    """A page to OCR that would render to more pixels than this: PageTooLarge. None: no limit."""
    vlm_mode: str = "off"
    """'off', 'fallback' (Florence-2 reads only where OCR is unsure) or 'always'; needs a reader."""
    vlm_min_ocr_confidence: float = DEFAULT_MIN_OCR_CONFIDENCE
    """In fallback mode, OCR pages with a lower mean word confidence (0..100) go to the model."""
    layout_hints: tuple[LayoutHint, ...] = ()
    """Where people's corrections showed a seller's fields to be printed (layout_hints.py): a document read as
    from that seller, with pages of the same size, takes the value printed there."""

    def __post_init__(self) -> None:
        if self.vlm_mode not in VLM_MODES:
            raise ValueError(f"Unknown VLM mode {self.vlm_mode!r}: use one of {', '.join(VLM_MODES)}")
        if self.dpi <= 0:
            raise ValueError(f"dpi must be positive; got {self.dpi}")
