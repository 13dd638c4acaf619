"""What each HTML-family document says, and its labels.

Amounts are Decimal. In 'net' documents a line total is quantity × unit price (less any line
discount) rounded half-up to the cent; per VAT rate, base = its lines - the document discount on
them + the surcharges at that rate, VAT = base × rate rounded. Receipts are 'gross': lines are
printed with VAT, per rate VAT = gross × rate / (100 + rate) rounded and base = gross - VAT.
net, VAT and gross are the sums over rates; amount due = gross - prepaid (deposit, advance
payments) + arrears (what a utility bill's account summary carries over unpaid). Credit notes
(and corrections that lower an invoice) carry negative amounts in the labels, whatever the sign
printed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from benchmarks.synthetic_html.catalog import CATALOG, SECOND_LINES, UNITS
from benchmarks.synthetic_html.locales import (
    CENT,
    ENERGY_VAT,
    INSURANCE_TAX,
    LOCALES,
    MONTHS,
    REVERSE_CHARGE_PARTNER,
    Money,
    address,
    company,
    digits,
    format_date,
    format_quantity,
    format_rate,
    iban_and_bic,
    letters,
    person,
    phone,
    registration,
    sector_company,
    shop,
    vat_id,
    web,
)
from benchmarks.synthetic_html.logo import draw_logo
from benchmarks.synthetic_html.model import Doc, Page, Party, Table
from benchmarks.synthetic_html.words import LOOKALIKE_WORDS, WORDS, word, words
from benchmarks.synthetic_locale import Locale

D = Decimal
ZERO = D(0)

INVOICE_KINDS = (
    "invoice",
    "credit_note",
    "correction",
    "utility_bill",
    "telecom_bill",
    "insurance_bill",
    "receipt",
    "self_billing",
)
INVOICE_KIND_WEIGHTS = (40, 10, 6, 10, 9, 8, 10, 7)
LOOKALIKE_KINDS = (
    "quote",
    "purchase_order",
    "order_confirmation",
    "delivery_note",
    "statement_of_account",
    "payment_reminder",
    "letter",
    "payment_receipt",
)
VARIANTS = {
    "html-erp": ("erp-sap", "erp-odoo"),
    "html-webapp": ("webapp-stripe", "webapp-zoho", "webapp-cards"),
    "html-word": ("word-letterhead", "word-modern", "word-grid"),
    "html-utility": ("utility-summary", "utility-details"),
    "html-telecom": ("telecom-sections", "telecom-plain"),
    "html-insurance": ("insurance-letter", "insurance-schedule"),
    "html-receipt": ("receipt-thermal", "receipt-wide"),
}
FAMILY_OF_KIND = {
    "utility_bill": "html-utility",
    "telecom_bill": "html-telecom",
    "insurance_bill": "html-insurance",
    "receipt": "html-receipt",
}
TRADE_FAMILIES = ("html-erp", "html-webapp", "html-word")
UNHEADED_WINDOW = 0.6
"""Share of letters with a sender line whose address block (the envelope window) prints no heading."""
ARREARS_SHARE = 0.5
"""Share of utility bills with an account summary whose last bill was not paid in full: the balance
brought forward is what is still open, and the amount due is this bill's total plus it
(adjustments['arrears'])."""
NEUTRAL_TOTAL = {"en": "Total", "fr": "Total TTC", "de": "Gesamtbetrag", "nl": "Totaal", "it": "Totale", "es": "Total"}


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def s(value) -> str | None:
    return None if value is None else str(value)


class Ctx:
    """One document's random choices and formatting."""

    def __init__(self, rng: random.Random, locale: Locale, family: str, variant: str):
        self.rng, self.locale, self.family, self.variant = rng, locale, family, variant
        self.lang = locale.language
        self.currency = rng.choice(locale.currencies)
        self.money = Money(rng, locale, self.currency, erp=variant == "erp-sap")
        self.date_style = rng.choice(locale.date_styles)

    def w(self, key: str, **fmt) -> str:
        text = word(self.rng, key, self.lang, **fmt)
        if self.locale.key == "de-CH":  # Switzerland says MWST / Mehrwertsteuer
            text = text.replace("USt.", "MWST").replace("Umsatzsteuer", "Mehrwertsteuer").replace("MwSt.", "MWST")
        return text

    def date(self, value: dt.date) -> str:
        return format_date(value, self.date_style, self.lang)

    def rate(self, rate: Decimal) -> str:
        return format_rate(rate, self.locale)

    def qty(self, q: Decimal) -> str:
        return format_quantity(q, self.locale)


# -- amounts -----------------------------------------------------------------------------------


def breakdown(lines: list[dict], discount_pct: Decimal | None, surcharges: list[dict], mode: str) -> dict:
    """Per-rate bases and VAT, and the totals (see the module docstring)."""
    rates = sorted({line["vat_rate"] for line in lines} | {x["vat_rate"] for x in surcharges}, reverse=True)
    out, discount_total = [], ZERO
    for rate in rates:
        amount = sum((line["total"] for line in lines if line["vat_rate"] == rate), ZERO)
        if discount_pct:
            cut = r2(amount * discount_pct / 100)
            amount -= cut
            discount_total += cut
        amount += sum((x["amount"] for x in surcharges if x["vat_rate"] == rate), ZERO)
        if mode == "net":
            base, vat = amount, r2(amount * rate / 100)
        else:
            vat = r2(amount * rate / (100 + rate))
            base = amount - vat
        out.append({"rate": rate, "base": base, "amount": vat})
    net = sum((b["base"] for b in out), ZERO)
    vat = sum((b["amount"] for b in out), ZERO)
    return {
        "breakdown": out,
        "lines_sum": sum((line["total"] for line in lines), ZERO),
        "discount": discount_total,
        "surcharges": sum((x["amount"] for x in surcharges), ZERO),
        "net": net,
        "vat": vat,
        "gross": net + vat,
    }


def _quantity(rng: random.Random, unit: str) -> Decimal:
    if unit == "h":
        return D(rng.randint(2, 80)) / 4 if rng.random() < 0.5 else D(rng.randint(1, 40))
    if unit == "day":
        return D(rng.randint(1, 20)) / 2
    if unit == "month":
        return D(rng.choice([1, 1, 3, 6, 12]))
    if unit in ("kg", "m"):
        return D(rng.randint(2, 120)) / 2
    if unit == "lot":
        return D(1)
    return D(rng.choice([1, 1, 2, 3, 4, 5, 6, 10, 12, 20, 24, 25, 50, 100, 250]))


def make_lines(
    ctx: Ctx, count: int, rates: list[Decimal], *, sign: int = 1, line_discounts: bool = False
) -> list[dict]:
    rng, lang = ctx.rng, ctx.lang
    pool = CATALOG[lang]
    chosen = rng.sample(pool, min(count, len(pool))) + [rng.choice(pool) for _ in range(count - len(pool))]
    negative_qty = rng.random() < 0.3
    lines = []
    for name, unit, lo, hi in chosen:
        quantity = _quantity(rng, unit)
        if hi <= 20 and ctx.variant == "erp-sap" and rng.random() < 0.4:
            price = D(rng.randint(lo * 1000, hi * 1000)) / 1000
        else:
            price = D(rng.randint(lo * 100, hi * 100)) / 100
        if quantity >= 50 and price > 40:
            price = r2(price / 10)
        if sign < 0:
            quantity, price = (-quantity, price) if negative_qty else (quantity, -price)
        discount = D(rng.choice([0, 0, 5, 10, 15, 20])) if line_discounts else ZERO
        total = r2(quantity * price * (100 - discount) / 100)
        designation = [name]
        if rng.random() < 0.2:
            designation.append(
                rng.choice(SECOND_LINES[lang]).format(
                    month=MONTHS[lang][rng.randrange(12)],
                    year=rng.randint(2022, 2025),
                    n=rng.randint(1000, 99999),
                    code=f"{letters(rng, 2)}-{digits(rng, 5)}",
                )
            )
        lines.append(
            {
                "designation": designation,
                "code": rng.choice(
                    [
                        f"{rng.randint(100000, 999999)}",
                        f"{letters(rng, 3)}-{digits(rng, 4)}",
                        f"{rng.randint(1000, 9999)}.{rng.randint(10, 99)}",
                    ]
                ),
                "unit": rng.choice(UNITS[unit][lang]),
                "quantity": quantity,
                "unit_price": price,
                "discount": discount,
                "total": total,
                "vat_rate": rng.choice(rates),
            }
        )
    return lines


def line_labels(lines: list[dict]) -> list[dict]:
    return [
        {
            "designation": " ".join(line["designation"]),
            "quantity": s(line["quantity"]),
            "unit_price": s(line["unit_price"]),
            "total_ht": s(line["total"]),
            "vat_rate": s(line["vat_rate"]),
        }
        for line in lines
    ]


