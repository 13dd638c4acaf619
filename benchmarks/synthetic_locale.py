"""Locales and wording pools for the synthetic documents: how each country writes dates,
amounts, VAT ids and bank details, and the several ways each label is worded."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from stdnum import luhn
from stdnum.es import cif as es_cif

CENT = Decimal("0.01")

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
           "novembre", "dicembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}


@dataclass(frozen=True)
class Locale:
    """How one country prints an invoice."""

    key: str
    language: str
    currencies: tuple[str, ...]
    thousands: str
    decimal: str
    date_styles: tuple[str, ...]
    """Names understood by format_date."""
    vat_rates: tuple[Decimal, ...]
    symbol_first: bool
    """'£1,234.56' rather than '1 234,56 €'."""
    sales_tax: bool = False
    """US: sales tax, no VAT id, no IBAN."""


LOCALES = {
    "en-GB": Locale(
        "en-GB", "en", ("GBP", "EUR"), ",", ".", ("dmy_slash", "long_dmy"), (Decimal(20), Decimal(5)), True
    ),
    "en-US": Locale(
        "en-US", "en", ("USD",), ",", ".", ("mdy_slash", "long_mdy"), (Decimal("8.25"), Decimal("6.5")), True, True
    ),
    "fr-FR": Locale(
        "fr-FR",
        "fr",
        ("EUR",),
        " ",
        ",",
        ("dmy_slash", "long_dmy"),
        (Decimal(20), Decimal(10), Decimal("5.5")),
        False,
    ),
    "de-DE": Locale("de-DE", "de", ("EUR",), ".", ",", ("dmy_dot", "long_dmy_dot"), (Decimal(19), Decimal(7)), False),
    "de-CH": Locale(
        "de-CH", "de", ("CHF",), "'", ".", ("dmy_dot", "long_dmy_dot"), (Decimal("8.1"), Decimal("2.6")), True
    ),
    "nl-NL": Locale("nl-NL", "nl", ("EUR",), ".", ",", ("dmy_dash", "long_dmy"), (Decimal(21), Decimal(9)), True),
    "it-IT": Locale(
        "it-IT", "it", ("EUR",), ".", ",", ("dmy_slash", "long_dmy"), (Decimal(22), Decimal(10), Decimal(4)), False
    ),
    "es-ES": Locale(
        "es-ES", "es", ("EUR",), ".", ",", ("dmy_slash", "long_dmy_de"), (Decimal(21), Decimal(10), Decimal(4)), False
    ),
}
LOCALE_WEIGHTS = {"en-GB": 2, "en-US": 1, "fr-FR": 3, "de-DE": 3, "de-CH": 1, "nl-NL": 1, "it-IT": 1, "es-ES": 1}
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


def format_date(value: dt.date, style: str, language: str) -> str:
    month = MONTHS[language][value.month - 1]
    return {
        "dmy_slash": f"{value.day:02d}/{value.month:02d}/{value.year}",
        "mdy_slash": f"{value.month:02d}/{value.day:02d}/{value.year}",
        "dmy_dot": f"{value.day:02d}.{value.month:02d}.{value.year}",
        "dmy_dash": f"{value.day:02d}-{value.month:02d}-{value.year}",
        "long_dmy_de": f"{value.day} de {month} de {value.year}",
        "long_dmy": f"{value.day} {month} {value.year}",
        "long_mdy": f"{month} {value.day}, {value.year}",
        "long_dmy_dot": f"{value.day}. {month} {value.year}",
    }[style]


def format_amount(value: Decimal, locale: Locale) -> str:
    """'1 234,56' / '1.234,56' / '1,234.56' / "1'234.56"; negative values get a leading '-'."""
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value.quantize(CENT, ROUND_HALF_UP)):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{locale.thousands.join(groups)}{locale.decimal}{cents}"


def format_money(value: Decimal, currency: str, locale: Locale, use_symbol: bool) -> str:
    amount = format_amount(value, locale)
    mark = SYMBOLS[currency] if use_symbol else currency
    if locale.symbol_first and use_symbol and mark != "CHF":
        return f"{mark}{amount}" if value >= 0 else f"-{mark}{amount[1:]}"
    if locale.symbol_first:
        return f"{mark} {amount}"
    return f"{amount} {mark}"


def format_rate(rate: Decimal, locale: Locale) -> str:
    text = f"{rate.normalize():f}"
    return text.replace(".", locale.decimal)


def format_quantity(quantity: Decimal, locale: Locale) -> str:
    text = f"{quantity.normalize():f}"
    return text.replace(".", locale.decimal)


# -- identifiers ---------------------------------------------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def vat_id(rng: random.Random, locale: Locale) -> tuple[str, str] | tuple[None, None]:
    """(label value, printed form) of a VAT id for a company in this locale."""
    if locale.sales_tax:
        return None, None
    if locale.key == "fr-FR":
        siren = _digits(rng, 9)
        key = (12 + 3 * (int(siren) % 97)) % 97
        value = f"FR{key:02d}{siren}"
        return value, rng.choice([value, f"FR {key:02d} {siren[:3]} {siren[3:6]} {siren[6:]}"])
    if locale.key == "de-DE":
        value = "DE" + _digits(rng, 9)
        return value, rng.choice([value, f"DE {value[2:5]} {value[5:8]} {value[8:]}"])
    if locale.key == "de-CH":
        d = _digits(rng, 9)
        value = f"CHE-{d[:3]}.{d[3:6]}.{d[6:]}"
        return value, value
    if locale.key == "nl-NL":  # the 9 digits of a BSN-style number pass the 11-test
        while True:
            body = _digits(rng, 9)
            if sum(int(d) * w for d, w in zip(body, (9, 8, 7, 6, 5, 4, 3, 2, -1))) % 11 == 0 and body[0] != "0":
                break
        value = f"NL{body}B{rng.randint(1, 3):02d}"
        return value, rng.choice([value, f"NL {body} B{value[-2:]}", f"NL{body[:4]}.{body[4:6]}.{body[6:]}.B{value[-2:]}"])
    if locale.key == "it-IT":
        body = _digits(rng, 7) + rng.choice(["001", "015", "037", "058", "096"])
        value = f"IT{body}{luhn.calc_check_digit(body)}"
        return value, rng.choice([value, f"IT {value[2:]}"])
    if locale.key == "es-ES":
        body = rng.choice("ABG") + _digits(rng, 7)
        value = f"ES{body}{es_cif.calc_check_digits(body)[0]}"
        return value, rng.choice([value, f"ES-{value[2:]}", f"ES {value[2]}-{value[3:]}"])
    value = "GB" + _digits(rng, 9)
    return value, rng.choice([value, f"GB {value[2:5]} {value[5:9]} {value[9:]}"])


_IBAN_BBAN = {
    "fr-FR": ("FR", 23), "de-DE": ("DE", 18), "de-CH": ("CH", 17), "en-GB": ("GB", 18), "nl-NL": ("NL", 14),
    "it-IT": ("IT", 23), "es-ES": ("ES", 20),
}
_BANKS = {
    "fr-FR": ["BNPAFRPP", "SOGEFRPP", "CRLYFRPP", "AGRIFRPP", "CCBPFRPP"],
    "de-DE": ["COBADEFF", "DEUTDEFF", "GENODEF1", "HYVEDEMM", "SSKMDEMM"],
    "de-CH": ["UBSWCHZH", "CRESCHZZ", "ZKBKCHZZ", "POFICHBE"],
    "en-GB": ["BARCGB22", "NWBKGB2L", "HBUKGB4B", "LOYDGB2L", "MIDLGB22"],
    "nl-NL": ["ABNANL2A", "INGBNL2A", "RABONL2U", "TRIONL2U", "BUNQNL2A"],
    "it-IT": ["UNCRITMM", "BAPPIT22", "BPMOIT22", "CRPPIT2P", "BLOPIT22"],
    "es-ES": ["CAIXESBB", "BSCHESMM", "BBVAESMM", "SABDESBB", "CAGLESMM"],
}


def iban_and_bic(rng: random.Random, locale: Locale) -> tuple[str, str, str] | tuple[None, None, None]:
    """(IBAN compact, IBAN as printed in groups of four, BIC), with a valid IBAN check sum."""
    if locale.key not in _IBAN_BBAN:
        return None, None, None
    country, length = _IBAN_BBAN[locale.key]
    if country in ("GB", "NL"):  # a bank code of four letters, then digits
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + _digits(rng, length - 4)
    elif country == "IT":  # a national check letter (CIN) first
        bban = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + _digits(rng, length - 1)
    else:
        bban = _digits(rng, length)
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    bic = rng.choice(_BANKS[locale.key]) + rng.choice(["", "XXX"])
    return iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)), bic


# -- wording pools -------------------------------------------------------------------------

WORDS = {
    "invoice_title": {
        "en": ["INVOICE", "Invoice", "Tax Invoice"],
        "fr": ["FACTURE", "Facture"],
        "de": ["RECHNUNG", "Rechnung"],
    },
    "credit_title": {
        "en": ["CREDIT NOTE", "Credit Note"],
        "fr": ["AVOIR", "Facture d'avoir"],
        "de": ["GUTSCHRIFT", "Gutschrift"],
    },
    "number": {
        "en": ["Invoice No.", "Invoice number", "Invoice #", "Number"],
        "fr": ["Facture n°", "N° de facture", "Numéro"],
        "de": ["Rechnungsnummer", "Rechnungs-Nr.", "Nr."],
    },
    "credit_number": {
        "en": ["Credit note No.", "Credit note #"],
        "fr": ["Avoir n°", "N° d'avoir"],
        "de": ["Gutschrift-Nr.", "Gutschriftsnummer"],
    },
    "refers_to": {"en": ["Refers to invoice"], "fr": ["Concerne la facture"], "de": ["Bezug: Rechnung"]},
    "date": {
        "en": ["Date", "Invoice date", "Issue date"],
        "fr": ["Date", "Date de facture", "Date d'émission"],
        "de": ["Datum", "Rechnungsdatum"],
    },
    "due": {
        "en": ["Due date", "Payment due", "Due"],
        "fr": ["Échéance", "Date d'échéance", "À régler avant le"],
        "de": ["Fällig am", "Fälligkeitsdatum", "Zahlbar bis"],
    },
    "po": {
        "en": ["PO number", "Your order", "Purchase order"],
        "fr": ["Votre commande", "Bon de commande", "Réf. commande"],
        "de": ["Ihre Bestellung", "Bestellnummer", "Bestell-Nr."],
    },
    "customer_no": {
        "en": ["Customer No.", "Account No."],
        "fr": ["N° client", "Code client"],
        "de": ["Kundennummer", "Kunden-Nr."],
    },
    "delivery_no": {
        "en": ["Delivery note", "Delivery No."],
        "fr": ["Bon de livraison", "BL n°"],
        "de": ["Lieferschein", "Lieferschein-Nr."],
    },
    "vat_id": {
        "en": ["VAT No.", "VAT Reg. No.", "VAT number"],
        "fr": ["N° TVA intracom.", "TVA intracommunautaire", "N° TVA"],
        "de": ["USt-IdNr.", "USt-ID", "UID"],
    },
    "bill_to": {
        "en": ["Bill to", "Invoice to", "Customer"],
        "fr": ["Facturé à", "Client", "Destinataire"],
        "de": ["Rechnungsempfänger", "Kunde", "An"],
    },
    "col_designation": {
        "en": ["Description", "Item", "Designation"],
        "fr": ["Désignation", "Description", "Libellé"],
        "de": ["Bezeichnung", "Beschreibung", "Artikel"],
    },
    "col_qty": {"en": ["Qty", "Quantity"], "fr": ["Qté", "Quantité"], "de": ["Menge", "Anz."]},
    "col_price": {
        "en": ["Unit price", "Price", "Rate"],
        "fr": ["Prix unitaire", "P.U. HT", "PU"],
        "de": ["Einzelpreis", "E-Preis", "Preis"],
    },
    "col_vat": {"en": ["VAT", "VAT %", "Tax"], "fr": ["TVA", "TVA %"], "de": ["USt.", "MwSt %", "USt %"]},
    "col_total": {
        "en": ["Amount", "Total", "Line total"],
        "fr": ["Montant HT", "Total HT", "Montant"],
        "de": ["Gesamt", "Betrag", "Netto"],
    },
    "subtotal": {"en": ["Subtotal"], "fr": ["Sous-total"], "de": ["Zwischensumme"]},
    "discount": {"en": ["Discount {p}%"], "fr": ["Remise {p} %"], "de": ["Rabatt {p} %"]},
    "net": {
        "en": ["Total excl. VAT", "Net total", "Total net"],
        "fr": ["Total HT", "Montant HT", "Total hors taxes"],
        "de": ["Nettobetrag", "Summe netto", "Gesamt netto"],
    },
    "net_us": {"en": ["Subtotal", "Net amount"]},
    "vat_line": {
        "en": ["VAT {r}%", "VAT @ {r}%"],
        "fr": ["TVA {r} %", "TVA ({r} %)"],
        "de": ["USt. {r} %", "MwSt. {r}%", "zzgl. {r} % USt."],
    },
    "tax_line_us": {"en": ["Sales tax {r}%", "Tax ({r}%)"]},
    "vat_base": {"en": ["on {b}"], "fr": ["sur {b}"], "de": ["auf {b}"]},
    "total": {
        "en": ["Total", "Invoice total", "TOTAL"],
        "fr": ["Total TTC", "Montant TTC"],
        "de": ["Gesamtbetrag", "Rechnungsbetrag", "Bruttobetrag"],
    },
    "deposit": {"en": ["Less deposit paid"], "fr": ["Acompte versé"], "de": ["abzgl. Anzahlung"]},
    "amount_due": {
        "en": ["Amount due", "Balance due"],
        "fr": ["Reste à payer", "Net à payer"],
        "de": ["Zahlbetrag", "Offener Betrag"],
    },
    "previous_balance": {
        "en": ["Previous balance (paid, thank you)"],
        "fr": ["Solde antérieur (réglé, merci)"],
        "de": ["Vorheriger Saldo (beglichen)"],
    },
    "carried": {
        "en": ["Carried forward", "Balance carried forward"],
        "fr": ["À reporter", "Report"],
        "de": ["Übertrag"],
    },
    "brought": {"en": ["Brought forward"], "fr": ["Report"], "de": ["Übertrag"]},
    "terms": {
        "en": ["Payment terms: {n} days net", "Terms: Net {n}", "Please pay within {n} days"],
        "fr": ["Paiement à {n} jours", "Conditions : à {n} jours net", "Règlement à {n} jours date de facture"],
        "de": [
            "Zahlbar innerhalb {n} Tagen netto",
            "Zahlungsziel: {n} Tage",
            "Zahlbar innerhalb von {n} Tagen ohne Abzug",
        ],
    },
    "page": {"en": ["Page {n}"], "fr": ["Page {n}"], "de": ["Seite {n}"]},
    "continued": {"en": ["(continued)"], "fr": ["(suite)"], "de": ["(Fortsetzung)"]},
    "thanks": {
        "en": ["Thank you for your business."],
        "fr": ["Merci de votre confiance."],
        "de": ["Vielen Dank für Ihren Auftrag."],
    },
    # Printed beside the parties: a title before a private person's name, an attention line under a
    # company's name, the seller's contact person among the invoice's references.
    "salutation": {"en": ["Mr", "Ms", "Mrs"], "fr": ["M.", "Mme", "Monsieur", "Madame"], "de": ["Herrn", "Frau"]},
    "attention": {
        "en": ["Attn:", "Attention:", "FAO"],
        "fr": ["À l'attention de", "Attn :", "A l'att. de"],
        "de": ["z. Hd.", "zu Händen", "z. H."],
    },
    "ship_to": {
        "en": ["Ship to", "Deliver to", "Delivery address"],
        "fr": ["Livrer à", "Livraison à", "Lieu de livraison"],
        "de": ["Lieferanschrift", "Lieferadresse", "Versand an"],
    },
    "seller": {
        "en": ["From", "Seller", "Supplier", "Issued by"],
        "fr": ["Émetteur", "Vendeur", "Fournisseur"],
        "de": ["Von", "Verkäufer", "Rechnungssteller"],
    },
    "remit_to": {
        "en": ["Please remit payment to", "Remit to", "Payee"],
        "fr": ["Paiement à adresser à", "Règlement à l'ordre de"],
        "de": ["Zahlung an", "Zahlungsempfänger"],
    },
    "contact": {
        "en": ["Contact", "Your contact", "Account manager", "Sales rep"],
        "fr": ["Suivi par", "Votre contact", "Interlocuteur", "Commercial"],
        "de": ["Ansprechpartner", "Bearbeiter", "Ihr Kontakt", "Sachbearbeiterin"],
    },
}

# Dutch, Italian and Spanish, added after the three languages above: before them, models trained on
# this generator alone had never seen a label in these languages (the html generator prints all six).
_MORE_WORDS = {
    "invoice_title": {"nl": ["FACTUUR", "Factuur"], "it": ["FATTURA", "Fattura"], "es": ["FACTURA", "Factura"]},
    "credit_title": {
        "nl": ["CREDITNOTA", "Creditfactuur"],
        "it": ["NOTA DI CREDITO", "Nota di credito"],
        "es": ["FACTURA RECTIFICATIVA", "Abono"],
    },
    "number": {
        "nl": ["Factuurnummer", "Factuurnr.", "Nummer"],
        "it": ["Fattura n.", "Numero fattura", "N. documento"],
        "es": ["N.º de factura", "Factura n.º", "Número"],
    },
    "credit_number": {
        "nl": ["Creditnota nr.", "Creditnummer"],
        "it": ["Nota di credito n.", "N. nota di credito"],
        "es": ["N.º rectificativa", "Abono n.º"],
    },
    "refers_to": {
        "nl": ["Betreft factuur"],
        "it": ["Rif. fattura"],
        "es": ["Rectifica la factura"],
    },
    "date": {
        "nl": ["Datum", "Factuurdatum"],
        "it": ["Data", "Data fattura", "Data documento"],
        "es": ["Fecha", "Fecha de factura", "Fecha de emisión"],
    },
    "due": {
        "nl": ["Vervaldatum", "Te betalen voor", "Uiterste betaaldatum"],
        "it": ["Scadenza", "Data scadenza", "Da pagare entro il"],
        "es": ["Vencimiento", "Fecha de vencimiento", "Pagar antes del"],
    },
    "po": {
        "nl": ["Uw ordernummer", "Inkoopordernr.", "Uw bestelling"],
        "it": ["Vs. ordine", "Ordine n.", "Rif. ordine"],
        "es": ["Su pedido", "N.º de pedido", "Pedido"],
    },
    "customer_no": {
        "nl": ["Klantnummer", "Debiteurnr."],
        "it": ["Cod. cliente", "Codice cliente"],
        "es": ["N.º de cliente", "Código cliente"],
    },
    "delivery_no": {
        "nl": ["Pakbon", "Leverbon nr."],
        "it": ["DDT n.", "Documento di trasporto"],
        "es": ["Albarán", "N.º albarán"],
    },
    "vat_id": {
        "nl": ["Btw-nummer", "Btw-nr.", "BTW"],
        "it": ["P.IVA", "Partita IVA", "P. IVA"],
        "es": ["NIF", "CIF", "NIF-IVA"],
    },
    "bill_to": {
        "nl": ["Factuuradres", "Klant", "Aan"],
        "it": ["Spett.le", "Cliente", "Intestatario"],
        "es": ["Facturar a", "Cliente", "Datos del cliente"],
    },
    "col_designation": {
        "nl": ["Omschrijving", "Artikel"],
        "it": ["Descrizione", "Articolo"],
        "es": ["Descripción", "Concepto", "Artículo"],
    },
    "col_qty": {"nl": ["Aantal", "Aant."], "it": ["Q.tà", "Quantità"], "es": ["Cant.", "Cantidad", "Uds."]},
    "col_price": {
        "nl": ["Prijs", "Stukprijs", "Eenheidsprijs"],
        "it": ["Prezzo unit.", "Prezzo", "Importo unitario"],
        "es": ["Precio", "Precio unit.", "P. unitario"],
    },
    "col_vat": {"nl": ["Btw", "Btw %"], "it": ["IVA", "IVA %", "Aliq."], "es": ["IVA", "% IVA"]},
    "col_total": {
        "nl": ["Bedrag", "Totaal", "Regeltotaal"],
        "it": ["Importo", "Totale", "Imponibile"],
        "es": ["Importe", "Total", "Base"],
    },
    "subtotal": {"nl": ["Subtotaal"], "it": ["Subtotale"], "es": ["Subtotal"]},
    "discount": {"nl": ["Korting {p}%"], "it": ["Sconto {p}%"], "es": ["Descuento {p} %"]},
    "net": {
        "nl": ["Totaal excl. btw", "Subtotaal excl. btw", "Netto bedrag"],
        "it": ["Totale imponibile", "Imponibile", "Totale netto"],
        "es": ["Base imponible", "Total base imponible", "Importe neto"],
    },
    "vat_line": {
        "nl": ["Btw {r}%", "{r}% btw", "Btw hoog {r}%"],
        "it": ["IVA {r}%", "IVA al {r}%"],
        "es": ["IVA {r} %", "IVA ({r} %)", "Cuota IVA {r}%"],
    },
    "vat_base": {"nl": ["over {b}"], "it": ["su {b}"], "es": ["sobre {b}"]},
    "total": {
        "nl": ["Totaal incl. btw", "Factuurbedrag", "Totaal"],
        "it": ["Totale fattura", "Totale documento", "TOTALE"],
        "es": ["Total factura", "TOTAL", "Importe total"],
    },
    "deposit": {"nl": ["Reeds betaald voorschot"], "it": ["Acconto versato"], "es": ["Anticipo recibido"]},
    "amount_due": {
        "nl": ["Te betalen", "Openstaand bedrag"],
        "it": ["Netto a pagare", "Totale da pagare"],
        "es": ["Total a pagar", "Importe pendiente"],
    },
    "previous_balance": {
        "nl": ["Vorig saldo (voldaan, dank u)"],
        "it": ["Saldo precedente (saldato, grazie)"],
        "es": ["Saldo anterior (pagado, gracias)"],
    },
    "carried": {"nl": ["Transport", "Over te brengen"], "it": ["A riportare"], "es": ["Suma y sigue"]},
    "brought": {"nl": ["Transport"], "it": ["Riporto"], "es": ["Suma anterior"]},
    "terms": {
        "nl": ["Betaling binnen {n} dagen", "Betalingstermijn: {n} dagen", "Gelieve binnen {n} dagen te betalen"],
        "it": ["Pagamento a {n} giorni", "Bonifico bancario {n} gg d.f.", "Termini di pagamento: {n} giorni"],
        "es": ["Pago a {n} días", "Forma de pago: transferencia a {n} días", "Vencimiento a {n} días fecha factura"],
    },
    "page": {"nl": ["Pagina {n}"], "it": ["Pagina {n}"], "es": ["Página {n}"]},
    "continued": {"nl": ["(vervolg)"], "it": ["(segue)"], "es": ["(continuación)"]},
    "thanks": {
        "nl": ["Bedankt voor uw opdracht."],
        "it": ["Grazie per la fiducia accordataci."],
        "es": ["Gracias por su confianza."],
    },
    "salutation": {"nl": ["Dhr.", "Mevr."], "it": ["Sig.", "Sig.ra"], "es": ["Sr.", "Sra.", "D.", "Dña."]},
    "attention": {
        "nl": ["T.a.v.", "Ter attentie van"],
        "it": ["Alla c.a. di", "C.a."],
        "es": ["A la atención de", "Att.:"],
    },
    "ship_to": {
        "nl": ["Afleveradres", "Leveradres"],
        "it": ["Luogo di consegna", "Destinazione merce"],
        "es": ["Dirección de entrega", "Enviar a"],
    },
    "seller": {
        "nl": ["Van", "Leverancier", "Afzender"],
        "it": ["Cedente", "Fornitore", "Mittente"],
        "es": ["Emisor", "Proveedor", "Vendedor"],
    },
    "remit_to": {
        "nl": ["Gelieve te betalen aan", "Begunstigde"],
        "it": ["Pagamento a favore di", "Beneficiario"],
        "es": ["Pagar a", "Beneficiario"],
    },
    "contact": {
        "nl": ["Contactpersoon", "Uw contactpersoon", "Behandeld door"],
        "it": ["Referente", "Il Vs. referente", "Agente"],
        "es": ["Persona de contacto", "Su contacto", "Comercial"],
    },
}
for _key, _by_language in _MORE_WORDS.items():
    WORDS[_key].update(_by_language)

# Account summaries of utility, telecom and subscription bills (benchmarks/synthetic.py,
# ACCOUNT_SUMMARIES): what was open before this bill, what was paid since, and what is due now.
_ACCOUNT_WORDS = {
    "account_heading": {
        "en": ["Your account summary", "Account summary", "Account overview"],
        "fr": ["Récapitulatif de votre compte", "Situation de votre compte"],
        "de": ["Kontoübersicht", "Ihr Kontostand"],
        "nl": ["Overzicht van uw rekening", "Rekeningoverzicht"],
        "it": ["Riepilogo del conto", "Situazione contabile"],
        "es": ["Resumen de su cuenta", "Estado de su cuenta"],
    },
    "account_previous": {
        "en": ["Previous balance", "Balance from last bill", "Opening balance"],
        "fr": ["Solde précédent", "Ancien solde"],
        "de": ["Vorheriger Saldo", "Alter Saldo", "Saldo Vormonat"],
        "nl": ["Vorig saldo", "Saldo vorige factuur"],
        "it": ["Saldo precedente", "Saldo fatture precedenti"],
        "es": ["Saldo anterior", "Saldo de la factura anterior"],
    },
    "account_paid": {
        "en": ["Payment received, thank you", "Payments received", "Less payments"],
        "fr": ["Paiement reçu, merci", "Règlements reçus"],
        "de": ["Zahlungseingang", "Erhaltene Zahlungen"],
        "nl": ["Ontvangen betaling", "Betaling ontvangen, dank u"],
        "it": ["Pagamenti ricevuti", "Pagamento ricevuto, grazie"],
        "es": ["Pagos recibidos", "Pago recibido, gracias"],
    },
    "account_open": {
        "en": ["Balance brought forward", "Outstanding balance"],
        "fr": ["Solde reporté", "Solde antérieur non réglé"],
        "de": ["Saldovortrag", "Offener Saldo"],
        "nl": ["Openstaand saldo", "Resterend saldo"],
        "it": ["Saldo riportato", "Saldo precedente da pagare"],
        "es": ["Saldo pendiente", "Saldo arrastrado"],
    },
    "account_this_bill": {
        "en": ["This invoice", "Charges this period", "New charges"],
        "fr": ["Montant de cette facture", "Nouvelles charges"],
        "de": ["Betrag dieser Rechnung", "Neue Forderungen"],
        "nl": ["Bedrag deze factuur", "Nieuwe kosten"],
        "it": ["Importo di questa fattura", "Nuovi addebiti"],
        "es": ["Importe de esta factura", "Nuevos cargos"],
    },
    "account_instalments": {
        "en": ["Instalments paid", "Budget payments received", "Less direct debits paid"],
        "fr": ["Mensualités déjà réglées", "Échéances prélevées"],
        "de": ["Geleistete Abschläge", "Abzüglich Abschlagszahlungen"],
        "nl": ["Betaalde voorschotten", "Reeds betaalde termijnen"],
        "it": ["Acconti già versati", "Rate già pagate"],
        "es": ["Pagos a cuenta realizados", "Cuotas ya abonadas"],
    },
    "billing_period": {
        "en": ["Billing period", "Service period", "Period"],
        "fr": ["Période de facturation", "Période de consommation"],
        "de": ["Abrechnungszeitraum", "Leistungszeitraum"],
        "nl": ["Factuurperiode", "Verbruiksperiode"],
        "it": ["Periodo di fatturazione", "Periodo di riferimento"],
        "es": ["Periodo de facturación", "Periodo de consumo"],
    },
}
WORDS.update(_ACCOUNT_WORDS)

# VAT summary tables, one row per rate (benchmarks/synthetic.py, VAT_TABLES), and the single VAT
# total line that often replaces the per-rate lines among the totals when such a table is printed.
_VAT_TABLE_WORDS = {
    "vat_table_heading": {
        "en": ["VAT summary", "VAT analysis"],
        "fr": ["Récapitulatif TVA", "Détail de la TVA"],
        "de": ["MwSt.-Aufstellung", "Steuerübersicht"],
        "nl": ["Btw-specificatie", "Btw-overzicht"],
        "it": ["Riepilogo IVA", "Castelletto IVA"],
        "es": ["Desglose de IVA", "Resumen de IVA"],
    },
    "vat_table_rate": {
        "en": ["VAT rate", "Rate"],
        "fr": ["Taux TVA", "Taux"],
        "de": ["MwSt.-Satz", "Steuersatz"],
        "nl": ["Btw-tarief", "Tarief"],
        "it": ["Aliquota", "Aliquota IVA"],
        "es": ["Tipo", "Tipo IVA"],
    },
    "vat_table_base": {
        "en": ["Net amount", "Taxable amount"],
        "fr": ["Base HT", "Montant HT"],
        "de": ["Nettobetrag", "Bemessungsgrundlage"],
        "nl": ["Grondslag", "Bedrag excl. btw"],
        "it": ["Imponibile", "Imponibile netto"],
        "es": ["Base imponible", "Base"],
    },
    "vat_table_vat": {
        "en": ["VAT", "VAT amount"],
        "fr": ["Montant TVA", "TVA"],
        "de": ["MwSt.-Betrag", "Steuerbetrag"],
        "nl": ["Btw-bedrag", "Btw"],
        "it": ["Imposta", "IVA"],
        "es": ["Cuota", "Cuota IVA"],
    },
    "vat_table_total": {
        "en": ["Gross", "Total"],
        "fr": ["Montant TTC", "Total TTC"],
        "de": ["Bruttobetrag", "Brutto"],
        "nl": ["Totaal incl. btw", "Bruto"],
        "it": ["Totale", "Lordo"],
        "es": ["Total", "Importe total"],
    },
    "vat_total": {
        "en": ["Total VAT", "VAT"],
        "fr": ["Total TVA", "Montant TVA"],
        "de": ["MwSt. gesamt", "Umsatzsteuer"],
        "nl": ["Totaal btw", "Btw-bedrag"],
        "it": ["Totale IVA", "Totale imposta"],
        "es": ["Total IVA", "Total cuota IVA"],
    },
}
WORDS.update(_VAT_TABLE_WORDS)

# Titles of corrective invoices (benchmarks/synthetic.py, CORRECTIONS): a credit note by another name
# when its totals are negative, an invoice when the correction adds.
WORDS["correction_title"] = {
    "en": ["Corrected invoice", "Invoice correction"],
    "fr": ["Facture rectificative", "Facture corrective"],
    "de": ["Rechnungskorrektur", "Korrekturrechnung"],
    "nl": ["Correctiefactuur", "Gecorrigeerde factuur"],
    "it": ["Fattura rettificativa", "Fattura di rettifica"],
    "es": ["Factura rectificativa", "Factura correctiva"],
}


def word(rng: random.Random, key: str, language: str) -> str:
    return rng.choice(WORDS[key][language])


_PEOPLE = {
    "en": (
        ["Oliver", "Grace", "Henry", "Amelia", "Samuel", "Chloe", "Edward", "Lucy", "Arthur", "Hannah", "Ruth", "Owen"],
        ["Whitaker", "Pemberton", "Holloway", "Fairclough", "Ashdown", "Brennan", "Calloway", "Dunmore", "Everett"],
    ),
    "fr": (
        ["Camille", "Julien", "Élodie", "Mathieu", "Amandine", "Bastien", "Solène", "Quentin", "Margaux", "Hugo"],
        ["Lefebvre", "Chevallier", "Marchand", "Rousseau", "Perrin", "Guillot", "Fontaine", "Barbier", "Lacroix"],
    ),
    "de": (
        ["Jonas", "Katrin", "Matthias", "Anja", "Florian", "Sabine", "Tobias", "Ulrike", "Lukas", "Heike", "Jörg"],
        ["Brückner", "Hofmann", "Lindner", "Pfeiffer", "Vogt", "Seidel", "Kühn", "Albrecht", "Ziegler", "Engel"],
    ),
    "nl": (
        ["Sanne", "Daan", "Femke", "Joris", "Lotte", "Bram", "Inge", "Maarten", "Noor", "Sjoerd"],
        ["de Boer", "van den Berg", "Meijer", "Hendriks", "Peters", "Dijkstra", "Koster", "van Wijk", "Prins"],
    ),
    "it": (
        ["Giulia", "Marco", "Chiara", "Luca", "Francesca", "Alessandro", "Sara", "Davide", "Elisa", "Matteo"],
        ["Rinaldi", "Fontana", "Caruso", "Moretti", "Barbieri", "Lombardi", "Gallo", "Testa", "Pellegrini"],
    ),
    "es": (
        ["Lucía", "Javier", "Carmen", "Pablo", "Elena", "Sergio", "Marta", "Diego", "Nuria", "Álvaro"],
        ["Fernández", "Gómez", "Díaz", "Ruiz", "Jiménez", "Moreno", "Álvarez", "Iglesias", "Vidal"],
    ),
}


def person(rng: random.Random, locale: Locale) -> str:
    """A private person's name ("Camille Perrin")."""
    first, last = _PEOPLE[locale.language]
    return f"{rng.choice(first)} {rng.choice(last)}"


