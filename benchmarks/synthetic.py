"""Seeded, labelled synthetic documents for measuring extraction: invoices, credit notes,
scans of them, and look-alikes that are not invoices (quotes, orders, delivery notes, receipts,
letters).

    pdf_bytes, labels = make_document(seed, kind="invoice" | "scanned" | "lookalike")

The same seed and kind always give the same labels and the same printed text (born-digital
PDFs are byte-identical). Seeds 0..999 are the development range; seeds from 100000 up are
held out and are only for reporting (see benchmarks/evaluate.py).

Labels are a JSON-ready dict: document_type ('invoice'/'other'), subtype, language, locale,
scanned, layout (family), pages, and `fields` (amounts as strings, dates ISO). Every value in
`fields` is printed on the page; a null means the document does not show that field. The
totals are computed with Decimal from the lines (per VAT rate, after any discount), so
sum(lines) - discount = total_without_vat, net + VAT = total_with_vat, total - deposit = amount_due.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from benchmarks.synthetic_locale import (
    CENT,
    DESIGNATIONS,
    LOCALE_WEIGHTS,
    LOCALES,
    MONTHS,
    SECOND_LINES,
    WORDS,
    Locale,
    address,
    company,
    format_amount,
    format_date,
    format_money,
    format_quantity,
    format_rate,
    iban_and_bic,
    person,
    vat_id,
    without_legal_form,
    word,
)
from benchmarks.synthetic_till import till_receipt

KINDS = ("invoice", "scanned", "lookalike")
LOOKALIKES = ("quote", "purchase_order", "order_confirmation", "delivery_note", "payment_receipt", "letter")
FAMILIES = ("classic", "banner", "mono", "horizontal", "footer", "window")
TILL_SHARE = 0.12
"""Invoices (and scans) that are till receipts headed as simplified invoices: layout family 'till'
(benchmarks/synthetic_till.py), chosen from a random stream of their own so that the other seeds'
documents stay as they were. Not in the US locale, whose sales tax they do not print."""
ACCOUNT_SUMMARIES = 0.15
"""Invoices printed as utility, telecom and subscription bills print them: a billing period among the
references and an account summary, either the previous balance, payments received since, the balance
still open, this bill's total and the amount due (this bill's total plus the open balance), or, on a
third of them (budget billing), this bill's total, the instalments already paid and the amount due (the
difference). From a random stream of their own, so that the other seeds' documents stay as they were;
never on credit notes or invoices with a deposit."""
VAT_TABLES = 0.2
"""Invoices (not in the sales-tax locale) that print a VAT summary table, a row per rate with its base,
its VAT and, on half of them, its gross; on half of those the per-rate VAT lines among the totals give
way to one VAT total. From a random stream of their own, like the other shares here."""
CORRECTIONS = {True: 0.35, False: 0.04}
"""Shares of credit notes (True) and of invoices (False) titled as corrective invoices: the credit
notes take back (negative totals), the invoices add. From a random stream of their own."""
CORRECTIONS_NUMBERED_AS_INVOICES = 0.5
"""Share of the corrective credit notes whose number is labelled as an invoice's ("Invoice no."), as
corrections numbered in the invoice series are: only the title and the negative totals say what
they are."""
NUMBER_IN_TITLE = 0.12
"""Share of the invoices whose title carries their number ("Rechnung R-2022-0042", "Invoice 103767")
and whose meta block leaves it out; from a random stream of their own."""
SHIP_TO_BESIDE = 0.5
"""Share of the delivery addresses printed beside the customer's block (where the line leaves room)
rather than under it; from a random stream of their own."""
LOGO_ONLY = 1 / 3
"""Share of the sellers shown by a logo whose name is printed nowhere else than in the footer (the
logo is a picture: no text layer); from a random stream of their own."""
CUSTOMER_NAME_WRAPS = 0.15
"""Invoices whose customer, a company of two words or more, has its name wrapped onto a second line, as
in a narrow address window; from a random stream of their own."""
LUMP_SUMS = 0.15
"""Invoices whose table has a designation and an amount only (services, fees, premiums), each line
one of its amount, quantity and unit price unprinted and labelled None; from a random stream of
their own, so the rest of each document is unchanged."""


@dataclass
class Layout:
    """How the page is arranged; the family fixes the structure, the rest varies within it."""

    family: str
    font: str
    """A reportlab built-in: Helvetica, Times-Roman or Courier."""
    header_side: str
    """Where the sender's block sits: 'left', 'right' or 'center'."""
    meta_style: str
    """'left': 'Date: 14/03/2025' on one line; 'above': label over value, in a row of cells."""
    table_style: str
    """'ruled', 'zebra' or 'plain'."""
    totals_at: str
    """'right', 'left' (block under the table) or 'row' (one horizontal band)."""
    sender_in_footer: bool