def _number(ctx: Ctx, date: dt.date, credit: bool) -> str:
    rng, lang = ctx.rng, ctx.lang
    n = rng.randint(1, 99999)
    prefix = rng.choice(
        {
            "en": ["INV", "IN", "SI"],
            "fr": ["FA", "F", "FAC"],
            "de": ["RE", "R", "RG"],
            "nl": ["F", "FAC", "INV"],
            "it": ["FT", "FATT", "FPR"],
            "es": ["FRA", "F", "A"],
        }[lang]
    )
    if credit:
        prefix = {"en": "CN", "fr": "AV", "de": "GS", "nl": "CN", "it": "NC", "es": "R"}[lang]
    style = {
        "erp-sap": ["sap", "sap", "dash"],
        "erp-odoo": ["odoo"],
        "webapp-stripe": ["stripe"],
        "webapp-zoho": ["dash", "short"],
        "webapp-cards": ["stripe", "short"],
    }.get(ctx.variant, ["dash", "slash", "plain", "year_n", "short"])
    style = rng.choice(style)
    if lang == "it" and rng.random() < 0.5:
        return f"{n % 2000}/{date.year}"
    if style == "sap":
        return str(rng.randint(90000000, 99999999) if not credit else rng.randint(91000000, 91999999))
    if style == "odoo":
        return f"{prefix}/{date.year}/{n % 100000:05d}"
    if style == "stripe":
        return f"{letters(ctx.rng, 4)}{digits(ctx.rng, 4)}-{n % 10000:04d}"
    if style == "dash":
        return f"{prefix}-{date.year}-{n % 10000:04d}"
    if style == "slash":
        return f"{prefix}{date.year}/{n % 1000:03d}"
    if style == "year_n":
        return f"{date.year}{n % 10000:04d}"
    if style == "short":
        return f"{prefix}-{n % 10000:04d}"
    return str(n)


def _dates(rng: random.Random) -> dt.date:
    return dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1400))


def _seller_lines(ctx: Ctx, addr: list[str], name: str, vat_printed: str | None, vat_label: str) -> list[str]:
    rng = ctx.rng
    site, mail = web(name)
    out = list(addr)
    if rng.random() < 0.7:
        label = rng.choice(
            {
                "en": ["Tel.", "T", "Phone"],
                "fr": ["Tél.", "T"],
                "de": ["Tel.", "Telefon", "T"],
                "nl": ["Tel.", "T"],
                "it": ["Tel.", "T"],
                "es": ["Tel.", "Teléfono"],
            }[ctx.lang]
        )
        out.append(f"{label} {phone(rng, ctx.locale)}")
    if rng.random() < 0.6:
        out.append(rng.choice([site, mail, f"{mail} · {site}"]))
    if vat_printed and rng.random() < 0.6:
        out.append(f"{vat_label} {vat_printed}")
    return out


def vat_label(ctx: Ctx) -> str:
    key = ctx.locale.key
    if key == "de-CH":
        return "MWST-Nr."
    return ctx.rng.choice(
        {
            "en": ["VAT No.", "VAT Reg. No.", "VAT number"],
            "fr": ["N° TVA intracom.", "TVA intracommunautaire", "N° TVA"],
            "de": ["USt-IdNr.", "USt-ID", "UID-Nr."],
            "nl": ["BTW-nummer", "Btw-id", "BTW nr."],
            "it": ["P.IVA", "Partita IVA"],
            "es": ["NIF", "CIF", "NIF-IVA"],
        }[ctx.lang]
    )


def footer_lines(
    ctx: Ctx,
    legal: str,
    addr: list[str],
    vat_printed: str | None,
    vlabel: str,
    iban_printed: str | None,
    bic: str | None,
    bank_shown: bool,
) -> list[str]:
    rng = ctx.rng
    out = [f"{legal} · {' · '.join(addr[:2])}"]
    reg = registration(rng, ctx.locale)
    if ctx.locale.key == "de-DE" and rng.random() < 0.6:
        reg += f" · Geschäftsführer: {person(rng, ctx.locale)}"
    if ctx.locale.key == "fr-FR" and rng.random() < 0.5 and any(f in legal for f in ("SAS", "SARL", "SA")):
        reg = f"{legal.split()[-1]} au capital de {rng.choice(['10 000', '37 000', '150 000'])} € · " + reg
    out.append(reg)
    if vat_printed:
        out.append(f"{vlabel} {vat_printed}")
    if iban_printed and bank_shown:
        out.append(f"IBAN {iban_printed}" + (f" · BIC {bic}" if bic else ""))
    rng.shuffle(out)
    if rng.random() < 0.7:  # the legal name usually leads
        out.sort(key=lambda line: not line.startswith(legal))
    return out


# -- invoices, credit notes, corrections, self-billing -------------------------------------------