_COMPANY = {
    "en": (
        [
            "Northwind",
            "Bluewater",
            "Redwood",
            "Summit",
            "Harbour",
            "Kestrel",
            "Ashford",
            "Pinecrest",
            "Silverline",
            "Oakridge",
        ],
        ["Traders", "Logistics", "Consulting", "Supplies", "Systems", "Print Works", "Engineering", "Catering"],
        ["Ltd", "Limited", "LLP", "PLC"],
        ["Inc.", "LLC", "Corp."],
    ),
    "fr": (
        ["Atelier", "Boulangerie", "Transports", "Cabinet", "Imprimerie", "Menuiserie", "Garage", "Bureau d'études"],
        ["Dupont", "Martin", "Lefèvre", "Moreau", "Girard", "Rousseau", "Fontaine", "Chevalier"],
        ["SARL", "SAS", "SA", "EURL"],
    ),
    "de": (
        ["Müller", "Schmidt", "Becker", "Hoffmann", "Schäfer", "Wagner", "Krüger", "Zimmermann"],
        ["Metallbau", "Druckerei", "Elektrotechnik", "Logistik", "Haustechnik", "Software", "Gartenbau"],
        ["GmbH", "AG", "KG", "UG (haftungsbeschränkt)", "GmbH & Co. KG"],
    ),
    "nl": (
        ["Hoekstra", "Verbeek", "Dekker", "Brouwer", "Kuipers", "Van Leeuwen", "Postma", "Schouten"],
        ["Techniek", "Transport", "Drukwerk", "Installaties", "Adviesgroep", "Groothandel", "Bouw"],
        ["B.V.", "BV", "N.V.", "V.O.F."],
    ),
    "it": (
        ["Officina", "Tipografia", "Impianti", "Studio", "Edilizia", "Trasporti", "Forniture"],
        ["Ferraro", "Colombo", "Esposito", "Bianchi", "Romano", "Marino", "Greco", "Conti"],
        ["S.r.l.", "S.p.A.", "S.a.s.", "S.n.c."],
    ),
    "es": (
        ["Construcciones", "Transportes", "Talleres", "Suministros", "Gráficas", "Instalaciones", "Asesoría"],
        ["García", "Martínez", "López", "Sánchez", "Navarro", "Ortega", "Romero", "Castillo"],
        ["S.L.", "S.A.", "S.L.U."],
    ),
}

