"""A second, independent family of seeded, labelled synthetic documents: HTML in the styles of
real invoicing software, printed to PDF by headless Chromium.

    pdf_bytes, labels = make_document(seed, kind="invoice" | "scanned" | "lookalike")

Same call and same label schema as benchmarks.synthetic (the reportlab family), so that
benchmarks/scoring.py and benchmarks/evaluate.py score both alike; labels add
labels["family"] = "html", labels["template"] (the style variant, e.g. 'erp-sap', or 'einvoice-view' for
the share printed as an e-invoice viewer shows its XML: EINVOICE_VIEW_SHARE), labels["stacked_codes"] (item
rows with codes stacked in their own column and the designation at the row's foot or middle:
STACKED_CODES_SHARE), labels["adjustments_in_table"] (a document-level discount or charge printed as a row
under the items: ADJUSTMENTS_IN_TABLE_SHARE) and
labels["document_kind"] (invoice, credit_note, correction, utility_bill, telecom_bill,
insurance_bill, receipt, self_billing; or for look-alikes quote, purchase_order,
order_confirmation, delivery_note, statement_of_account, payment_reminder, letter,
payment_receipt). `layout` is the template family: html-erp, html-webapp, html-word,
html-utility, html-telecom, html-insurance, html-receipt. Every value in `fields` is printed;
`labels["printed"]` holds the printed forms of the number, date, total and names.

The same seed and kind give the same labels and the same HTML; the PDF bytes may differ
(Chromium stamps a creation date). Seeds 0..999 are for development, from 100000 held out, as
for the first family. Needs Chromium (`apt-get install chromium`; see chromium.py).
"""

from __future__ import annotations

import random

from benchmarks.synthetic_html.content import (
    FAMILY_OF_KIND,
    INVOICE_KIND_WEIGHTS,
    INVOICE_KINDS,
    LOOKALIKE_KINDS,
    TRADE_FAMILIES,
    VARIANTS,
    insurance,
    lookalike,
    receipt,
    telecom,
    trade,
    utility,
)
from benchmarks.synthetic_html.locales import LOCALE_WEIGHTS, LOCALES

KINDS = ("invoice", "scanned", "lookalike")
FAMILIES = tuple(VARIANTS)
DOCUMENT_KINDS = INVOICE_KINDS + LOOKALIKE_KINDS

__all__ = ["DOCUMENT_KINDS", "FAMILIES", "KINDS", "make_document", "make_html"]


EINVOICE_VIEW_SHARE = 0.12
"""Share of trade invoices (born-digital and scanned) printed as an e-invoice viewer's page."""
STACKED_CODES_SHARE = 0.25
"""Share of trade invoices whose item rows stack an article number (the customer's too, on some) over a GTIN in
a code column, with the numbers at the top of the row and the designation at its foot or its middle (stack_codes)."""
ADJUSTMENTS_IN_TABLE_SHARE = 0.8
"""Share of the documents with a document-level discount or charge (shipping, packaging, a surcharge) that
print it as a row under the items, in the table's columns, instead of in the totals (adjustments_in_table):
it is not an item, though the net total counts it."""
SAME_SIZE_NOTES_SHARE = 0.4
"""Share of documents that print the notes under an item's designation (a period, a quote reference) in the
designation's own size rather than smaller."""