def trade(rng: random.Random, locale: Locale, family: str, variant: str, kind: str) -> tuple[Doc, dict]:
    ctx = Ctx(rng, locale, family, variant)
    lang, m = ctx.lang, ctx.money
    reverse = kind in ("invoice", "correction") and locale.key in REVERSE_CHARGE_PARTNER and rng.random() < 0.14
    cust_locale = LOCALES[REVERSE_CHARGE_PARTNER[locale.key]] if reverse else locale
    provider = company(rng, locale)
    customer = company(rng, cust_locale, avoid=(provider,))
    provider_vat, provider_vat_p = vat_id(rng, locale)
    customer_vat, customer_vat_p = (
        vat_id(rng, cust_locale) if reverse or kind == "self_billing" or rng.random() < 0.45 else (None, None)
    )
    iban, iban_p, bic = iban_and_bic(rng, locale) if rng.random() < 0.85 else (None, None, None)
    if bic and rng.random() < 0.2:
        bic = None
    credit = kind == "credit_note" or (kind == "correction" and rng.random() < 0.5)
    sign = -1 if credit else 1
    printed_positive = kind == "credit_note" and rng.random() < 0.3  # Odoo prints credit notes unsigned
    show = (lambda v: abs(v)) if printed_positive else (lambda v: v)

    if reverse:
        rates = [ZERO]
    elif locale.sales_tax:
        rates = [rng.choice(locale.vat_rates)]
    else:
        n_rates = rng.choices([1, 2, 3], weights=[65, 25, 10])[0]
        rates = list(locale.vat_rates[: min(n_rates, len(locale.vat_rates))])
    if credit:
        count = rng.randint(1, 4)
    elif rng.random() < 0.13:
        count = rng.randint(22, 45)
    else:
        count = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7, 9, 12])
    line_discounts = not credit and rng.random() < 0.12
    lines = make_lines(ctx, count, rates, sign=sign, line_discounts=line_discounts)
    discount_pct = D(rng.choice([2, 3, 5, 10])) if not credit and rng.random() < 0.15 else None
    surcharges = []
    if not credit and rng.random() < 0.22:
        for key in rng.sample(["shipping", "packaging", "surcharge"], rng.choice([1, 1, 2])):
            surcharges.append({"label": ctx.w(key), "amount": D(rng.randint(500, 15000)) / 100, "vat_rate": max(rates)})
    amounts = breakdown(lines, discount_pct, surcharges, "net")
    net, vat, gross = amounts["net"], amounts["vat"], amounts["gross"]
    prepaid = r2(gross * D(rng.choice([20, 30, 50])) / 100) if not credit and rng.random() < 0.1 else ZERO
    amount_due = gross - prepaid

    date = _dates(rng)
    term_days = rng.choice([8, 10, 14, 30, 30, 45, 60])
    due = date + dt.timedelta(days=term_days) if rng.random() < 0.7 else None
    number = _number(ctx, date, credit)
    po = (
        f"{rng.choice(['PO', 'BC', 'B', 'OA', 'P'])}{rng.choice(['-', '', ' '])}{rng.randint(10000, 999999)}"
        if rng.random() < 0.45
        else None
    )
    po_label_value = po.replace(" ", "") if po else None
    original = f"{_number(ctx, date, False)}"
    original_date = date - dt.timedelta(days=rng.randint(5, 90))

    # Parties ------------------------------------------------------------------------------
    vlabel = vat_label(ctx)
    provider_addr = address(rng, locale)
    customer_addr = address(rng, cust_locale)
    self_billing = kind == "self_billing"
    issuer, issuer_addr = (customer, customer_addr) if self_billing else (provider, provider_addr)
    issuer_vat_p = customer_vat_p if self_billing else provider_vat_p
    bill_lines = [customer]
    if rng.random() < 0.2:
        attn = {
            "en": "Attn: ",
            "fr": "À l'attention de ",
            "de": "z. Hd. ",
            "nl": "t.a.v. ",
            "it": "c.a. ",
            "es": "Att. ",
        }[cust_locale.language]
        bill_lines.append(attn + person(rng, cust_locale))
    bill_lines += customer_addr
    if customer_vat_p and not self_billing:
        bill_lines.append(f"{vlabel} {customer_vat_p}")
    parties: list[Party] = []
    if self_billing:
        supplier_lines = [provider, *provider_addr, f"{vlabel} {provider_vat_p}" if provider_vat_p else ""]
        parties.append(Party("supplier", ctx.w("supplier_self"), [x for x in supplier_lines if x]))
    else:
        parties.append(Party("bill_to", ctx.w("bill_to"), bill_lines))
    ship = rng.random() < 0.35 and not self_billing
    if ship:
        if rng.random() < 0.5:
            ship_lines = [customer, *address(rng, cust_locale)]
        else:
            ship_lines = [company(rng, cust_locale, avoid=(provider, customer)), *address(rng, cust_locale)]
            if rng.random() < 0.5:
                ship_lines.insert(1, f"c/o {customer}")
        parties.insert(rng.choice([0, 1]), Party("ship_to", ctx.w("ship_to"), ship_lines))
    remit = None
    factoring_note = None
    if not self_billing and not credit and iban and rng.random() < 0.12:
        if rng.random() < 0.5:
            factor = f"{rng.choice(['Eurofactor', 'Crédit Factoring', 'Nordic Factoring', 'Atlas Finance', 'Factorum'])} {rng.choice(['AG', 'SA', 'Ltd', 'B.V.', 'S.p.A.', 'S.A.'])}"
            iban, iban_p, bic = iban_and_bic(rng, locale)
            remit = Party("remit_to", ctx.w("remit_to"), [factor, *address(rng, locale)])
            factoring_note = ctx.w("factoring", f=factor)
        else:
            box = rng.choice(["PO Box", "BP", "Postfach", "Postbus", "Casella postale", "Apartado"])
            remit = Party(
                "remit_to", ctx.w("remit_to"), [provider, f"{box} {rng.randint(100, 9999)}", address(rng, locale)[1]]
            )
        parties.append(remit)

    # Meta -------------------------------------------------------------------------------------
    number_label = ctx.w("credit_number" if kind == "credit_note" else "number")
    meta = [(number_label, number), (ctx.w("date"), ctx.date(date))]
    extra: list[tuple[str, str]] = []
    if due:
        extra.append((ctx.w("due"), ctx.date(due)))
    if po:
        extra.append((ctx.w("po"), po))
    if rng.random() < 0.5:
        extra.append((ctx.w("customer_no"), f"{rng.choice(['C', 'K', 'CL', 'D', ''])}{rng.randint(1000, 999999)}"))
    if rng.random() < 0.25:
        dn = {"en": "DN", "fr": "BL", "de": "LS", "nl": "PB", "it": "DDT", "es": "ALB"}[lang]
        extra.append((ctx.w("delivery_no"), f"{dn}-{rng.randint(10000, 99999)}"))
    if rng.random() < 0.3:
        extra.append((ctx.w("delivery_date"), ctx.date(date - dt.timedelta(days=rng.randint(1, 20)))))
    if variant == "erp-sap" or rng.random() < 0.2:
        extra.append((ctx.w("contact"), person(rng, locale)))
    if variant.startswith("erp") and rng.random() < 0.5:
        extra.append((ctx.w("incoterms"), rng.choice(["DAP", "EXW", "FCA", "DDP", "CPT"])))
    if kind == "credit_note" or (kind == "correction" and rng.random() < 0.6):
        extra.append((ctx.w("credit_ref" if kind == "credit_note" else "correction_ref"), original))
    # An invoice that names a credit note (in its header, or in a sentence of its body) is still an
    # invoice: its title says so. Drawn from its own stream so that the other documents stay as they were.
    mention = random.Random(f"{provider}|{customer}|credit-mention")
    credit_mention = None
    if kind == "invoice" and mention.random() < 0.15:
        ref = f"{mention.choice(['CN', 'AV', 'GS', 'CR', 'NC', 'AB'])}-{mention.randint(100, 99999)}"
        credit_mention = (mention.choice(["meta", "intro", "notes"]), ref, date - dt.timedelta(days=mention.randint(5, 90)))
        if credit_mention[0] == "meta":
            extra.append((ctx.w("credit_mention_key"), ref))
    rng.shuffle(extra)
    meta += extra

    # Table ------------------------------------------------------------------------------------
    cell = m.amount if rng.random() < 0.5 else m
    columns = ["designation", "qty", "price", "total"]
    if rng.random() < 0.3:
        columns = ["qty", "designation", "price", "total"]
    if variant == "erp-sap" or rng.random() < 0.25:
        columns.insert(0, "pos")
    if variant.startswith("erp") and rng.random() < 0.6:
        columns.insert(columns.index("designation"), "code")
    if rng.random() < 0.35 or variant == "erp-sap":
        columns.insert(columns.index("qty") + 1, "unit")
    if line_discounts:
        columns.insert(columns.index("total"), "discount")
    if len(set(rates)) > 1 or rng.random() < 0.4:
        columns.insert(columns.index("total"), "vat")
    headers = {
        key: ctx.w(f"col_{key}")
        for key in ("pos", "code", "designation", "qty", "unit", "price", "discount", "vat", "total")
    }
    if locale.sales_tax:
        headers["vat"] = rng.choice(["Tax", "Tax rate", "Sales tax"])
    step = 10 if variant == "erp-sap" else 1
    odoo_tax = variant == "erp-odoo" and rng.random() < 0.6
    tax_word = (
        "Tax"
        if locale.sales_tax
        else {"en": "VAT", "fr": "TVA", "de": "USt.", "nl": "BTW", "it": "IVA", "es": "IVA"}[lang]
    )
    def rate_cell(rate: Decimal) -> str:
        return f"{ctx.rate(rate)} %" if lang != "en" else f"{ctx.rate(rate)}%"

    rows = []
    for i, line in enumerate(lines):
        rate_text = rate_cell(line["vat_rate"])
        if odoo_tax:
            rate_text = f"{tax_word} {rate_text}"
        places = 3 if line["unit_price"] != r2(line["unit_price"]) else 2
        rows.append(
            {
                "pos": [str((i + 1) * step)],
                "code": [line["code"]],
                "designation": line["designation"],
                "qty": [ctx.qty(show(line["quantity"]))],
                "unit": [line["unit"]],
                "price": [cell(show(line["unit_price"]), places)],
                "discount": [f"{ctx.rate(line['discount'])} %" if line["discount"] else ""],
                "vat": [rate_text],
                "total": [cell(show(line["total"]))],
            }
        )
    items = Table(columns, headers, rows)

    # Totals -----------------------------------------------------------------------------------
    totals: list[tuple[str, str]] = []
    us = locale.sales_tax
    adjustments = []
    if discount_pct or surcharges:
        totals.append((ctx.w("subtotal"), m(show(amounts["lines_sum"]))))
        if discount_pct:
            label = ctx.w("discount", p=ctx.rate(discount_pct))
            totals.append((label, m(-amounts["discount"])))
            adjustments.append((label, -amounts["discount"], rates[0] if len(rates) == 1 else None))
        for x in surcharges:
            totals.append((x["label"], m(x["amount"])))
            adjustments.append((x["label"], x["amount"], x["vat_rate"]))
    # The same discount and charges as rows under the items, for the documents that print them so.
    adjustment_rows = [
        {
            "designation": [label],
            "vat": [rate_cell(rate) if rate is not None else ""],
            "total": [cell(show(amount))],
        }
        for label, amount, rate in adjustments
    ]
    totals.append((ctx.w("net_us" if us else "net"), m(show(net))))
    vat_template = ctx.w("tax_line_us" if us else "vat_line", r="{r}")  # one wording per document
    base_template = ctx.w("vat_base", b="{b}") if len(amounts["breakdown"]) > 1 and rng.random() < 0.6 else ""
    for b in amounts["breakdown"]:
        label = vat_template.format(r=ctx.rate(b["rate"]))
        if base_template:
            label += " " + base_template.format(b=m.amount(show(b["base"])))
        totals.append((label, m(show(b["amount"]))))
    total_label = ctx.w("total_us" if us else "total")
    totals.append((total_label, m(show(gross))))
    emphasise = [len(totals) - 1]
    if prepaid:
        totals.append((ctx.w("deposit"), m(-prepaid)))
        totals.append((ctx.w("amount_due"), m(amount_due)))
        emphasise.append(len(totals) - 1)
    elif not credit and rng.random() < 0.2:
        totals.append((ctx.w("amount_due"), m(amount_due)))
        emphasise = [len(totals) - 1]

    vat_table = None
    if not us and (len(amounts["breakdown"]) > 1 or (variant.startswith(("erp", "word")) and rng.random() < 0.4)):
        vat_table = Table(
            ["rate", "base", "amount", "gross"],
            {"rate": ctx.w("vt_rate"), "base": ctx.w("vt_base"), "amount": ctx.w("vt_vat"), "gross": ctx.w("vt_gross")},
            [
                {
                    "rate": [f"{ctx.rate(b['rate'])} %"],
                    "base": [m.amount(show(b["base"]))],
                    "amount": [m.amount(show(b["amount"]))],
                    "gross": [m.amount(show(b["base"] + b["amount"]))],
                }
                for b in amounts["breakdown"]
            ],
            title=ctx.w("vat_summary"),
        )
        if rng.random() < 0.5:
            vat_table.columns = vat_table.columns[:3]

    # Notes, payment, footer ---------------------------------------------------------------------
    notes, intro = [], []
    terms = None
    if not credit and (due or rng.random() < 0.5):
        terms = ctx.w("terms", n=term_days)
        notes.append(terms)
    if reverse:
        (intro if rng.random() < 0.3 else notes).append(ctx.w("reverse_charge"))
    if kind == "credit_note":
        intro.append(ctx.w("credit_text", ref=original, date=ctx.date(original_date)))
    if kind == "correction":
        intro.append(
            ctx.w("correction_minus_text" if credit else "correction_text", ref=original, date=ctx.date(original_date))
        )
    if self_billing:
        intro.append(ctx.w("self_billing_note"))
    if factoring_note:
        notes.append(factoring_note)
    if credit_mention and credit_mention[0] != "meta":
        place, ref, when = credit_mention
        (intro if place == "intro" else notes).append(ctx.w("credit_mention", ref=ref, date=ctx.date(when)))
    if locale.key == "fr-FR" and not credit and rng.random() < 0.6:
        notes.append(ctx.w("late_fees", fee=m(D(40))))
    if rng.random() < 0.5:
        notes.append(ctx.w("thanks"))
    payment, payment_title = [], ""
    bank_in_footer = rng.random() < 0.5
    if iban and not credit:
        payment_title = ctx.w("bank_details")
        payment = [f"IBAN: {iban_p}"] + ([f"BIC: {bic}"] if bic else [])
        if rng.random() < 0.5:
            payment.insert(
                0,
                f"{ctx.w('bank')}: {rng.choice(['Commerzbank', 'BNP Paribas', 'ING', 'Barclays', 'UniCredit', 'CaixaBank', 'KBC', 'Raiffeisen', 'Banca Intesa'])}",
            )
        if rng.random() < 0.6:
            payment.append(f"{ctx.w('payment_ref')}: {number}")
        if self_billing:
            payment_title = {
                "en": "Paid to the supplier's account",
                "fr": "Versé sur le compte du fournisseur",
                "de": "Auszahlung auf das Konto des Leistungserbringers",
                "nl": "Betaald op rekening van de leverancier",
                "it": "Accredito sul conto del fornitore",
                "es": "Abono en la cuenta del proveedor",
            }[lang]
            bank_in_footer = False
    footer = footer_lines(
        ctx,
        issuer,
        issuer_addr,
        issuer_vat_p,
        vlabel,
        None if self_billing else iban_p,
        None if self_billing else bic,
        bank_in_footer and not remit,
    )

    # Header: name in text, or only in the logo (then the legal footer names the provider) ---------
    logo = None
    seller_name: str | None = issuer
    roll = rng.random()
    trade_name = " ".join(issuer.split()[:2])
    if roll < 0.15 and not self_billing:
        logo = draw_logo(rng, trade_name, wordmark=True)
        seller_name = None
        if not any(line.startswith(issuer) for line in footer):
            footer.insert(0, f"{issuer} · {' · '.join(issuer_addr[:2])}")
    elif roll < 0.7:
        logo = draw_logo(rng, issuer, wordmark=False)
    seller_lines = _seller_lines(ctx, issuer_addr, issuer, issuer_vat_p, vlabel)
    sender_line = None
    if rng.random() < (0.5 if lang in ("de", "nl") else 0.2) and not self_billing:
        sender_line = f"{issuer} · {' · '.join(issuer_addr[:2])}"
        if parties[0].role == "bill_to" and rng.random() < UNHEADED_WINDOW:
            parties[0].heading = ""  # a window envelope's address: the sender line above, no heading

    title_key = {
        "invoice": "invoice_title",
        "credit_note": "credit_title",
        "correction": "correction_title",
        "self_billing": "self_billing_title",
    }[kind]
    title = ctx.w(title_key)
    hero = None
    if variant in ("webapp-stripe", "webapp-zoho") and not credit:
        hero_label = {
            "en": "due",
            "fr": "à régler le",
            "de": "fällig am",
            "nl": "te betalen vóór",
            "it": "entro il",
            "es": "vence el",
        }[lang]
        hero = (m(amount_due), f"{hero_label} {ctx.date(due)}" if due else ctx.w("amount_due"))

    doc = Doc(
        family=family,
        variant=variant,
        language=lang,
        title=title,
        seller_name=seller_name,
        seller_lines=seller_lines,
        logo=logo,
        sender_line=sender_line,
        parties=parties,
        meta=meta,
        intro=intro,
        hero=hero,
        items=items,
        totals=totals,
        emphasise=emphasise,
        adjustment_rows=adjustment_rows,
        vat_table=vat_table,
        notes=notes,
        payment_title=payment_title,
        payment=payment,
        footer=footer,
        page_label=ctx.w("page", n="{n}", m="{m}"),
        letter_spaced=rng.random() < 0.2,
    )
    if self_billing:
        # The issuer (the customer) heads the page; the bill-to block is the issuer itself.
        doc.parties.insert(
            0,
            Party(
                "issuer",
                ctx.w("bill_to"),
                [customer, *customer_addr] + ([f"{vlabel} {customer_vat_p}"] if customer_vat_p else []),
            ),
        )
        rng.shuffle(doc.parties)

    # A second page that must not be read as totals --------------------------------------------
    if not credit and rng.random() < 0.22:
        doc.pages.append(statement_page(ctx, number, date, gross) if rng.random() < 0.5 else explain_page(ctx))

    fields = {
        "provider": provider,
        "provider_vat_id": provider_vat if (provider_vat_p and _printed(doc, provider_vat_p)) else None,
        "customer": customer,
        "customer_vat_id": customer_vat if (customer_vat_p and _printed(doc, customer_vat_p)) else None,
        "invoice_number": number,
        "purchase_order": po_label_value,
        "date": date.isoformat(),
        "due_date": due.isoformat() if due else None,
        "due_date_from_terms": (date + dt.timedelta(days=term_days)).isoformat() if terms and not due else None,
        "payment_terms": terms,
        "currency": ctx.currency,
        "total_without_vat": s(net),
        "total_vat": s(vat),
        "total_with_vat": s(gross),
        "amount_due": s(amount_due),
        "iban": iban if iban_p and _shown(doc, iban_p) else None,
        "bic": bic if bic and _shown(doc, bic) else None,
        "vat_breakdown": [
            {"rate": s(b["rate"]), "base": s(b["base"]), "amount": s(b["amount"])} for b in amounts["breakdown"]
        ],
        "lines": line_labels(lines),
    }
    labels = {
        "document_type": "invoice",
        "subtype": "credit_note" if credit else "invoice",
        "document_kind": kind,
        "fields": fields,
        "discount": bool(discount_pct),
        "deposit": bool(prepaid),
        "prices": "net",
        "adjustments": {
            "discount": s(amounts["discount"]),
            "surcharges": s(amounts["surcharges"]),
            "prepaid": s(prepaid),
        },
        "line_discounts": [s(line["discount"]) for line in lines],
        "reverse_charge": reverse,
        "amounts_printed_unsigned": printed_positive,
        "provider_only_in_logo": seller_name is None,
        "printed": {
            "invoice_number": number,
            "date": ctx.date(date),
            "total_with_vat": m(show(gross)),
            "amount_due": m(amount_due) if amount_due != gross else m(show(gross)),
            "provider": provider,
            "customer": customer,
        },
    }
    return doc, labels