_ADDRESS = {
    "en-GB": (
        ["High Street", "Station Road", "Mill Lane", "Church Street", "Park Avenue"],
        ["London EC1A 1BB", "Bristol BS1 4DB", "Leeds LS1 4AP", "Manchester M1 2WD"],
    ),
    "en-US": (
        ["Main Street", "Oak Avenue", "Market Street", "Elm Drive", "5th Avenue"],
        ["Springfield, IL 62701", "Austin, TX 78701", "Denver, CO 80202", "Portland, OR 97205"],
    ),
    "fr-FR": (
        ["rue des Lilas", "avenue Jean Jaurès", "boulevard Voltaire", "rue de la Paix", "place du Marché"],
        ["75011 Paris", "69002 Lyon", "33000 Bordeaux", "44000 Nantes", "31000 Toulouse"],
    ),
    "de-DE": (
        ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Industriestraße", "Lindenallee"],
        ["10115 Berlin", "80331 München", "50667 Köln", "20095 Hamburg", "70173 Stuttgart"],
    ),
    "de-CH": (
        ["Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Industriestrasse"],
        ["8001 Zürich", "3011 Bern", "4051 Basel", "6003 Luzern"],
    ),
    "nl-NL": (
        ["Kerkstraat", "Stationsweg", "Molenlaan", "Industrieweg", "Dorpsstraat"],
        ["1012 AB Amsterdam", "3011 CD Rotterdam", "3511 EF Utrecht", "5611 GH Eindhoven", "9711 JK Groningen"],
    ),
    "it-IT": (
        ["Via Garibaldi", "Corso Vittorio Emanuele", "Via dell'Industria", "Viale Europa", "Piazza della Libertà"],
        ["20121 Milano (MI)", "10121 Torino (TO)", "40121 Bologna (BO)", "80133 Napoli (NA)", "35121 Padova (PD)"],
    ),
    "es-ES": (
        ["Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Polígono Industrial Norte", "Paseo del Prado"],
        ["28013 Madrid", "08001 Barcelona", "46002 Valencia", "41001 Sevilla", "48001 Bilbao"],
    ),
}