_FAMILY_SHAPES = {
    # family: header_side, meta_style, table_style, totals_at, sender_in_footer
    "classic": ("left", "left", "ruled", "right", False),
    "banner": ("right", "above", "zebra", "right", False),
    "mono": ("left", "left", "plain", "left", False),
    "horizontal": ("left", "above", "ruled", "row", False),
    "footer": ("center", "left", "zebra", "right", True),
    "window": ("right", "left", "plain", "right", False),
}


SENDER_STYLES = ("letterhead", "plain", "logo", "headed")
SENDER_STYLE_WEIGHTS = (0.55, 0.15, 0.15, 0.15)


@dataclass
class Printed:
    """What goes on the page, already worded and formatted; the renderer only places it."""

    title: str
    language: str
    sender: list[str]
    customer_heading: str
    customer: list[str]
    meta: list[tuple[str, str]]
    ship_to: list[str] = field(default_factory=list)
    """A delivery address, under or beside the customer's: its heading, then its lines; empty for none."""
    ship_to_beside: bool = False
    """Whether the delivery address is printed beside the customer's block (where there is room)."""
    columns: list[str] = field(default_factory=list)
    """Column keys in printed order: designation, qty, price, vat, total."""
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, list[str]]] = field(default_factory=list)
    """Cell texts per column; a designation can take two lines."""
    running: list[str] = field(default_factory=list)
    """The formatted running sum of line totals after each row (for carried-forward lines)."""
    carried_label: str = ""
    brought_label: str = ""
    totals: list[tuple[str, str]] = field(default_factory=list)
    """(label, amount); the last pair is printed bold."""
    notes: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    """Paragraphs, for letters and receipts."""
    footer: list[str] = field(default_factory=list)
    page_word: str = "Page {n}"
    sender_style: str = "letterhead"
    """How the seller's block is printed: 'letterhead' (its name large and bold), 'plain' (at the
    text's size), 'logo' (a picture of its initials above it, no larger print) or 'headed' (at the
    text's size under a heading such as "From")."""
    sender_heading: str = ""
    """The heading over the seller's block when sender_style is 'headed'."""
    number_in_title: bool = False
    """Whether the number follows the title (and is left out of the meta block, whose first pair
    it is)."""
    name_in_footer_only: bool = False
    """With sender_style 'logo': the seller's name is left out under the logo, and printed in the
    footer only."""
    sender_name_lines: int = 1
    """How many of the sender's lines its name takes (a long name wraps onto a second)."""
    account_heading: str = ""
    account: list[tuple[str, str]] = field(default_factory=list)
    """An account summary box, (label, amount) rows, the last printed bold; empty for none."""
    account_first: bool = False
    """Whether the account summary is printed above the items (as many bills do) or below the totals."""
    vat_table_heading: str = ""
    vat_table: list[list[str]] = field(default_factory=list)
    """A VAT summary table: its column headings, then a row per rate; empty for none."""
    vat_table_first: bool = False
    """Whether the VAT table comes between the items and the totals, or after the totals."""


def make_document(seed: int, kind: str = "invoice") -> tuple[bytes, dict]:
    """The PDF and its labels for seed; kind is 'invoice' (born-digital), 'scanned' or 'lookalike'."""
    from benchmarks.synthetic_render import render_pdf, scan_pdf

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    rng = random.Random(f"{kind}:{seed}")
    locale = LOCALES[rng.choices(list(LOCALE_WEIGHTS), weights=list(LOCALE_WEIGHTS.values()))[0]]
    layout = _layout(rng)
    if kind != "lookalike" and not locale.sales_tax and random.Random(f"{kind}:{seed}:till").random() < TILL_SHARE:
        pdf, labels = till_receipt(rng, locale)
        labels.update(language=locale.language, locale=locale.key, layout="till", seed=seed, scanned=kind == "scanned")
        if kind == "scanned":
            pdf, labels["scan"] = scan_pdf(pdf, rng)
        return pdf, labels
    if kind == "lookalike":
        printed, labels = _lookalike(rng, locale, rng.choice(LOOKALIKES))
    else:
        printed, labels = _invoice(rng, locale)
    pdf, pages = render_pdf(printed, layout)
    labels.update(
        language=locale.language, locale=locale.key, layout=layout.family, font=layout.font, pages=pages, seed=seed
    )
    labels["scanned"] = kind == "scanned"
    if kind == "scanned":
        pdf, labels["scan"] = scan_pdf(pdf, rng)
    return pdf, labels


def _layout(rng: random.Random) -> Layout:
    family = rng.choice(FAMILIES)
    header_side, meta_style, table_style, totals_at, in_footer = _FAMILY_SHAPES[family]
    font = "Courier" if family == "mono" else rng.choice(["Helvetica", "Times-Roman", "Courier"])
    return Layout(family, font, header_side, meta_style, table_style, totals_at, in_footer)


# -- invoices and credit notes ---------------------------------------------------------------