def _shown(doc: Doc, text: str) -> bool:
    """Whether text is in the payment block or the footer."""
    return any(text in line for line in doc.payment + doc.footer)


def _printed(doc: Doc, text: str) -> bool:
    blob = " ".join(doc.seller_lines + doc.footer + [line for p in doc.parties for line in p.lines])
    return text in blob


def statement_page(ctx: Ctx, number: str, date: dt.date, gross: Decimal) -> Page:
    rng, m = ctx.rng, ctx.money
    rows, balance = [], ZERO
    entries = []
    for _ in range(rng.randint(1, 4)):
        d = date - dt.timedelta(days=rng.randint(20, 120))
        amount = D(rng.randint(5000, 900000)) / 100
        entries.append((d, f"{ctx.w('st_invoice')} {_number(ctx, d, False)}", d + dt.timedelta(days=30), amount))
        if rng.random() < 0.5:
            entries.append((d + dt.timedelta(days=rng.randint(10, 40)), ctx.w("st_payment"), None, -amount))
    entries.sort(key=lambda e: e[0])
    entries.append((date, f"{ctx.w('st_invoice')} {number}", None, gross))
    for d, text, due, amount in entries:
        balance += amount
        rows.append(
            {
                "date": [ctx.date(d)],
                "doc": [text],
                "due": [ctx.date(due) if due else ""],
                "debit": [m.amount(amount) if amount > 0 else ""],
                "credit": [m.amount(-amount) if amount < 0 else ""],
                "balance": [m.amount(balance)],
            }
        )
    table = Table(
        ["date", "doc", "due", "debit", "credit", "balance"],
        {k: ctx.w(f"st_{k}") for k in ("date", "doc", "due", "debit", "credit", "balance")},
        rows,
        numeric=("debit", "credit", "balance"),
        closing=[(ctx.w("st_total"), m(balance))],
    )
    return Page(ctx.w("statement_title"), [ctx.w("statement_intro", date=ctx.date(date))], table)


def explain_page(ctx: Ctx) -> Page:
    paragraphs = list(words("explain_paragraphs", ctx.lang))
    ctx.rng.shuffle(paragraphs)
    paragraphs.append(ctx.w("late_fees", fee=ctx.money(D(40))))
    return Page(ctx.w("page_intro_explain"), paragraphs)


# -- utility, telecom and insurance bills --------------------------------------------------------