def company(rng: random.Random, locale: Locale, avoid: str = "") -> str:
    while True:
        if locale.language == "en":
            first, second, uk, us = _COMPANY["en"]
            name = f"{rng.choice(first)} {rng.choice(second)} {rng.choice(us if locale.sales_tax else uk)}"
        else:
            first, second, forms = _COMPANY[locale.language]
            name = f"{rng.choice(first)} {rng.choice(second)} {rng.choice(forms)}"
        if name != avoid:
            return name


def without_legal_form(name: str, locale: Locale) -> str:
    """A name made by company() with its legal form left off, as many letterheads print it."""
    forms = [f for lists in _COMPANY[locale.language][2:] for f in lists]
    for form in sorted(forms, key=len, reverse=True):
        if name.endswith(" " + form):
            return name[: -len(form) - 1]
    return name


def address(rng: random.Random, locale: Locale) -> tuple[str, str]:
    streets, cities = _ADDRESS[locale.key]
    number = rng.randint(1, 180)
    if locale.language in ("en", "fr"):
        street = f"{number} {rng.choice(streets)}"
    elif locale.language in ("it", "es"):
        street = f"{rng.choice(streets)}, {number}"
    else:
        street = f"{rng.choice(streets)} {number}"
    return street, rng.choice(cities)