def _lines(rng: random.Random, locale: Locale, rates: list[Decimal], credit: bool) -> list[dict]:
    count = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8]) if rng.random() > 0.15 else rng.randint(28, 55)
    lines = []
    names = DESIGNATIONS[locale.language]
    for _ in range(count):
        designation = [rng.choice(names)]
        if rng.random() < 0.2:
            second = rng.choice(SECOND_LINES[locale.language]).format(
                month=MONTHS[locale.language][rng.randrange(12)],
                year=rng.randint(2023, 2025),
                n=rng.randint(1000, 99999),
            )
            designation.append(second)
        if rng.random() < 0.2:
            quantity = Decimal(rng.randint(1, 16)) / 2
        else:
            quantity = Decimal(rng.choice([1, 1, 1, 2, 3, 4, 5, 10, 12, 20, 25]))
        price = (Decimal(rng.randint(150, 250000 if quantity < 3 else 40000)) / 100).quantize(CENT)
        if credit:
            price = -price
        total = (quantity * price).quantize(CENT, ROUND_HALF_UP)
        lines.append(
            {
                "designation": designation,
                "quantity": quantity,
                "unit_price": price,
                "total_ht": total,
                "vat_rate": rng.choice(rates),
            }
        )
    return lines


def _invoice(rng: random.Random, locale: Locale) -> tuple[Printed, dict]:
    lang = locale.language
    credit = rng.random() < 0.12
    currency = rng.choice(locale.currencies)
    use_symbol = rng.random() < 0.6
    money = lambda v: format_money(v, currency, locale, use_symbol)
    plain = rng.random() < 0.4  # amounts in the table without currency marks

    rates = [rng.choice(locale.vat_rates)]
    if not locale.sales_tax and rng.random() < 0.3:
        rates = list(locale.vat_rates[:2])
    lines = _lines(rng, locale, rates, credit)

    provider = company(rng, locale)
    customer = company(rng, locale, avoid=provider)
    provider_vat, provider_vat_printed = vat_id(rng, locale)
    customer_vat, customer_vat_printed = vat_id(rng, locale) if rng.random() < 0.5 else (None, None)
    iban, iban_printed, bic = iban_and_bic(rng, locale) if rng.random() < 0.8 else (None, None, None)
    if bic and rng.random() < 0.2:
        bic = None

    date = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1200))
    date_style = rng.choice(locale.date_styles)
    fdate = lambda d: format_date(d, date_style, lang)
    term_days = rng.choice([14, 30, 30, 45, 60])
    due = date + dt.timedelta(days=term_days) if rng.random() < 0.7 else None
    prefix = {
        "en": ["INV", "IN", ""],
        "fr": ["FA", "F", ""],
        "de": ["RE", "R", ""],
        "nl": ["F", "FAC", ""],
        "it": ["FT", "FATT", ""],
        "es": ["FAC", "FRA", ""],
    }[lang]
    credit_prefix = {"en": "CN", "fr": "AV", "de": "GS", "nl": "CN", "it": "NC", "es": "R"}[lang]
    sep = rng.choice(["-", "/", ""])
    number = f"{credit_prefix if credit else rng.choice(prefix)}{sep}{date.year}{sep}{rng.randint(1, 9999):04d}".lstrip(
        "-/"
    )
    if rng.random() < 0.2:
        number = str(rng.randint(100000, 99999999))
    po = _order_number(rng, date.year) if rng.random() < 0.5 else None

    # Totals per rate, after an optional discount; VAT rounded per rate.
    discount_pct = Decimal(rng.choice([2, 3, 5, 10])) if rng.random() < 0.15 else None
    breakdown = []
    for rate in sorted(set(rates), reverse=True):
        base = sum((line["total_ht"] for line in lines if line["vat_rate"] == rate), Decimal(0))
        if base == 0 and len(rates) > 1:
            continue
        if discount_pct:
            base -= (base * discount_pct / 100).quantize(CENT, ROUND_HALF_UP)
        breakdown.append({"rate": rate, "base": base, "amount": (base * rate / 100).quantize(CENT, ROUND_HALF_UP)})
    lines_sum = sum((line["total_ht"] for line in lines), Decimal(0))
    net = sum((b["base"] for b in breakdown), Decimal(0))
    vat = sum((b["amount"] for b in breakdown), Decimal(0))
    gross = net + vat
    deposit = (gross * Decimal("0.3")).quantize(CENT, ROUND_HALF_UP) if not credit and rng.random() < 0.1 else None
    amount_due = gross - deposit if deposit else gross

    # Meta block, with decoys.
    meta = [(word(rng, "credit_number" if credit else "number", lang), number), (word(rng, "date", lang), fdate(date))]
    if due:
        meta.append((word(rng, "due", lang), fdate(due)))
    if po:
        meta.append((word(rng, "po", lang), po))
    if rng.random() < 0.5:
        meta.append((word(rng, "customer_no", lang), f"{rng.choice(['C', 'K', 'CL'])}{rng.randint(1000, 99999)}"))
    if rng.random() < 0.3:
        meta.append((word(rng, "delivery_no", lang), f"{rng.choice(['DN', 'BL', 'LS'])}-{rng.randint(10000, 99999)}"))
    if credit:
        meta.append(
            (word(rng, "refers_to", lang), f"{rng.choice(prefix) or 'F'}-{date.year}-{rng.randint(1, 9999):04d}")
        )
    meta = meta[:2] + rng.sample(meta[2:], len(meta) - 2)

    vat_label = word(rng, "vat_id", lang) if locale.key != "de-CH" else "MWST-Nr."
    # Who the parties are and what is printed beside them, from a stream of its own so that the
    # rest of each seed's document stays as it was: a private customer (with or without a title),
    # an attention line under a company customer, a seller without its legal form, the seller's
    # contact person among the references, a customer's address with no heading over it, a delivery
    # address, a factoring company to pay.
    extras = random.Random(f"{provider}|{customer}|{number}|parties")
    if extras.random() < 0.2:
        provider = without_legal_form(provider, locale)
    customer_name_lines = [customer]
    private = extras.random() < 0.25
    if private:
        customer = person(extras, locale)
        customer_vat = customer_vat_printed = None  # a private person has no VAT number
        title = word(extras, "salutation", lang)
        customer_name_lines = [title, customer] if lang == "de" else [f"{title} {customer}"]
        if extras.random() < 0.4:
            customer_name_lines = [customer]
    elif extras.random() < 0.3:
        customer_name_lines.append(f"{word(extras, 'attention', lang)} {person(extras, locale)}")
    wraps = random.Random(f"{provider}|{customer}|{number}|customer wrap")
    name_words = customer.split()
    if not private and len(name_words) >= 2 and wraps.random() < CUSTOMER_NAME_WRAPS:
        cut = wraps.randint(1, len(name_words) - 1)
        customer_name_lines[:1] = [" ".join(name_words[:cut]), " ".join(name_words[cut:])]
    if extras.random() < 0.25:
        meta.append((word(extras, "contact", lang), person(extras, locale)))
    no_customer_heading = extras.random() < 0.25  # an address block alone, as in a window envelope
    ship_to = []
    if extras.random() < 0.2:  # the goods go elsewhere: the customer's site, a person, another firm
        receiver = extras.choice([customer, person(extras, locale), company(extras, locale, avoid=provider)])
        ship_to = [word(extras, "ship_to", lang), receiver, *address(extras, locale)]
    remit_to = None
    if extras.random() < 0.1:  # payment goes to a factoring company
        factor = company(extras, locale, avoid=provider)
        remit_to = f"{word(extras, 'remit_to', lang)}: {factor}, {', '.join(address(extras, locale))}"
    sender = [provider, *address(rng, locale)]
    if provider_vat_printed:
        sender.append(f"{vat_label} {provider_vat_printed}")
    customer_block = [*customer_name_lines, *address(rng, locale)]
    if customer_vat_printed:
        customer_block.append(f"{vat_label} {customer_vat_printed}")

    # Table.
    columns = ["designation", "qty", "price", "total"]
    if rng.random() < 0.4:
        columns = ["qty", "designation", "price", "total"]
    if len(rates) > 1 or rng.random() < 0.5:
        columns.insert(columns.index("total"), "vat")
    if random.Random(f"{provider}|{customer}|{number}|lump sums").random() < LUMP_SUMS:
        # Services, fees and premiums billed as a designation and its amount, nothing else: one
        # of each, unprinted (the labels say None).
        columns = [c for c in columns if c not in ("qty", "price")]
        for line in lines:
            line["quantity"], line["unit_price"] = Decimal(1), line["total_ht"]
    headers = {
        key: word(rng, f"col_{name}", lang)
        for key, name in [
            ("designation", "designation"),
            ("qty", "qty"),
            ("price", "price"),
            ("vat", "vat"),
            ("total", "total"),
        ]
    }
    cell_amount = (lambda v: format_amount(v, locale)) if plain else money
    rows, running, acc = [], [], Decimal(0)
    for line in lines:
        rows.append(
            {
                "designation": line["designation"],
                "qty": [format_quantity(line["quantity"], locale)],
                "price": [cell_amount(line["unit_price"])],
                "vat": [f"{format_rate(line['vat_rate'], locale)} %"],
                "total": [cell_amount(line["total_ht"])],
            }
        )
        acc += line["total_ht"]
        running.append(money(acc))

    # Totals block.
    totals = []
    net_label = word(rng, "net_us" if locale.sales_tax else "net", lang)
    if discount_pct:
        totals.append((word(rng, "subtotal", lang), money(lines_sum)))
        totals.append((word(rng, "discount", lang).format(p=discount_pct), money(net - lines_sum)))
    totals.append((net_label, money(net)))
    vat_word = "tax_line_us" if locale.sales_tax else "vat_line"
    for b in breakdown:
        label = word(rng, vat_word, lang).format(r=format_rate(b["rate"], locale))
        if len(breakdown) > 1:
            label += " " + word(rng, "vat_base", lang).format(b=format_amount(b["base"], locale))
        totals.append((label, money(b["amount"])))
    total_label = word(rng, "total", lang)
    totals.append((total_label, money(gross)))
    if deposit:
        totals.append((word(rng, "deposit", lang), money(-deposit)))
        totals.append((word(rng, "amount_due", lang), money(amount_due)))

    notes = []
    if due or rng.random() < 0.5:
        notes.append(word(rng, "terms", lang).format(n=term_days))
    terms_printed = notes[0] if notes else None
    if rng.random() < 0.2:
        notes.append(f"{word(rng, 'previous_balance', lang)}: {money(Decimal(rng.randint(5000, 500000)) / 100)}")
    notes.append(word(rng, "thanks", lang))
    footer = [provider]
    if iban_printed:
        footer.append(f"IBAN {iban_printed}" + (f"   BIC {bic}" if bic else ""))
    if provider_vat_printed:
        footer.append(f"{vat_label} {provider_vat_printed}")

    printed = Printed(
        title=word(rng, "credit_title" if credit else "invoice_title", lang),
        language=lang,
        sender=sender,
        customer_heading=word(rng, "bill_to", lang),
        customer=customer_block,
        meta=meta,
        columns=columns,
        headers=headers,
        rows=rows,
        running=running,
        carried_label=word(rng, "carried", lang),
        brought_label=word(rng, "brought", lang),
        totals=totals,
        notes=notes,
        footer=footer,
        page_word=word(rng, "page", lang),
    )
    if no_customer_heading:
        printed.customer_heading = ""
    corrections = random.Random(f"{provider}|{customer}|{number}|correction")
    correction = corrections.random() < CORRECTIONS[credit]
    if correction:
        printed.title = word(corrections, "correction_title", lang)
        if not credit:  # what it corrects (a credit note names it already)
            corrected = f"{corrections.choice(prefix) or 'F'}-{date.year}-{corrections.randint(1, 9999):04d}"
            printed.meta.append((word(corrections, "refers_to", lang), corrected))
        elif corrections.random() < CORRECTIONS_NUMBERED_AS_INVOICES:
            printed.meta[0] = (word(corrections, "number", lang), number)
    # How the seller presents itself, from a stream of its own: real invoices often print the
    # seller's name no larger than the text, under a "From" heading, or below a logo.
    styles = random.Random(f"{provider}|{customer}|{number}|sender")
    printed.sender_style = styles.choices(SENDER_STYLES, SENDER_STYLE_WEIGHTS)[0]
    if printed.sender_style == "headed":
        printed.sender_heading = word(styles, "seller", lang)
    if printed.sender_style == "logo":
        printed.name_in_footer_only = random.Random(f"{provider}|{customer}|{number}|logo only").random() < LOGO_ONLY
    name_words = provider.split()
    if len(name_words) >= 3 and styles.random() < 0.2:  # a long name printed over two lines
        cut = styles.randint(1, len(name_words) - 2) if len(name_words) > 3 else 2
        printed.sender[:1] = [" ".join(name_words[:cut]), " ".join(name_words[cut:])]
        printed.sender_name_lines = 2
    printed.ship_to = ship_to
    if printed.title:
        printed.number_in_title = random.Random(f"{provider}|{customer}|{number}|title").random() < NUMBER_IN_TITLE
    printed.ship_to_beside = random.Random(f"{provider}|{customer}|{number}|ship to beside").random() < SHIP_TO_BESIDE
    if remit_to:
        printed.notes.insert(len(printed.notes) - 1, remit_to)
    vat_tables = random.Random(f"{provider}|{customer}|{number}|vat table")
    if not locale.sales_tax and vat_tables.random() < VAT_TABLES:
        _vat_table(vat_tables, printed, breakdown, vat, money, locale, rates_at=3 if discount_pct else 1)
    account = random.Random(f"{provider}|{customer}|{number}|account")
    if not credit and not deposit and account.random() < ACCOUNT_SUMMARIES:
        amount_due = _account_summary(account, printed, gross, date, money, fdate, lang)
    s = lambda v: None if v is None else str(v)
    fields = {
        "provider": provider,
        "provider_vat_id": provider_vat,
        "customer": customer,
        "customer_vat_id": customer_vat,
        "invoice_number": number,
        "purchase_order": po,
        "date": date.isoformat(),
        "due_date": due.isoformat() if due else None,
        "due_date_from_terms": (date + dt.timedelta(days=term_days)).isoformat() if terms_printed and not due else None,
        "payment_terms": terms_printed,
        "currency": currency,
        "total_without_vat": s(net),
        "total_vat": s(vat),
        "total_with_vat": s(gross),
        "amount_due": s(amount_due),
        "iban": iban,
        "bic": bic,
        "vat_breakdown": [{"rate": s(b["rate"]), "base": s(b["base"]), "amount": s(b["amount"])} for b in breakdown],
        "lines": [
            {
                "designation": " ".join(line["designation"]),
                "quantity": s(line["quantity"]) if "qty" in columns else None,
                "unit_price": s(line["unit_price"]) if "price" in columns else None,
                "total_ht": s(line["total_ht"]),
                "vat_rate": s(line["vat_rate"]),
            }
            for line in lines
        ],
    }
    labels = {
        "document_type": "invoice",
        "subtype": "credit_note" if credit else "invoice",
        "fields": fields,
        "discount": bool(discount_pct),
        "deposit": bool(deposit),
        "account_summary": bool(printed.account),
        "correction": correction,
        "vat_table": bool(printed.vat_table),
        "sender_style": printed.sender_style,
        "sender_name_lines": printed.sender_name_lines,
        "number_label": printed.meta[0][0],
        "number_in_title": printed.number_in_title,
        "name_in_footer_only": printed.name_in_footer_only,
        "ship_to": bool(printed.ship_to),
    }
    return printed, labels


