"""What an HTML-family document shows, already worded and formatted; templates.py lays it out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Party:
    role: str
    """'bill_to', 'ship_to', 'remit_to', 'supplier', 'policyholder', ..."""
    heading: str
    lines: list[str]


@dataclass
class Table:
    columns: list[str]
    headers: dict[str, str]
    rows: list[dict[str, list[str]]]
    """Cell lines per column; a row {'_section': [text]} is a heading row across the table."""
    numeric: tuple[str, ...] = ("qty", "unit", "price", "discount", "vat", "total", "gross", "base", "amount", "rate")
    title: str = ""
    closing: list[tuple[str, str]] = field(default_factory=list)
    """Rows under the table: (label, value), the last one bold."""
    numbers_on_top: bool = False
    """The numbers printed at the top of their row and the designation at its foot, as a row made tall by
    a column of stacked codes prints them: the designation then sits below the row's numbers."""
    designation_align: str = "bottom"
    """Where a numbers_on_top row prints its designation: 'bottom' (at its foot) or 'middle'."""


@dataclass
class Page:
    """A page after the invoice proper: an explanation, a statement, itemised calls."""

    title: str
    paragraphs: list[str]
    table: Table | None = None


@dataclass
class Doc:
    family: str
    """'html-erp', 'html-webapp', 'html-word', 'html-utility', 'html-telecom', 'html-insurance', 'html-receipt'."""
    variant: str
    language: str
    title: str
    seller_name: str | None
    """The issuer's name as printed in the header; None when only the logo image shows it."""
    seller_lines: list[str] = field(default_factory=list)
    logo: tuple[str, int, int] | None = None
    sender_line: str | None = None
    """The one-line return address printed above the recipient's address (DIN 5008 style)."""
    parties: list[Party] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)
    summary_title: str = ""
    summary: list[tuple[str, str]] = field(default_factory=list)
    """An account-summary box; its last row is the amount due."""
    hero: tuple[str, str] | None = None
    """('€1,234.56', 'due 14 March 2025'): the big amount-due line of web billing apps."""
    items: Table | None = None
    totals: list[tuple[str, str]] = field(default_factory=list)
    emphasise: list[int] = field(default_factory=list)
    """Indexes into totals printed bold (the total, the amount due)."""
    adjustment_rows: list[dict[str, list[str]]] = field(default_factory=list)
    """The document-level discount and charges as rows of the items table (not items), for printing them
    there instead of in the totals: each replaces its line in totals, and the subtotal line goes."""
    vat_table: Table | None = None
    tables: list[Table] = field(default_factory=list)
    """Other tables on the first pages: meter readings, open items of a reminder."""
    notes: list[str] = field(default_factory=list)
    payment_title: str = ""
    payment: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    sub_size: str = "0.9em"
    """The font size of a designation's second and later lines (a note under an item): smaller than the
    designation, or the same size on some invoices (SAME_SIZE_NOTES_SHARE)."""
    body: list[str] = field(default_factory=list)
    """Letter paragraphs."""
    pages: list[Page] = field(default_factory=list)
    page_label: str = ""
    narrow: bool = False
    letter_spaced: bool = False