def _consumer(ctx: Ctx) -> tuple[str, list[str], bool]:
    """(customer name as labelled, printed lines, is a person)."""
    rng = ctx.rng
    if rng.random() < 0.65:
        name = person(rng, ctx.locale)
        lines = [name]
        courtesy = WORDS["bill_to_mr" if rng.random() < 0.5 else "bill_to_ms"][ctx.lang][0]
        if courtesy and rng.random() < 0.6:
            lines = [courtesy, name] if ctx.lang == "de" else [f"{courtesy} {name}"]
        return name, lines, True
    name = company(rng, ctx.locale)
    return name, [name], False


def _bill_common(rng: random.Random, locale: Locale, family: str, variant: str, sector: str, water: bool = False):
    ctx = Ctx(rng, locale, family, variant)
    provider = sector_company(rng, locale, sector, water=water)
    provider_vat, provider_vat_p = vat_id(rng, locale)
    customer, cust_lines, _ = _consumer(ctx)
    cust_addr = address(rng, locale)
    iban, iban_p, bic = iban_and_bic(rng, locale) if rng.random() < 0.8 else (None, None, None)
    ctx.provider_addr = address(rng, locale)
    return ctx, provider, provider_vat, provider_vat_p, customer, cust_lines, cust_addr, iban, iban_p, bic