def _vat_table(
    rng: random.Random, printed: Printed, breakdown: list[dict], vat: Decimal, money, locale: Locale, rates_at: int
) -> None:
    """Give printed a VAT summary table (a row per rate); on half of the documents, one VAT total
    replaces the per-rate VAT lines among the totals, which start at index rates_at."""
    lang = locale.language
    with_gross = rng.random() < 0.5
    keys = ["vat_table_rate", "vat_table_base", "vat_table_vat"] + (["vat_table_total"] if with_gross else [])
    table = [[word(rng, key, lang) for key in keys]]
    amount = (lambda v: format_amount(v, locale)) if rng.random() < 0.5 else money
    for b in breakdown:
        row = [f"{format_rate(b['rate'], locale)} %", amount(b["base"]), amount(b["amount"])]
        if with_gross:
            row.append(amount(b["base"] + b["amount"]))
        table.append(row)
    printed.vat_table = table
    printed.vat_table_heading = word(rng, "vat_table_heading", lang) if rng.random() < 0.6 else ""
    printed.vat_table_first = rng.random() < 0.5
    if rng.random() < 0.5:
        printed.totals[rates_at : rates_at + len(breakdown)] = [(word(rng, "vat_total", lang), money(vat))]


def _account_summary(
    rng: random.Random, printed: Printed, gross: Decimal, date: dt.date, money, fdate, lang: str
) -> Decimal:
    """Print printed as a bill with an account summary and a billing period; return the amount due:
    this bill's total plus what is still open from before (nothing when the previous balance was paid
    in full), or, on a third of the bills (budget billing), this bill's total less the instalments
    already paid towards it."""
    if random.Random(f"{gross}|{date}|instalments").random() < 1 / 3:
        count = rng.choice([1, 2, 3, 6, 11])
        instalment = (gross * Decimal(rng.randint(50, 90)) / 100 / count).quantize(CENT)
        amount_due = gross - instalment * count
        rows = [(word(rng, "account_this_bill", lang), money(gross)),
                (word(rng, "account_instalments", lang), money(-instalment * count))]
    else:
        previous = (Decimal(rng.randint(2000, 90000)) / 100).quantize(CENT)
        part = (previous * Decimal(rng.randint(20, 80)) / 100).quantize(CENT)
        paid = rng.choice([previous, previous, Decimal(0), part])
        still_open = previous - paid
        amount_due = gross + still_open
        rows = [(word(rng, "account_previous", lang), money(previous))]
        if paid:
            rows.append((word(rng, "account_paid", lang), money(-paid)))
            if still_open or rng.random() < 0.5:
                rows.append((word(rng, "account_open", lang), money(still_open)))
        rows.append((word(rng, "account_this_bill", lang), money(gross)))
    rows.append((word(rng, "amount_due", lang), money(amount_due)))
    printed.account_heading = word(rng, "account_heading", lang) if rng.random() < 0.8 else ""
    printed.account = rows
    printed.account_first = rng.random() < 0.5
    # The previous-balance note of some invoices would say the same as the summary.
    printed.notes = [n for n in printed.notes if not n.startswith(tuple(WORDS["previous_balance"][lang]))]
    if rng.random() < 0.7:
        end = date - dt.timedelta(days=rng.randint(1, 12))
        start = end - dt.timedelta(days=rng.choice([27, 29, 30, 59, 89]))
        printed.meta.append((word(rng, "billing_period", lang), f"{fdate(start)} – {fdate(end)}"))
    return amount_due