def make_html(seed: int, kind: str = "invoice", *, document_kind: str | None = None) -> tuple[str, dict, random.Random]:
    """The HTML and labels (without `pages`) for seed, and the random stream to go on with."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    rng = random.Random(f"html:{kind}:{seed}:{document_kind or ''}")
    locale = LOCALES[rng.choices(list(LOCALE_WEIGHTS), weights=list(LOCALE_WEIGHTS.values()))[0]]
    if kind == "lookalike":
        dkind = document_kind or rng.choice(LOOKALIKE_KINDS)
        if dkind not in LOOKALIKE_KINDS:
            raise ValueError(f"a look-alike's document_kind is one of {LOOKALIKE_KINDS}")
        family = rng.choice(TRADE_FAMILIES)
    else:
        dkind = document_kind or rng.choices(INVOICE_KINDS, weights=INVOICE_KIND_WEIGHTS)[0]
        if dkind not in INVOICE_KINDS:
            raise ValueError(f"an invoice's document_kind is one of {INVOICE_KINDS}")
        family = FAMILY_OF_KIND.get(dkind) or rng.choice(TRADE_FAMILIES)
    variant = rng.choice(VARIANTS[family])
    if kind == "lookalike":
        doc, labels = lookalike(rng, locale, family, variant, dkind)
    elif dkind == "utility_bill":
        doc, labels = utility(rng, locale, family, variant)
    elif dkind == "telecom_bill":
        doc, labels = telecom(rng, locale, family, variant)
    elif dkind == "insurance_bill":
        doc, labels = insurance(rng, locale, family, variant)
    elif dkind == "receipt":
        doc, labels = receipt(rng, locale, family, variant)
    else:
        doc, labels = trade(rng, locale, family, variant, dkind)
    from benchmarks.synthetic_html.templates import render_html

    # A share of trade invoices is printed as an e-invoice viewer shows its XML. Drawn from a stream of its own,
    # so that every other document is the same as before this template existed.
    view = (
        kind != "lookalike"
        and family in TRADE_FAMILIES
        and random.Random(f"html-view:{kind}:{seed}").random() < EINVOICE_VIEW_SHARE
    )
    view_of = labels["fields"]["provider"] if view else None
    # Drawn from a stream of its own too, for the same reason.
    rng_stacked = random.Random(f"html-stacked:{kind}:{seed}")
    stacked = (
        not view and family in TRADE_FAMILIES and doc.items is not None and rng_stacked.random() < STACKED_CODES_SHARE
    )
    if stacked:
        stack_codes(doc.items, rng_stacked)
    adjusted = (
        bool(doc.adjustment_rows) and doc.items is not None and bool(doc.totals)
        and random.Random(f"html-adjustments:{kind}:{seed}").random() < ADJUSTMENTS_IN_TABLE_SHARE
    )
    if adjusted:
        adjustments_in_table(doc)  # its own stream too
    if random.Random(f"html-notes:{kind}:{seed}").random() < SAME_SIZE_NOTES_SHARE:
        doc.sub_size = "1em"  # its own stream as well
    page, style = render_html(doc, rng, letter_size=locale.key == "en-US", view_of=view_of)
    labels.update(
        family="html",
        layout=family,
        template="einvoice-view" if view else variant,
        language=locale.language,
        locale=locale.key,
        font=style.font_key,
        table_style=style.table,
        stacked_codes=stacked,
        adjustments_in_table=adjusted,
        seed=seed,
        scanned=kind == "scanned",
    )
    return page, labels, rng


def stack_codes(items, rng: random.Random) -> None:
    """Give every item row a code column holding its article number over a GTIN (13 digits, with its
    check digit), on some invoices under the customer's own article number too, and print the row's
    numbers at its top and the designation at its foot or, centred in the tall row, its middle (where a
    designation of two lines begins half a line or more below the numbers)."""
    if "code" not in items.columns:
        items.columns.insert(items.columns.index("designation"), "code")
    customer_codes = rng.random() < 0.5
    for row in items.rows:
        if "_section" in row:
            continue
        digits = [rng.randrange(10) for _ in range(12)]
        check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
        codes = [*row.get("code", [""])[:1], "".join(map(str, digits)) + str(check)]
        if customer_codes:
            codes.insert(0, f"{rng.choice('KCX')}{rng.randrange(1000, 99999)}")
        row["code"] = codes
    items.numbers_on_top = True
    items.designation_align = rng.choice(("bottom", "middle"))


def adjustments_in_table(doc) -> None:
    """Print the document-level discount and charges as rows at the foot of the items table: they leave the
    totals, where they follow the subtotal (the first lines of totals), and the subtotal goes with them."""
    moved = 1 + len(doc.adjustment_rows)
    assert [label for label, _ in doc.totals[1:moved]] == [row["designation"][0] for row in doc.adjustment_rows]
    doc.totals = doc.totals[moved:]
    doc.emphasise = [i - moved for i in doc.emphasise if i >= moved]
    doc.items.rows += doc.adjustment_rows


def make_document(seed: int, kind: str = "invoice", *, document_kind: str | None = None) -> tuple[bytes, dict]:
    """The PDF and its labels for seed; kind is 'invoice' (born-digital), 'scanned' or 'lookalike'.
    document_kind forces one kind of document (else it is drawn from the seed)."""
    import pypdfium2 as pdfium

    from benchmarks.synthetic_html import chromium
    from benchmarks.synthetic_html.scan import scan_pdf

    page, labels, rng = make_html(seed, kind, document_kind=document_kind)
    pdf = chromium.print_pdf(page)
    document = pdfium.PdfDocument(pdf)
    try:
        labels["pages"] = len(document)
    finally:
        document.close()
    if kind == "scanned":
        pdf, labels["scan"] = scan_pdf(pdf, rng)
    return pdf, labels
