"""Till receipts that are simplified invoices ("TAX INVOICE", "Facture simplifiée", "Kassenbeleg /
Rechnung"), printed on a narrow roll by reportlab: the reportlab generator's layout family 'till'.

    pdf_bytes, labels = till_receipt(rng, locale)

The shop prints its name (a trade name, or a company name with its legal form), address and VAT
number; no customer. Items are priced with VAT included, each with the letter of its VAT rate, the
quantity before the item's name or on a line under it ("3 x 1,20", with or without the amount); the totals
are the gross total, the payment (card, or cash and change) and a VAT summary per rate (net, VAT,
sometimes the rate's gross). Labels follow benchmarks/synthetic.py: line totals and unit prices are
the printed (gross) amounts; the net and VAT totals are the VAT summary's sums.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import ROUND_HALF_UP, Decimal

from reportlab.pdfgen import canvas

from benchmarks.synthetic_locale import (
    CENT,
    Locale,
    address,
    company,
    format_amount,
    format_date,
    format_rate,
    person,
    vat_id,
)

MM = 72 / 25.4
WIDTH = 80 * MM
"""A till roll."""

_WORDS = {
    "title": {
        "en": ["TAX INVOICE", "SIMPLIFIED TAX INVOICE", "Receipt / Tax invoice"],
        "fr": ["FACTURE SIMPLIFIÉE", "Ticket - Facture simplifiée"],
        "de": ["RECHNUNG", "Kassenbeleg / Rechnung", "Kleinbetragsrechnung"],
        "nl": ["FACTUUR", "Kassabon / factuur", "VEREENVOUDIGDE FACTUUR"],
        "it": ["SCONTRINO / FATTURA SEMPLIFICATA", "Fattura semplificata", "FATTURA SEMPLIFICATA"],
        "es": ["FACTURA SIMPLIFICADA", "Ticket / factura simplificada", "Factura simplificada"],
    },
    "number": {
        "en": ["Receipt no.", "Trans.", "Invoice no."],
        "fr": ["Ticket n°", "N° ticket"],
        "de": ["Beleg-Nr.", "Bon-Nr."],
        "nl": ["Bonnr.", "Bonnummer", "Factuurnr."],
        "it": ["Scontrino n.", "Fattura n.", "Doc. n."],
        "es": ["Ticket n.º", "N.º ticket", "Fra. simpl. n.º"],
    },
    "till": {
        "en": ["Till", "POS"], "fr": ["Caisse"], "de": ["Kasse"],
        "nl": ["Kassa"], "it": ["Cassa"], "es": ["Caja", "TPV"],
    },
    "served": {
        "en": ["Served by", "Cashier"],
        "fr": ["Caissier", "Vous avez été servi par"],
        "de": ["Es bediente Sie", "Bediener"],
        "nl": ["U werd geholpen door", "Medewerker"],
        "it": ["Operatore", "Cassiere"],
        "es": ["Le atendió", "Cajero"],
    },
    "total": {
        "en": ["TOTAL", "TOTAL DUE", "Total to pay"],
        "fr": ["TOTAL TTC", "TOTAL", "Net à payer"],
        "de": ["SUMME", "Gesamt", "Zu zahlen"],
        "nl": ["TOTAAL", "Totaal", "Te betalen"],
        "it": ["TOTALE", "TOTALE COMPLESSIVO", "Da pagare"],
        "es": ["TOTAL", "TOTAL A PAGAR", "Importe total"],
    },
    "card": {
        "en": ["Card", "Visa", "Contactless"],
        "fr": ["CB", "Carte bancaire"],
        "de": ["EC-Karte", "Kartenzahlung"],
        "nl": ["Pin", "Pinbetaling", "Contactloos"],
        "it": ["Bancomat", "Carta di credito", "Pagamento elettronico"],
        "es": ["Tarjeta", "Pago con tarjeta", "Visa"],
    },
    "cash": {
        "en": ["Cash"], "fr": ["Espèces"], "de": ["Bar"],
        "nl": ["Contant"], "it": ["Contanti"], "es": ["Efectivo"],
    },
    "change": {
        "en": ["Change"], "fr": ["Rendu"], "de": ["Rückgeld"],
        "nl": ["Wisselgeld"], "it": ["Resto"], "es": ["Cambio"],
    },
    "vat_head": {
        "en": ["VAT rate  Net  VAT"],
        "fr": ["Taux  HT  TVA"],
        "de": ["MwSt.-Satz  Netto  MwSt."],
        "nl": ["Btw-tarief  Netto  Btw"],
        "it": ["Aliquota  Imponibile  IVA"],
        "es": ["Tipo IVA  Base  Cuota"],
    },
    "vat_head_gross": {
        "en": ["Rate  Net  VAT  Total"],
        "fr": ["Taux  HT  TVA  TTC"],
        "de": ["Satz  Netto  MwSt.  Brutto"],
        "nl": ["Tarief  Netto  Btw  Totaal"],
        "it": ["Aliquota  Imponibile  IVA  Totale"],
        "es": ["Tipo  Base  Cuota  Total"],
    },
    "net": {
        "en": ["Total excl. VAT", "Net"],
        "fr": ["Total HT"],
        "de": ["Netto", "Summe netto"],
        "nl": ["Totaal excl. btw", "Netto"],
        "it": ["Totale imponibile", "Imponibile"],
        "es": ["Base imponible", "Total sin IVA"],
    },
    "vat_total": {
        "en": ["VAT total", "Total VAT"],
        "fr": ["Total TVA"],
        "de": ["MwSt. gesamt", "Summe MwSt."],
        "nl": ["Totaal btw", "Btw totaal"],
        "it": ["Totale IVA", "di cui IVA"],
        "es": ["Total IVA", "Total cuota IVA"],
    },
    "thanks": {
        "en": ["Thank you for shopping with us"],
        "fr": ["Merci de votre visite"],
        "de": ["Vielen Dank für Ihren Einkauf"],
        "nl": ["Bedankt voor uw bezoek", "Dank u wel en tot ziens"],
        "it": ["Grazie e arrivederci"],
        "es": ["Gracias por su visita"],
    },
    "vat_id": {
        "en": ["VAT No.", "VAT Reg."],
        "fr": ["N° TVA"],
        "de": ["USt-IdNr.", "USt-ID"],
        "nl": ["Btw-nr.", "BTW"],
        "it": ["P.IVA", "Partita IVA"],
        "es": ["NIF", "CIF"],
    },
}
_SHOPS = {
    "en": (["Harbour", "Kestrel", "Meadow", "Oakfield", "Riverside"], ["Café", "Hardware", "Bakery", "Pharmacy", "Deli"]),
    "fr": (["Boulangerie", "Quincaillerie", "Épicerie", "Café", "Pharmacie"], ["du Port", "Centrale", "des Halles", "du Marché"]),
    "de": (["Bäckerei", "Eisenwaren", "Feinkost", "Café", "Apotheke"], ["am Markt", "Lindner", "Zentrum", "Seidel"]),
    "nl": (["Bakkerij", "IJzerhandel", "Delicatessen", "Koffiehuis", "Apotheek"], ["De Molen", "Centrum", "Het Hoekje", "Verhoeven"]),
    "it": (["Panificio", "Ferramenta", "Alimentari", "Bar", "Farmacia"], ["Centrale", "del Corso", "del Borgo", "Bellini"]),
    "es": (["Panadería", "Ferretería", "Ultramarinos", "Cafetería", "Farmacia"], ["La Plaza", "Central", "del Puerto", "Ortega"]),
}
_ITEMS = {
    "en": ["Flat white", "Croissant", "Screws 4x40 (100)", "Sourdough loaf", "Paracetamol 16", "Sandwich", "Batteries AA",
           "Orange juice", "Masking tape", "Scones (2)"],
    "fr": ["Baguette", "Café crème", "Vis 4x40 (100)", "Croissant", "Pain de campagne", "Piles AA", "Jus d'orange",
           "Sandwich jambon", "Ruban adhésif", "Éclair café"],
    "de": ["Brötchen", "Kaffee", "Schrauben 4x40 (100)", "Brezel", "Vollkornbrot", "Batterien AA", "Orangensaft",
           "Klebeband", "Käsekuchen", "Belegtes Brötchen"],
    "nl": ["Koffie verkeerd", "Croissant", "Schroeven 4x40 (100)", "Volkorenbrood", "Paracetamol 500mg 20st",
           "Broodje kaas", "Batterijen AA", "Jus d'orange", "Afplaktape", "Appeltaart"],
    "it": ["Caffè", "Cornetto", "Viti 4x40 (100)", "Pane casereccio", "Cappuccino", "Pile AA", "Spremuta d'arancia",
           "Tramezzino", "Nastro adesivo", "Focaccia"],
    "es": ["Café con leche", "Cruasán", "Tornillos 4x40 (100)", "Barra de pan", "Pilas AA", "Zumo de naranja",
           "Bocadillo de jamón", "Cinta de carrocero", "Magdalenas (6)", "Paracetamol 1 g 20 comp."],
}


def _w(rng: random.Random, key: str, lang: str) -> str:
    return rng.choice(_WORDS[key][lang])


def till_receipt(rng: random.Random, locale: Locale) -> tuple[bytes, dict]:
    """The PDF (one narrow page) and its labels."""
    lang = locale.language
    if rng.random() < 0.5:
        first, second = _SHOPS[lang]
        shop = f"{rng.choice(first)} {rng.choice(second)}"
    else:
        shop = company(rng, locale)
    shop_vat, shop_vat_printed = vat_id(rng, locale)
    rates = sorted(set(rng.sample(list(locale.vat_rates), min(len(locale.vat_rates), rng.choice([1, 2])))), reverse=True)
    letters = {rate: "ABC"[i] for i, rate in enumerate(rates)}
    lines = []
    for name in rng.sample(_ITEMS[lang], rng.randint(1, 8)):
        quantity = Decimal(rng.choice([1, 1, 1, 2, 3, 4]))
        price = Decimal(rng.randint(60, 3500)) / 100
        lines.append({"designation": name, "quantity": quantity, "unit_price": price,
                      "total": (quantity * price).quantize(CENT), "vat_rate": rng.choice(rates)})
    gross = sum((line["total"] for line in lines), Decimal(0))
    summary = []
    for rate in rates:
        total = sum((line["total"] for line in lines if line["vat_rate"] == rate), Decimal(0))
        if total:
            net = (total * 100 / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
            summary.append({"rate": rate, "base": net, "amount": total - net})
    date = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1200))
    number = rng.choice([f"{rng.randint(1, 99):02d}-{rng.randint(100000, 999999)}", str(rng.randint(10000, 9999999))])
    amount = lambda v: format_amount(v, locale)  # noqa: E731
    currency = locale.currencies[0]
    qty_first = rng.random() < 0.5
    # Two ways tills print, from a stream of their own (the rest of a seed's receipt stays as it
    # was): a quantity's line under its item carrying the amount, and a VAT summary with each
    # rate's gross.
    layout = random.Random(f"{shop}|{number}|till-layout")
    amount_below = not qty_first and layout.random() < 0.5
    gross_column = layout.random() < 0.4

    printed: list[tuple[str, str, str]] = []  # (left, right, style): style '' / 'bold' / 'big' / 'centre'
    centre = lambda text, style="centre": printed.append((text, "", style))  # noqa: E731
    centre(shop, "big")
    for line in address(rng, locale):
        centre(line)
    if shop_vat_printed:
        centre(f"{_w(rng, 'vat_id', lang)} {shop_vat_printed}")
    centre("")
    centre(_w(rng, "title", lang), "bold")
    printed.append((f"{format_date(date, rng.choice(locale.date_styles[:1]), lang)} {rng.randint(7, 21):02d}:"
                    f"{rng.randint(0, 59):02d}", f"{_w(rng, 'number', lang)} {number}", ""))
    printed.append((f"{_w(rng, 'till', lang)} {rng.randint(1, 9)}", f"{_w(rng, 'served', lang)}: "
                    f"{person(rng, locale).split()[0]}", ""))
    centre("-" * 40)
    for line in lines:
        code = letters[line["vat_rate"]]
        if qty_first:
            printed.append((f"{line['quantity']} {line['designation']}", f"{amount(line['total'])} {code}", ""))
        elif amount_below and line["quantity"] != 1:
            printed.append((line["designation"], "", ""))
            printed.append((f"   {line['quantity']} x {amount(line['unit_price'])}", f"{amount(line['total'])} {code}", ""))
        else:
            printed.append((line["designation"], f"{amount(line['total'])} {code}", ""))
            if line["quantity"] != 1:
                printed.append((f"   {line['quantity']} x {amount(line['unit_price'])}", "", ""))
    centre("-" * 40)
    printed.append((f"{_w(rng, 'total', lang)} {currency}", amount(gross), "big"))
    if rng.random() < 0.6:
        printed.append((_w(rng, "card", lang), amount(gross), ""))
    else:
        given = Decimal(int(gross / 10 + 1) * 10)
        printed.append((_w(rng, "cash", lang), amount(given), ""))
        printed.append((_w(rng, "change", lang), amount(given - gross), ""))
    centre("")
    centre(_w(layout, "vat_head_gross", lang) if gross_column else _w(rng, "vat_head", lang))
    for part in summary:
        rate = f"{letters[part['rate']]} {format_rate(part['rate'], locale)} %  {amount(part['base'])}"
        if gross_column:
            printed.append((f"{rate}  {amount(part['amount'])}", amount(part["base"] + part["amount"]), ""))
        else:
            printed.append((rate, amount(part["amount"]), ""))
    net, vat = sum(p["base"] for p in summary), sum(p["amount"] for p in summary)
    if rng.random() < 0.5:
        printed.append((_w(rng, "net", lang), amount(net), ""))
        printed.append((_w(rng, "vat_total", lang), amount(vat), ""))
    centre("")
    centre(_w(rng, "thanks", lang))

    font = rng.choice(["Courier", "Helvetica"])
    pdf = _render(printed, font)
    s = lambda v: None if v is None else str(v)  # noqa: E731
    fields = {
        "provider": shop, "provider_vat_id": shop_vat if shop_vat_printed else None,
        "customer": None, "customer_vat_id": None, "invoice_number": number, "purchase_order": None,
        "date": date.isoformat(), "due_date": None, "due_date_from_terms": None, "payment_terms": None,
        "currency": currency, "total_without_vat": s(net), "total_vat": s(vat), "total_with_vat": s(gross),
        "amount_due": s(gross), "iban": None, "bic": None,
        "vat_breakdown": [{"rate": s(p["rate"]), "base": s(p["base"]), "amount": s(p["amount"])} for p in summary],
        "lines": [
            {"designation": line["designation"], "quantity": s(line["quantity"]), "unit_price": s(line["unit_price"]),
             "total_ht": s(line["total"]), "vat_rate": s(line["vat_rate"])}
            for line in lines
        ],
    }  # fmt: skip
    labels = {"document_type": "invoice", "subtype": "invoice", "document_kind": "receipt", "fields": fields,
              "discount": False, "deposit": False, "font": font, "pages": 1}
    return pdf, labels


def _render(printed: list[tuple[str, str, str]], font: str) -> bytes:
    height = 40 + 13 * len(printed) + 20 * MM
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(WIDTH, height), invariant=1)
    bold = {"Courier": "Courier-Bold", "Helvetica": "Helvetica-Bold"}[font]
    y, left, right = height - 12 * MM, 4 * MM, WIDTH - 4 * MM
    for text, value, style in printed:
        size = 10 if style == "big" else 7.5
        c.setFont(bold if style in ("big", "bold") else font, size)
        if style in ("centre", "bold") or (style == "big" and not value):
            c.drawCentredString(WIDTH / 2, y, text)
        else:
            c.drawString(left, y, text)
            if value:
                c.drawRightString(right, y, value)
        y -= 13 if style != "big" else 16
    c.showPage()
    c.save()
    return buffer.getvalue()