def _order_number(rng: random.Random, year: int) -> str:
    """A buyer's order number in one of the shapes purchasing systems give them: a prefix and digits
    joined by a dash, a space, a slash with the year, or nothing; an ERP's ten digits; digits alone.
    Before these, every order number here was a prefix, a dash and digits, and models trained on this
    generator alone passed over order numbers of other shapes."""
    prefix = rng.choice(["PO", "BC", "B", "BE", "ORD", "CMD", "Ord", "A"])
    digits = rng.randint(10000, 999999)
    return rng.choice([
        f"{prefix}-{digits}",
        f"{prefix}{digits}",
        f"{prefix} {digits}",
        f"{prefix}/{year}/{digits % 10000:04d}",
        f"45{rng.randint(0, 99999999):08d}",
        str(digits),
    ])


# -- look-alikes -----------------------------------------------------------------------------

_LOOKALIKE_WORDS = {
    "quote": {
        "en": ("QUOTATION", "Quote No.", "Valid until"),
        "fr": ("DEVIS", "Devis n°", "Valable jusqu'au"),
        "de": ("ANGEBOT", "Angebotsnummer", "Gültig bis"),
        "nl": ("OFFERTE", "Offertenummer", "Geldig tot"),
        "it": ("PREVENTIVO", "Preventivo n.", "Valido fino al"),
        "es": ("PRESUPUESTO", "N.º de presupuesto", "Válido hasta"),
    },
    "purchase_order": {
        "en": ("PURCHASE ORDER", "PO number", "Delivery by"),
        "fr": ("BON DE COMMANDE", "Commande n°", "Livraison souhaitée"),
        "de": ("BESTELLUNG", "Bestellnummer", "Liefertermin"),
        "nl": ("INKOOPORDER", "Inkoopordernr.", "Gewenste leverdatum"),
        "it": ("ORDINE DI ACQUISTO", "Ordine n.", "Consegna richiesta entro"),
        "es": ("PEDIDO DE COMPRA", "N.º de pedido", "Fecha de entrega"),
    },
    "order_confirmation": {
        "en": ("ORDER CONFIRMATION", "Order No.", "Expected delivery"),
        "fr": ("CONFIRMATION DE COMMANDE", "Commande n°", "Livraison prévue"),
        "de": ("AUFTRAGSBESTÄTIGUNG", "Auftragsnummer", "Voraussichtliche Lieferung"),
        "nl": ("ORDERBEVESTIGING", "Ordernummer", "Verwachte levering"),
        "it": ("CONFERMA D'ORDINE", "Conferma n.", "Consegna prevista"),
        "es": ("CONFIRMACIÓN DE PEDIDO", "Pedido n.º", "Entrega prevista"),
    },
    "delivery_note": {
        "en": ("DELIVERY NOTE", "Delivery No.", "Delivered on"),
        "fr": ("BON DE LIVRAISON", "BL n°", "Livré le"),
        "de": ("LIEFERSCHEIN", "Lieferschein-Nr.", "Lieferdatum"),
        "nl": ("PAKBON", "Pakbonnummer", "Geleverd op"),
        "it": ("DOCUMENTO DI TRASPORTO", "DDT n.", "Data inizio trasporto"),
        "es": ("ALBARÁN", "N.º de albarán", "Fecha de entrega"),
    },
    "payment_receipt": {
        "en": ("PAYMENT RECEIPT", "Receipt No.", "Paid on"),
        "fr": ("REÇU DE PAIEMENT", "Reçu n°", "Payé le"),
        "de": ("ZAHLUNGSBESTÄTIGUNG", "Beleg-Nr.", "Bezahlt am"),
        "nl": ("KWITANTIE", "Kwitantienummer", "Betaald op"),
        "it": ("RICEVUTA DI PAGAMENTO", "Ricevuta n.", "Pagato il"),
        "es": ("RECIBO DE PAGO", "Recibo n.º", "Pagado el"),
    },
    "letter": {
        "en": ("", "Our ref.", ""),
        "fr": ("", "Nos réf.", ""),
        "de": ("", "Unser Zeichen", ""),
        "nl": ("", "Ons kenmerk", ""),
        "it": ("", "Ns. rif.", ""),
        "es": ("", "Nuestra ref.", ""),
    },
}
_RECEIPT_BODY = {
    "en": "We confirm receipt of your payment of {amount} by bank transfer, settling invoice {ref}. This receipt is not a tax invoice.",
    "fr": "Nous accusons réception de votre règlement de {amount} par virement, en paiement de la facture {ref}. Ce reçu ne vaut pas facture.",
    "de": "Wir bestätigen den Eingang Ihrer Zahlung von {amount} per Überweisung zum Ausgleich der Rechnung {ref}. Dieser Beleg ist keine Rechnung.",
    "nl": "Wij bevestigen de ontvangst van uw betaling van {amount} per bankoverschrijving, ter voldoening van factuur {ref}. Deze kwitantie is geen factuur.",
    "it": "Confermiamo di aver ricevuto il Vostro pagamento di {amount} tramite bonifico bancario, a saldo della fattura {ref}. La presente ricevuta non costituisce fattura.",
    "es": "Confirmamos la recepción de su pago de {amount} mediante transferencia bancaria, en liquidación de la factura {ref}. Este recibo no es una factura.",
}
_LETTER_BODY = {
    "en": [
        "Dear Sir or Madam,",
        "Thank you for your visit last week. As discussed, we will send you a detailed offer for the renovation of your offices by the end of the month.",
        "Our invoice {ref} of last month remains open; please disregard this reminder if you have already paid it.",
        "Kind regards,",
    ],
    "fr": [
        "Madame, Monsieur,",
        "Nous vous remercions de votre visite de la semaine dernière. Comme convenu, nous vous ferons parvenir une proposition détaillée pour la rénovation de vos bureaux d'ici la fin du mois.",
        "Notre facture {ref} du mois dernier reste ouverte ; merci de ne pas tenir compte de ce rappel si vous l'avez déjà réglée.",
        "Veuillez agréer nos salutations distinguées.",
    ],
    "de": [
        "Sehr geehrte Damen und Herren,",
        "vielen Dank für Ihren Besuch in der vergangenen Woche. Wie besprochen senden wir Ihnen bis Ende des Monats ein ausführliches Angebot für die Renovierung Ihrer Büroräume.",
        "Unsere Rechnung {ref} aus dem Vormonat ist noch offen; sollten Sie sie bereits beglichen haben, betrachten Sie dieses Schreiben als gegenstandslos.",
        "Mit freundlichen Grüßen",
    ],
    "nl": [
        "Geachte heer, mevrouw,",
        "Hartelijk dank voor uw bezoek van vorige week. Zoals besproken sturen wij u vóór het einde van de maand een uitgebreide offerte voor de renovatie van uw kantoren.",
        "Onze factuur {ref} van vorige maand staat nog open; mocht u deze inmiddels hebben voldaan, dan kunt u deze herinnering als niet verzonden beschouwen.",
        "Met vriendelijke groet,",
    ],
    "it": [
        "Gentili Signori,",
        "Vi ringraziamo per la Vostra visita della scorsa settimana. Come concordato, Vi invieremo entro la fine del mese un preventivo dettagliato per la ristrutturazione dei Vostri uffici.",
        "La nostra fattura {ref} del mese scorso risulta ancora da saldare; qualora abbiate già provveduto al pagamento, Vi preghiamo di non tenere conto del presente sollecito.",
        "Distinti saluti",
    ],
    "es": [
        "Estimados señores:",
        "Les agradecemos su visita de la semana pasada. Tal como acordamos, les enviaremos antes de final de mes una oferta detallada para la reforma de sus oficinas.",
        "Nuestra factura {ref} del mes pasado sigue pendiente de pago; si ya la han abonado, les rogamos que no tengan en cuenta este recordatorio.",
        "Atentamente,",
    ],
}