def utility(rng: random.Random, locale: Locale, family: str, variant: str) -> tuple[Doc, dict]:
    commodity_i = rng.choice([0, 0, 1, 2])  # electricity, gas, water
    ctx, provider, provider_vat, provider_vat_p, customer, cust_lines, cust_addr, iban, iban_p, bic = _bill_common(
        rng, locale, family, variant, "utility", water=commodity_i == 2
    )
    lang, m = ctx.lang, ctx.money
    c = WORDS["commodity"][lang][commodity_i]
    cc = c[:1].upper() + c[1:]
    standard = locale.vat_rates[0]
    rate = ENERGY_VAT.get(locale.key, standard) if commodity_i < 2 else locale.vat_rates[-1]
    days = rng.choice([30, 31, 61, 92, 365])
    end = _dates(rng)
    start = end - dt.timedelta(days=days - 1)
    date = end + dt.timedelta(days=rng.randint(2, 12))
    due = date + dt.timedelta(days=rng.choice([10, 14, 14, 21]))
    unit = "m³" if commodity_i == 2 else "kWh"
    prev = rng.randint(1000, 90000)
    consumption = (rng.randint(20, 400) if unit == "m³" else rng.randint(150, 900)) * max(1, days // 30)
    consumption = D(min(consumption, rng.randint(2000, 5000) if unit == "kWh" else 450))
    cur = prev + int(consumption)
    day_word = words("days", lang)[0]
    lines = []

    def add(designation: list[str], quantity: Decimal, price: Decimal, unit_text: str) -> None:
        lines.append(
            {
                "designation": designation,
                "quantity": quantity,
                "unit_price": price,
                "total": r2(quantity * price),
                "vat_rate": rate,
                "unit": unit_text,
            }
        )

    period_text = f"{ctx.date(start)} – {ctx.date(end)}"
    add([ctx.w("standing")], D(days), D(rng.randint(1500, 9000)) / 10000, day_word)
    if commodity_i == 2:
        add([ctx.w("water_supply")], consumption, D(rng.randint(15000, 45000)) / 10000, unit)
        add([ctx.w("wastewater")], consumption, D(rng.randint(15000, 40000)) / 10000, unit)
    else:
        add([ctx.w("energy", c=c, C=cc)], consumption, D(rng.randint(800, 3800)) / 10000, unit)
        if rng.random() < 0.6:
            add([ctx.w("network")], consumption, D(rng.randint(300, 1200)) / 10000, unit)
        if rng.random() < 0.5:
            add([ctx.w("levy")], consumption, D(rng.randint(50, 300)) / 10000, unit)
    amounts = breakdown(lines, None, [], "net")
    net, vat, gross = amounts["net"], amounts["vat"], amounts["gross"]

    summary: list[tuple[str, str]] = []
    prepaid = arrears = ZERO
    if days >= 61 and rng.random() < 0.75:  # advance payments (Abschläge) deducted
        n = days // 30
        instalment = D(int(gross * D(rng.randint(55, 95)) / 100 / n))
        prepaid = instalment * n
        summary.append((ctx.w("this_bill"), m(gross)))
        summary.append((ctx.w("advances", n=n, a=m(instalment)), m(-prepaid)))
    else:
        previous = D(rng.randint(3000, 40000)) / 100
        if rng.random() < ARREARS_SHARE:
            arrears = D(rng.randint(1000, int(previous * 100) - 100)) / 100
        summary += [
            (ctx.w("previous_balance"), m(previous)),
            (ctx.w("payment_received"), m(arrears - previous)),
            (ctx.w("balance_forward"), m(arrears)),
            (ctx.w("this_bill"), m(gross)),
        ]
    amount_due = gross - prepaid + arrears
    summary.append((f"{ctx.w('amount_due')}", m(amount_due)))

    number = rng.choice(
        [
            f"{digits(rng, 10)}",
            f"{digits(rng, 4)} {digits(rng, 4)} {digits(rng, 2)}",
            f"{letters(rng, 2)}{digits(rng, 8)}",
        ]
    )
    account_no = f"{digits(rng, 3)}{rng.choice(['-', ' ', ''])}{digits(rng, 6)}"
    meta = [
        (ctx.w("number"), number),
        (ctx.w("date"), ctx.date(date)),
        (ctx.w("account_no"), account_no),
        (ctx.w("period"), period_text),
        (ctx.w("due"), ctx.date(due)),
    ]
    if rng.random() < 0.5:
        meta[2], meta[0] = meta[0], meta[2]

    rows = [
        {
            "designation": line["designation"],
            "qty": [f"{ctx.qty(line['quantity'])} {line['unit']}"],
            "price": [m.amount(line["unit_price"], 4)],
            "vat": [f"{ctx.rate(rate)} %"],
            "total": [m.amount(line["total"])],
        }
        for line in lines
    ]
    cols = (
        ["designation", "qty", "price", "total"]
        if rng.random() < 0.6
        else ["designation", "qty", "price", "vat", "total"]
    )
    items = Table(
        cols,
        {k: ctx.w(f"col_{k}") for k in ("designation", "qty", "price", "vat", "total")},
        rows,
        title=f"{period_text}",
    )
    totals = [(ctx.w("net"), m(net)), (ctx.w("vat_line", r=ctx.rate(rate)), m(vat)), (ctx.w("this_bill"), m(gross))]
    meter = Table(
        ["meter", "prev", "cur", "cons"],
        {
            "meter": ctx.w("meter_no"),
            "prev": ctx.w("prev_read"),
            "cur": ctx.w("cur_read"),
            "cons": ctx.w("consumption"),
        },
        [
            {
                "meter": [f"{letters(rng, 1)}{digits(rng, 8)}"],
                "prev": [f"{prev}"],
                "cur": [f"{cur}"],
                "cons": [f"{int(consumption)} {unit}"],
            }
        ],
        numeric=("prev", "cur", "cons"),
        title=ctx.w("meter_title"),
    )
    vlabel = vat_label(ctx)
    notes = []
    payment, payment_title = [], ""
    direct_debit = rng.random() < 0.5
    if direct_debit:
        notes.append(ctx.w("direct_debit", date=ctx.date(due)))
    elif iban:
        payment_title = ctx.w("bank_details")
        payment = [f"IBAN: {iban_p}"] + ([f"BIC: {bic}"] if bic else []) + [f"{ctx.w('payment_ref')}: {account_no}"]
    footer = footer_lines(ctx, provider, ctx.provider_addr, provider_vat_p, vlabel, None, None, False)
    logo = draw_logo(rng, provider, wordmark=False) if rng.random() < 0.8 else None
    parties = [Party("bill_to", ctx.w("account_holder") if rng.random() < 0.3 else "", cust_lines + cust_addr)]
    if rng.random() < 0.4:
        parties.append(Party("supply", ctx.w("supply_address"), address(rng, locale)))
    doc = Doc(
        family=family, variant=variant, language=lang,
        title=ctx.w("utility_title", c=c, C=cc), seller_name=provider,
        seller_lines=[f"{ctx.w('contact')}: {phone(rng, locale)}", web(provider)[0]], logo=logo,
        sender_line=f"{provider} · {' · '.join(ctx.provider_addr[:2])}" if rng.random() < 0.4 else None,
        parties=parties, meta=meta, summary_title=ctx.w("summary_title"), summary=summary,
        items=items, totals=totals, emphasise=[len(totals) - 1], tables=[meter], notes=notes,
        payment_title=payment_title, payment=payment, footer=footer, page_label=ctx.w("page", n="{n}", m="{m}"),
    )  # fmt: skip
    if rng.random() < 0.25:
        doc.pages.append(explain_page(ctx))
    fields = _bill_fields(
        provider,
        provider_vat,
        provider_vat_p,
        customer,
        None,
        number,
        None,
        date,
        due,
        ctx.currency,
        amounts,
        amount_due,
        iban if payment else None,
        bic if payment else None,
        lines,
    )
    labels = _bill_labels(
        "utility_bill",
        fields,
        prepaid,
        {
            "invoice_number": number,
            "date": ctx.date(date),
            "total_with_vat": m(gross),
            "amount_due": m(amount_due),
            "provider": provider,
            "customer": customer,
        },
        arrears=arrears,
    )
    return doc, labels


def telecom(rng: random.Random, locale: Locale, family: str, variant: str) -> tuple[Doc, dict]:
    ctx, provider, provider_vat, provider_vat_p, customer, cust_lines, cust_addr, iban, iban_p, bic = _bill_common(
        rng, locale, family, variant, "telecom"
    )
    lang, m = ctx.lang, ctx.money
    rate = locale.vat_rates[0]
    end = _dates(rng)
    start = end - dt.timedelta(days=rng.choice([29, 30]))
    date = end + dt.timedelta(days=rng.randint(1, 6))
    due = date + dt.timedelta(days=rng.choice([14, 15, 20]))
    plan = rng.choice(["S", "M", "L", "XL", "Unlimited", "Pro 50", "Fibre 500", "Business 20"])
    sections: list[tuple[str, list[dict]]] = []
    monthly = [
        {"designation": [ctx.w("plan", p=plan)], "quantity": D(1), "unit_price": D(rng.randint(999, 8999)) / 100}
    ]
    for opt in rng.sample(words("options", lang), rng.randint(0, 2)):
        monthly.append({"designation": [opt], "quantity": D(1), "unit_price": D(rng.randint(199, 2499)) / 100})
    sections.append(
        (
            {
                "en": "Monthly charges",
                "fr": "Abonnements et options",
                "de": "Monatliche Entgelte",
                "nl": "Maandelijkse kosten",
                "it": "Canoni",
                "es": "Cuotas mensuales",
            }[lang],
            monthly,
        )
    )
    calls = []
    usage = []
    if rng.random() < 0.75:
        n = rng.randint(4, 24)
        for _ in range(n):
            cost = D(rng.randint(5, 450)) / 100
            calls.append(
                (
                    start + dt.timedelta(days=rng.randint(0, 28)),
                    f"{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}",
                    f"+{rng.choice(['33', '49', '44', '31', '39', '34', '1'])} {digits(rng, 3)} {digits(rng, 4)}",
                    f"{rng.randint(0, 40)}:{rng.randint(0, 59):02d}",
                    cost,
                )
            )
        calls.sort()
        usage_total = sum((x[4] for x in calls), ZERO)
        usage.append({"designation": [ctx.w("usage")], "quantity": D(1), "unit_price": usage_total})
        sections.append(
            (
                {
                    "en": "Usage",
                    "fr": "Consommations hors forfait",
                    "de": "Verbindungen",
                    "nl": "Gebruik",
                    "it": "Traffico",
                    "es": "Consumos",
                }[lang],
                usage,
            )
        )
    other = []
    if rng.random() < 0.35:
        other.append(
            {"designation": [ctx.w("loyalty")], "quantity": D(1), "unit_price": -D(rng.randint(200, 1000)) / 100}
        )
    if rng.random() < 0.15:
        other.append(
            {
                "designation": [
                    {
                        "en": "Connection fee",
                        "fr": "Frais de mise en service",
                        "de": "Bereitstellungsentgelt",
                        "nl": "Aansluitkosten",
                        "it": "Contributo attivazione",
                        "es": "Cuota de alta",
                    }[lang]
                ],
                "quantity": D(1),
                "unit_price": D(rng.randint(1999, 6999)) / 100,
            }
        )
    if other:
        sections.append(
            (
                {
                    "en": "Other charges and credits",
                    "fr": "Autres frais et remises",
                    "de": "Sonstiges und Gutschriften",
                    "nl": "Overige kosten en kortingen",
                    "it": "Altri addebiti e sconti",
                    "es": "Otros cargos y descuentos",
                }[lang],
                other,
            )
        )
    lines = []
    rows = []
    for heading, items_ in sections:
        if variant == "telecom-sections":
            rows.append({"_section": [heading]})
        for line in items_:
            line["total"] = r2(line["quantity"] * line["unit_price"])
            line["vat_rate"] = rate
            lines.append(line)
            rows.append(
                {
                    "designation": line["designation"],
                    "qty": [ctx.qty(line["quantity"])],
                    "price": [m.amount(line["unit_price"])],
                    "total": [m.amount(line["total"])],
                }
            )
    amounts = breakdown(lines, None, [], "net")
    net, vat, gross = amounts["net"], amounts["vat"], amounts["gross"]
    previous = D(rng.randint(2000, 15000)) / 100
    summary = [
        (ctx.w("previous_balance"), m(previous)),
        (ctx.w("payment_received"), m(-previous)),
        (ctx.w("this_bill"), m(gross)),
        (ctx.w("amount_due"), m(gross)),
    ]
    if rng.random() < 0.4:
        summary = summary[2:]
    number = rng.choice(
        [f"{letters(rng, 1)}{digits(rng, 9)}", f"{digits(rng, 3)}-{digits(rng, 7)}", f"{digits(rng, 12)}"]
    )
    mobile = f"0{rng.randint(6, 7)}{digits(rng, 2)} {digits(rng, 3)} {digits(rng, 3)}"
    account_no = f"{digits(rng, 9)}"
    meta = [
        (ctx.w("number"), number),
        (ctx.w("date"), ctx.date(date)),
        (ctx.w("account_no"), account_no),
        (ctx.w("mobile_no"), mobile),
        (ctx.w("period"), f"{ctx.date(start)} – {ctx.date(end)}"),
        (ctx.w("due"), ctx.date(due)),
    ]
    cols = ["designation", "qty", "price", "total"] if rng.random() < 0.5 else ["designation", "total"]
    items = Table(cols, {k: ctx.w(f"col_{k}") for k in ("designation", "qty", "price", "total")}, rows)
    totals = [(ctx.w("net"), m(net)), (ctx.w("vat_line", r=ctx.rate(rate)), m(vat)), (ctx.w("total"), m(gross))]
    vlabel = vat_label(ctx)
    notes, payment, payment_title = [], [], ""
    if rng.random() < 0.6:
        notes.append(ctx.w("direct_debit", date=ctx.date(due)))
    elif iban:
        payment_title = ctx.w("bank_details")
        payment = [f"IBAN: {iban_p}"] + ([f"BIC: {bic}"] if bic else [])
    footer = footer_lines(ctx, provider, ctx.provider_addr, provider_vat_p, vlabel, None, None, False)
    logo_name = " ".join(provider.split()[:2])
    only_logo = rng.random() < 0.3
    logo = draw_logo(rng, logo_name, wordmark=only_logo)
    if only_logo and not any(line.startswith(provider) for line in footer):
        footer.insert(0, f"{provider} · {' · '.join(ctx.provider_addr[:2])}")
    doc = Doc(
        family=family, variant=variant, language=lang, title=ctx.w("telecom_title"),
        seller_name=None if only_logo else provider, seller_lines=[web(provider)[0]], logo=logo,
        parties=[Party("bill_to", "", cust_lines + cust_addr)], meta=meta,
        summary_title=ctx.w("summary_title"), summary=summary, items=items, totals=totals,
        emphasise=[len(totals) - 1], notes=notes, payment_title=payment_title, payment=payment, footer=footer,
        page_label=ctx.w("page", n="{n}", m="{m}"),
    )  # fmt: skip
    if calls and rng.random() < 0.6:
        call_rows = [
            {"date": [ctx.date(d)], "time": [t], "number": [num], "duration": [dur], "cost": [m.amount(cost)]}
            for d, t, num, dur, cost in calls
        ]
        cols_ = ["date", "time", "number", "duration", "cost"]
        table = Table(cols_, dict(zip(cols_, WORDS["calls_cols"][lang])), call_rows, numeric=("duration", "cost"),
                      closing=[(usage[0]["designation"][0], m.amount(usage[0]["total"]))])  # fmt: skip
        doc.pages.append(Page(ctx.w("calls_title"), [ctx.w("calls_note", line=ctx.w("usage"))], table))
    fields = _bill_fields(
        provider,
        provider_vat,
        provider_vat_p,
        customer,
        None,
        number,
        None,
        date,
        due,
        ctx.currency,
        amounts,
        gross,
        iban if payment else None,
        bic if payment else None,
        lines,
    )
    labels = _bill_labels(
        "telecom_bill",
        fields,
        ZERO,
        {
            "invoice_number": number,
            "date": ctx.date(date),
            "total_with_vat": m(gross),
            "amount_due": m(gross),
            "provider": provider,
            "customer": customer,
        },
    )
    labels["provider_only_in_logo"] = only_logo
    return doc, labels


def insurance(rng: random.Random, locale: Locale, family: str, variant: str) -> tuple[Doc, dict]:
    ctx, provider, provider_vat, provider_vat_p, customer, cust_lines, cust_addr, iban, iban_p, bic = _bill_common(
        rng, locale, family, variant, "insurance"
    )
    lang, m = ctx.lang, ctx.money
    rate = INSURANCE_TAX[locale.key]
    start = _dates(rng)
    months = rng.choice([12, 12, 6, 3, 1])
    end = start + dt.timedelta(days=round(months * 30.4) - 1)
    date = start - dt.timedelta(days=rng.randint(14, 40))
    due = start
    covers = rng.sample(words("covers", lang), rng.randint(1, 4))
    lines = []
    for cover in covers:
        premium = D(rng.randint(4000, 250000)) / 100 * months / 12
        premium = r2(premium)
        lines.append(
            {"designation": [cover], "quantity": D(1), "unit_price": premium, "total": premium, "vat_rate": rate}
        )
    surcharges = []
    if months < 12 and rng.random() < 0.7:
        surcharges.append(
            {
                "label": ctx.w("instalment_charge"),
                "amount": r2(sum(line["total"] for line in lines) * D(rng.choice([3, 5])) / 100),
                "vat_rate": rate,
            }
        )
    amounts = breakdown(lines, None, surcharges, "net")
    net, vat, gross = amounts["net"], amounts["vat"], amounts["gross"]
    number = f"{rng.choice(['BR', 'PR', 'AV', ''])}{digits(rng, 8)}"
    policy = f"{digits(rng, 2)}.{digits(rng, 3)}.{digits(rng, 3)}-{digits(rng, 1)}"
    period = f"{ctx.date(start)} – {ctx.date(end)}"
    meta = [
        (ctx.w("number"), number),
        (ctx.w("date"), ctx.date(date)),
        (ctx.w("policy_no"), policy),
        (ctx.w("cover_period"), period),
        (ctx.w("due"), ctx.date(due)),
    ]
    if rng.random() < 0.5:
        meta = [meta[2], meta[0], meta[1], meta[3], meta[4]]
    rows = [
        {"designation": line["designation"], "period": [period], "total": [m.amount(line["total"])]} for line in lines
    ]
    cols = ["designation", "period", "total"] if variant == "insurance-schedule" else ["designation", "total"]
    items = Table(
        cols,
        {"designation": ctx.w("col_designation"), "period": ctx.w("cover_period"), "total": ctx.w("premium_net")[:40]},
        rows,
        numeric=("total",),
    )
    totals = []
    if surcharges:
        totals.append((ctx.w("subtotal"), m(amounts["lines_sum"])))
        totals.append((surcharges[0]["label"], m(surcharges[0]["amount"])))
    totals += [
        (ctx.w("premium_net"), m(net)),
        (ctx.w("ipt_line", r=ctx.rate(rate)), m(vat)),
        (ctx.w("premium_total"), m(gross)),
    ]
    notes = [ctx.w("insurance_exempt")]
    payment, payment_title = [], ""
    if rng.random() < 0.5:
        notes.append(ctx.w("direct_debit", date=ctx.date(due)))
    elif iban:
        payment_title = ctx.w("bank_details")
        payment = [f"IBAN: {iban_p}"] + ([f"BIC: {bic}"] if bic else []) + [f"{ctx.w('payment_ref')}: {policy}"]
    vlabel = vat_label(ctx)
    vat_printed = provider_vat_p if rng.random() < 0.5 else None
    footer = footer_lines(ctx, provider, ctx.provider_addr, vat_printed, vlabel, None, None, False)
    parties = [Party("policyholder", ctx.w("policyholder") if rng.random() < 0.5 else "", cust_lines + cust_addr)]
    doc = Doc(
        family=family, variant=variant, language=lang, title=ctx.w("insurance_title"), seller_name=provider,
        seller_lines=ctx.provider_addr + [phone(rng, locale)], logo=draw_logo(rng, provider, wordmark=False) if rng.random() < 0.7 else None,
        sender_line=f"{provider} · {' · '.join(ctx.provider_addr[:2])}" if rng.random() < 0.5 else None,
        parties=parties, meta=meta, items=items, totals=totals, emphasise=[len(totals) - 1], notes=notes,
        payment_title=payment_title, payment=payment, footer=footer, page_label=ctx.w("page", n="{n}", m="{m}"),
    )  # fmt: skip
    if rng.random() < 0.3:
        doc.pages.append(explain_page(ctx))
    fields = _bill_fields(
        provider,
        provider_vat,
        vat_printed,
        customer,
        None,
        number,
        None,
        date,
        due,
        ctx.currency,
        amounts,
        gross,
        iban if payment else None,
        bic if payment else None,
        lines,
    )
    labels = _bill_labels(
        "insurance_bill",
        fields,
        ZERO,
        {
            "invoice_number": number,
            "date": ctx.date(date),
            "total_with_vat": m(gross),
            "amount_due": m(gross),
            "provider": provider,
            "customer": customer,
        },
    )
    labels["tax"] = "insurance_premium_tax"
    labels["adjustments"]["surcharges"] = s(amounts["surcharges"])
    return doc, labels


def _bill_fields(
    provider,
    provider_vat,
    provider_vat_p,
    customer,
    customer_vat,
    number,
    po,
    date,
    due,
    currency,
    amounts,
    amount_due,
    iban,
    bic,
    lines,
) -> dict:
    return {
        "provider": provider,
        "provider_vat_id": provider_vat if provider_vat_p else None,
        "customer": customer,
        "customer_vat_id": customer_vat,
        "invoice_number": number,
        "purchase_order": po,
        "date": date.isoformat(),
        "due_date": due.isoformat() if due else None,
        "due_date_from_terms": None,
        "payment_terms": None,
        "currency": currency,
        "total_without_vat": s(amounts["net"]),
        "total_vat": s(amounts["vat"]),
        "total_with_vat": s(amounts["gross"]),
        "amount_due": s(amount_due),
        "iban": iban,
        "bic": bic,
        "vat_breakdown": [
            {"rate": s(b["rate"]), "base": s(b["base"]), "amount": s(b["amount"])} for b in amounts["breakdown"]
        ],
        "lines": line_labels(lines),
    }


def _bill_labels(kind: str, fields: dict, prepaid: Decimal, printed: dict, arrears: Decimal = ZERO) -> dict:
    return {
        "document_type": "invoice",
        "subtype": "invoice",
        "document_kind": kind,
        "fields": fields,
        "discount": False,
        "deposit": bool(prepaid),
        "prices": "net",
        "adjustments": {"discount": "0", "surcharges": "0", "prepaid": s(prepaid), "arrears": s(arrears)},
        "line_discounts": ["0"] * len(fields["lines"]),
        "reverse_charge": False,
        "amounts_printed_unsigned": False,
        "provider_only_in_logo": False,
        "printed": printed,
    }


# -- simplified invoices and till receipts -------------------------------------------------------


def receipt(rng: random.Random, locale: Locale, family: str, variant: str) -> tuple[Doc, dict]:
    ctx = Ctx(rng, locale, family, variant)
    lang, m = ctx.lang, ctx.money
    trade_name, legal = shop(rng, locale)
    provider_vat, provider_vat_p = vat_id(rng, locale)
    rates = list(locale.vat_rates[:2]) if rng.random() < 0.5 else [locale.vat_rates[0]]
    codes = {rate: "ABCD"[i] for i, rate in enumerate(sorted(rates, reverse=True))}
    lines = []
    for name in rng.sample(words("receipt_items", lang), rng.randint(1, 7)):
        quantity = D(rng.choice([1, 1, 1, 2, 3]))
        price = D(rng.randint(80, 2500)) / 100
        lines.append(
            {
                "designation": [name],
                "quantity": quantity,
                "unit_price": price,
                "total": r2(quantity * price),
                "vat_rate": rng.choice(rates),
            }
        )
    amounts = breakdown(lines, None, [], "gross")
    gross = amounts["gross"]
    date = _dates(rng)
    time = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    number = rng.choice(
        [
            f"{rng.randint(1, 9999):04d}-{digits(rng, 6)}",
            f"{digits(rng, 8)}",
            f"T{rng.randint(1, 20):02d}/{digits(rng, 5)}",
        ]
    )
    customer = customer_vat = None
    parties = []
    if rng.random() < 0.25:
        customer = company(rng, locale)
        customer_vat, customer_vat_p = vat_id(rng, locale)
        cust_lines = [customer] + ([f"{vat_label(ctx)} {customer_vat_p}"] if customer_vat_p else [])
        parties.append(Party("bill_to", ctx.w("bill_to"), cust_lines))
    rows = []
    for line in lines:
        qty_price = f"{ctx.qty(line['quantity'])} x {m.amount(line['unit_price'])}" if line["quantity"] != 1 else ""
        rows.append(
            {
                "designation": line["designation"] + ([qty_price] if qty_price else []),
                "total": [f"{m.amount(line['total'])} {codes[line['vat_rate']]}"],
            }
        )
    items = Table(["designation", "total"], {"designation": "", "total": ctx.currency}, rows)
    totals = [(ctx.w("receipt_total"), m(gross))]
    paid_card = rng.random() < 0.6
    if paid_card:
        totals.append((ctx.w("card"), m(gross)))
    else:
        given = D(int(gross / 10 + 1) * 10)
        totals += [(ctx.w("cash"), m(given)), (ctx.w("change"), m(given - gross))]
    vat_table = Table(
        ["code", "rate", "base", "amount", "gross"],
        {
            "code": "",
            "rate": ctx.w("vt_rate"),
            "base": ctx.w("vt_base"),
            "amount": ctx.w("vt_vat"),
            "gross": ctx.w("vt_gross"),
        },
        [
            {
                "code": [codes[b["rate"]]],
                "rate": [f"{ctx.rate(b['rate'])}%"],
                "base": [m.amount(b["base"])],
                "amount": [m.amount(b["amount"])],
                "gross": [m.amount(b["base"] + b["amount"])],
            }
            for b in amounts["breakdown"]
        ],
        numeric=("rate", "base", "amount", "gross"),
        title=ctx.w("incl_vat"),
    )
    seller_lines = address(rng, locale)[:2]
    vlabel = (
        {"en": "VAT", "fr": "TVA", "de": "USt-ID", "nl": "BTW", "it": "P.IVA", "es": "NIF"}[lang]
        if locale.key != "de-CH"
        else "MWST"
    )
    if provider_vat_p:
        seller_lines.append(f"{vlabel} {provider_vat}")
    footer = [ctx.w("receipt_thanks")]
    provider = trade_name
    if legal != trade_name:
        footer.append(legal)
        provider = legal
    meta = [
        (ctx.w("receipt_no"), number),
        (ctx.w("date"), f"{ctx.date(date)} {time}"),
        (ctx.w("cashier"), str(rng.randint(1, 12))),
    ]
    doc = Doc(
        family=family, variant=variant, language=lang, title=ctx.w("receipt_title"), seller_name=trade_name,
        seller_lines=seller_lines, logo=draw_logo(rng, trade_name, wordmark=False) if rng.random() < 0.3 else None,
        parties=parties, meta=meta, items=items, totals=totals, emphasise=[0], vat_table=vat_table,
        footer=footer, narrow=variant == "receipt-thermal",
    )  # fmt: skip
    fields = {
        "provider": provider,
        "provider_vat_id": provider_vat if provider_vat_p else None,
        "customer": customer,
        "customer_vat_id": customer_vat if customer else None,
        "invoice_number": number,
        "purchase_order": None,
        "date": date.isoformat(),
        "due_date": None,
        "due_date_from_terms": None,
        "payment_terms": None,
        "currency": ctx.currency,
        "total_without_vat": s(amounts["net"]),
        "total_vat": s(amounts["vat"]),
        "total_with_vat": s(gross),
        "amount_due": s(gross),
        "iban": None,
        "bic": None,
        "vat_breakdown": [
            {"rate": s(b["rate"]), "base": s(b["base"]), "amount": s(b["amount"])} for b in amounts["breakdown"]
        ],
        "lines": line_labels(lines),
    }
    labels = _bill_labels(
        "receipt",
        fields,
        ZERO,
        {
            "invoice_number": number,
            "date": ctx.date(date),
            "total_with_vat": m(gross),
            "amount_due": m(gross),
            "provider": provider,
            "customer": customer,
        },
    )
    labels["prices"] = "gross"
    labels["provider_trade_name"] = trade_name
    return doc, labels


# -- look-alikes ---------------------------------------------------------------------------------


def lookalike(rng: random.Random, locale: Locale, family: str, variant: str, kind: str) -> tuple[Doc, dict]:
    """A document built like an invoice of the same templates that is not one."""
    doc, inv = trade(rng, locale, family, variant, "invoice")
    ctx = Ctx(rng, locale, family, variant)
    lang, m = ctx.lang, ctx.money
    fields = inv["fields"]
    titles, number_labels, date2_labels = LOOKALIKE_WORDS[kind][lang]
    date = dt.date.fromisoformat(fields["date"])
    date_text = ctx.date(date)
    doc_number = f"{rng.choice({'quote': ['Q', 'DEV', 'ANG', 'OFF', 'PREV', 'PRES'], 'purchase_order': ['PO', 'BC', 'BE', 'OA'], 'order_confirmation': ['SO', 'AB', 'CC', 'OC'], 'delivery_note': ['DN', 'BL', 'LS', 'DDT', 'ALB'], 'statement_of_account': ['ST', 'RC'], 'payment_reminder': ['RM', 'MA', 'REL'], 'payment_receipt': ['RC', 'PR', 'QT'], 'letter': ['L', 'ref']}[kind])}-{rng.randint(1000, 99999)}"
    doc.title = rng.choice(titles)
    date2 = ctx.date(date + dt.timedelta(days=rng.choice([7, 14, 30])))
    doc.meta = [(rng.choice(number_labels), doc_number), (WORDS["date"][lang][0], date_text)]
    if date2_labels[0]:
        doc.meta.append((rng.choice(date2_labels), date2))
    if rng.random() < 0.5:
        doc.meta.append((ctx.w("customer_no"), f"{rng.randint(1000, 99999)}"))
    doc.hero = None
    doc.intro = []
    doc.payment, doc.payment_title = [], ""
    doc.pages = []
    doc.notes = [n for n in doc.notes if n in words("thanks", lang)]
    if doc.emphasise:
        doc.totals = doc.totals[: doc.emphasise[0] + 1]
        doc.totals[-1] = (NEUTRAL_TOTAL[lang], doc.totals[-1][1])
        doc.emphasise = [len(doc.totals) - 1]
    doc.footer = (
        [line for line in doc.footer if not line.startswith("IBAN")] if kind != "payment_reminder" else doc.footer
    )
    if rng.random() < 0.4:
        doc.notes.append(ctx.w("not_invoice"))
    gross = D(fields["total_with_vat"])
    ref = f"{rng.choice(['INV', 'FA', 'RE', 'F', 'FT', 'FRA'])}-{rng.randint(2022, 2025)}-{rng.randint(1, 9999):04d}"
    if kind == "purchase_order":
        buyer, supplier = fields["customer"], fields["provider"]
        for p in doc.parties:
            if p.role == "bill_to":
                p.role, p.heading, p.lines = "supplier", ctx.w("supplier"), [supplier, *address(rng, locale)]
        doc.seller_name = buyer if doc.seller_name else None
        doc.logo = draw_logo(rng, buyer, wordmark=False) if doc.logo else None
        doc.seller_lines = address(rng, locale)
        doc.footer = [f"{buyer} · {registration(rng, locale)}"]
        doc.sender_line = None
    if kind == "delivery_note":
        doc.items.columns = [c for c in doc.items.columns if c in ("pos", "code", "designation", "qty", "unit")]
        doc.totals, doc.vat_table, doc.emphasise = [], None, []
        doc.notes.append(
            {
                "en": "Received in good condition: ____________",
                "fr": "Reçu en bon état : ____________",
                "de": "Ware erhalten: ____________",
                "nl": "Goederen ontvangen: ____________",
                "it": "Firma per ricevuta: ____________",
                "es": "Recibido conforme: ____________",
            }[lang]
        )
    if kind in ("statement_of_account", "payment_reminder", "payment_receipt", "letter"):
        doc.items, doc.totals, doc.vat_table, doc.emphasise = None, [], None, []
    if kind == "statement_of_account":
        page = statement_page(ctx, fields["invoice_number"], date, gross)
        doc.tables = [page.table]
        doc.intro = page.paragraphs
    if kind == "payment_reminder":
        fee = D(rng.choice([0, 5, 10, 15, 40]))
        overdue = D(rng.randint(5000, 500000)) / 100
        table = Table(
            ["doc", "date", "due", "amount"],
            {"doc": ctx.w("st_doc"), "date": ctx.w("st_date"), "due": ctx.w("st_due"), "amount": ctx.w("st_balance")},
            [
                {
                    "doc": [ref],
                    "date": [ctx.date(date - dt.timedelta(days=60))],
                    "due": [ctx.date(date - dt.timedelta(days=30))],
                    "amount": [m.amount(overdue)],
                }
            ],
            numeric=("amount",),
            closing=([(ctx.w("reminder_fee"), m(fee))] if fee else []) + [(ctx.w("amount_due"), m(overdue + fee))],
        )
        doc.tables = [table]
        doc.body = [ctx.w("reminder_text", amount=m(overdue + fee), date=date2)]
        iban_p = next((line for line in doc.footer if line.startswith("IBAN")), None)
        if iban_p:
            doc.payment_title, doc.payment = ctx.w("bank_details"), [iban_p]
    if kind == "payment_receipt":
        doc.body = [ctx.w("receipt_text", amount=m(gross), ref=ref)]
    if kind == "letter":
        doc.title = ""
        doc.meta = [
            (rng.choice(number_labels), doc_number),
            (WORDS["date"][lang][0], date_text),
            (ctx.w("subject"), ctx.w("letter_subject")),
        ]
        doc.body = [p.format(ref=ref) for p in words("letter_text", lang)]
        doc.notes = []
    if kind == "quote":
        doc.notes.append(
            {
                "en": "We look forward to your order.",
                "fr": "Bon pour accord, date et signature :",
                "de": "Wir freuen uns auf Ihren Auftrag.",
                "nl": "Voor akkoord getekend:",
                "it": "Per accettazione, timbro e firma:",
                "es": "Conforme, firma y sello:",
            }[lang]
        )
    doc.letter_spaced = doc.letter_spaced and bool(doc.title)
    labels = {"document_type": "other", "subtype": kind, "document_kind": kind, "fields": {}}
    return doc, labels