DESIGNATIONS = {
    "en": [
        "Website redesign",
        "Hosting (12 months)",
        "Consulting hours",
        "Office chairs",
        "Printer toner cartridge",
        "Annual maintenance contract",
        "Delivery and installation",
        "Software licence",
        "Training session",
        "Laptop stand",
        "Network cabling",
        "Catering for 20 guests",
        "Translation services",
        "Copy paper A4 (box)",
        "Logo design",
        "Server backup service",
        "Cleaning service",
        "Spare parts kit",
        "Project management",
        "Travel expenses",
    ],
    "fr": [
        "Refonte du site web",
        "Hébergement (12 mois)",
        "Heures de conseil",
        "Chaises de bureau",
        "Cartouche de toner",
        "Contrat de maintenance annuel",
        "Livraison et installation",
        "Licence logicielle",
        "Session de formation",
        "Support pour ordinateur",
        "Câblage réseau",
        "Traiteur pour 20 personnes",
        "Prestations de traduction",
        "Ramette papier A4",
        "Création de logo",
        "Sauvegarde serveur",
        "Prestation de nettoyage",
        "Kit de pièces détachées",
        "Gestion de projet",
        "Frais de déplacement",
    ],
    "de": [
        "Neugestaltung der Website",
        "Hosting (12 Monate)",
        "Beratungsstunden",
        "Bürostühle",
        "Tonerkartusche",
        "Jährlicher Wartungsvertrag",
        "Lieferung und Montage",
        "Softwarelizenz",
        "Schulung",
        "Laptopständer",
        "Netzwerkverkabelung",
        "Bewirtung für 20 Personen",
        "Übersetzungsleistungen",
        "Kopierpapier A4 (Karton)",
        "Logogestaltung",
        "Server-Datensicherung",
        "Reinigungsleistung",
        "Ersatzteilset",
        "Projektleitung",
        "Reisekosten",
    ],
    "nl": [
        "Herontwerp website",
        "Hosting (12 maanden)",
        "Adviesuren",
        "Bureaustoelen",
        "Tonercartridge",
        "Jaarlijks onderhoudscontract",
        "Levering en montage",
        "Softwarelicentie",
        "Trainingsdag",
        "Monitorarm",
        "Netwerkbekabeling",
        "Catering voor 20 personen",
        "Vertaalwerk",
        "Kopieerpapier A4 (doos)",
        "Ontwerp logo",
        "Back-updienst server",
        "Schoonmaakdienst",
        "Set reserveonderdelen",
        "Projectbegeleiding",
        "Reiskosten",
    ],
    "it": [
        "Rifacimento sito web",
        "Hosting (12 mesi)",
        "Ore di consulenza",
        "Sedie da ufficio",
        "Cartuccia toner",
        "Contratto di manutenzione annuale",
        "Trasporto e installazione",
        "Licenza software",
        "Corso di formazione",
        "Supporto per notebook",
        "Cablaggio di rete",
        "Servizio catering 20 persone",
        "Servizi di traduzione",
        "Carta per fotocopie A4 (scatola)",
        "Progettazione logo",
        "Servizio di backup server",
        "Servizio di pulizia",
        "Kit ricambi",
        "Direzione lavori",
        "Spese di trasferta",
    ],
    "es": [
        "Rediseño de la web",
        "Alojamiento web (12 meses)",
        "Horas de consultoría",
        "Sillas de oficina",
        "Cartucho de tóner",
        "Contrato de mantenimiento anual",
        "Transporte e instalación",
        "Licencia de software",
        "Jornada de formación",
        "Soporte para portátil",
        "Cableado de red",
        "Catering para 20 personas",
        "Servicios de traducción",
        "Papel de copia A4 (caja)",
        "Diseño de logotipo",
        "Servicio de copias de seguridad",
        "Servicio de limpieza",
        "Kit de recambios",
        "Gestión de proyecto",
        "Gastos de desplazamiento",
    ],
}
SECOND_LINES = {
    "en": ["Period: {month} {year}", "Ref. ART-{n}", "incl. setup", "as per quote Q-{n}", "Serial no. SN{n}"],
    "fr": [
        "Période : {month} {year}",
        "Réf. ART-{n}",
        "mise en service comprise",
        "selon devis D-{n}",
        "N° de série SN{n}",
    ],
    "de": ["Zeitraum: {month} {year}", "Art.-Nr. {n}", "inkl. Einrichtung", "gemäß Angebot A-{n}", "Seriennr. SN{n}"],
    "nl": ["Periode: {month} {year}", "Art.nr. {n}", "incl. installatie", "volgens offerte O-{n}", "Serienr. SN{n}"],
    "it": ["Periodo: {month} {year}", "Cod. art. {n}", "incl. configurazione", "come da preventivo P-{n}",
           "Matricola SN{n}"],
    "es": ["Periodo: {month} {year}", "Ref. {n}", "incl. puesta en marcha", "según presupuesto P-{n}",
           "N.º de serie SN{n}"],
}