def _lookalike(rng: random.Random, locale: Locale, kind: str) -> tuple[Printed, dict]:
    """A document that looks like an invoice (parties, numbers, often a priced table) but is not one."""
    printed, _ = _invoice(rng, locale)
    lang = locale.language
    title, number_label, date2_label = _LOOKALIKE_WORDS[kind][lang]
    date_value = printed.meta[1][1]
    ref = f"{rng.choice(['INV', 'FA', 'RE'])}-{rng.randint(2022, 2025)}-{rng.randint(1, 9999):04d}"
    printed.title, printed.number_in_title = title, False
    date_label = {"en": "Date", "fr": "Date", "de": "Datum", "nl": "Datum", "it": "Data", "es": "Fecha"}[lang]
    printed.meta = [
        (number_label, f"{rng.choice(['Q', 'D', 'A', 'PO', 'DN', 'R'])}-{rng.randint(1000, 99999)}"),
        (date_label, date_value),
    ]
    if date2_label:
        printed.meta.append((date2_label, date_value))
    printed.notes = [n for n in printed.notes if n == printed.notes[-1]]
    printed.footer = printed.footer[:1]
    printed.totals = [
        (
            label.replace("Invoice total", "Total")
            .replace("Rechnungsbetrag", "Gesamtbetrag")
            .replace("Factuurbedrag", "Totaalbedrag")
            .replace("Totale fattura", "Totale")
            .replace("Total factura", "Total"),
            value,
        )
        for label, value in printed.totals
    ]
    if kind == "purchase_order":
        printed.sender, printed.customer = printed.customer[:3], printed.sender[: 2 + printed.sender_name_lines]
        printed.sender_name_lines = 1
        printed.customer_heading = {
            "en": "Supplier",
            "fr": "Fournisseur",
            "de": "Lieferant",
            "nl": "Leverancier",
            "it": "Fornitore",
            "es": "Proveedor",
        }[lang]
    if kind == "delivery_note":
        printed.columns = [c for c in printed.columns if c in ("qty", "designation")]
        printed.totals = []
    if kind in ("payment_receipt", "letter"):
        amount = printed.totals[-1][1]
        printed.columns, printed.rows, printed.totals, printed.running = [], [], [], []
        printed.body = (
            [_RECEIPT_BODY[lang].format(amount=amount, ref=ref)]
            if kind == "payment_receipt"
            else [p.format(ref=ref) for p in _LETTER_BODY[lang]]
        )
    return printed, {"document_type": "other", "subtype": kind, "fields": {}}
