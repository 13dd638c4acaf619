"""The words invoices print before their fields, in English, French, German and Dutch.

Each vocabulary maps a kind of field to patterns with a weight: how surely the label
announces that field ("Total TTC" surely is the total with VAT; a bare "Total" usually is).
Patterns that must not be read as a field (a VAT *number*, a customer *number*) are
listed with the kind 'ignore' so that, being longer, they win over the shorter label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    weight: float
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class LabelMatch:
    kind: str
    weight: float
    start: int
    end: int


_WORD_END = r"(?:(?<![\w])|(?![\w]))"


def _labels(*entries: tuple) -> tuple[Label, ...]:
    """Labels from (kind, weight, *alternative patterns) entries."""
    return tuple(
        # Whole words only; a label ending in punctuation ("n°", "Nr.") may touch its value.
        Label(kind, weight, re.compile(rf"(?<![\w])(?:{_one_cell('|'.join(alternatives))}){_WORD_END}", re.I))
        for kind, weight, *alternatives in entries
    )


def _one_cell(pattern: str) -> str:
    """The pattern with its spaces limited to one: two spaces separate table cells (see
    TextLine.layout_text), and a label never spans two cells."""
    return pattern.replace(r"\s*", r"(?:\s(?!\s))?").replace(r"\s+", r"\s(?!\s)")


_HT = r"h\.?\s?t\.?"
_TTC = r"t\.?\s?t\.?\s?c\.?"
_VAT = r"(?:vat|tva|tax(?:es)?|mwst\.?|ust\.?|btw|gst)"
_VAT_NUMBER_TAIL = (
    r"[\s./-]*(?:id\b|ident|identification|i\.?d\.?\s?nr|nr\b|no\b|n[°º]|number|nummer|num[ée]ro"
    r"|reg|intra|tin\b|code|idnr)"
)

TOTAL_LABELS = _labels(
    # Total without VAT.
    (
        "total_without_vat",
        3,
        rf"total\s*{_HT}",
        r"total\s*hors\s*taxes?",
        rf"montant\s*(?:total\s*)?{_HT}",
        rf"sous[-\s]?total\s*{_HT}",
        rf"base\s*{_HT}",
    ),
    (
        "total_without_vat",
        3,
        r"net\s*total",
        r"total\s*net",
        r"net\s*amount",
        rf"total\s*(?:excl\.?|excluding|before|without|w/o)\s*{_VAT}",
        rf"amount\s*(?:excl\.?|excluding|before)\s*{_VAT}",
    ),
    (
        "total_without_vat",
        3,
        r"sub[-\s]?total",
        r"sous[-\s]?total",
        r"zwischensumme",
    ),
    (
        "total_without_vat",
        3,
        r"netto(?:betrag|summe|gesamt|rechnungsbetrag)?",
        r"summe\s*netto",
        r"gesamt\s*netto",
        r"gesamtbetrag\s*netto",
        rf"rechnungssumme\s*ohne\s*{_VAT}",
        rf"(?:betrag|summe)\s*ohne\s*{_VAT}",
    ),
    (
        "total_without_vat",
        2,
        r"exclusief\s*btw",
        r"totaal\s*excl\.?(?:\s*btw)?",
        r"subtotaal",
    ),
    (
        "total_without_vat",
        1,
        r"positionssumme",
        r"warenwert",
        r"summe\s*positionen",
        r"grondslag",
        r"basisbetrag",
        r"montant\s*eur\s*ht",
    ),
    # VAT amount.
    (
        "total_vat",
        3,
        r"total\s*(?:de\s*la\s*)?(?:tva|taxes?|vat)",
        r"montant\s*(?:de\s*la\s*|total\s*)?tva",
        r"montant\s*(?:eur\s*)?tva",
        r"(?:vat|tax|gst)\s*(?:total|amount)",
        r"steuerbetrag",
        r"(?:mwst|ust|umsatzsteuer)\.?[-\s]?(?:betrag|gesamt|summe)",
        r"gesamt\s*(?:mwst|ust)\.?",
        r"summe\s*(?:mwst|ust)\.?",
        r"btw[-\s]?bedrag",
        r"totaal\s*btw",
    ),
    (
        "total_vat",
        2,
        rf"{_VAT}",
        r"umsatzsteuer",
        r"sales\s*tax",
        r"mehrwertsteuer",
    ),
    # Total with VAT.
    (
        "total_with_vat",
        3,
        rf"total\s*{_TTC}",
        rf"montant\s*(?:total\s*)?(?:eur\s*)?{_TTC}",
        rf"total\s*(?:incl\.?|including|inclusive\s*of|with)\s*{_VAT}",
        r"grand\s*total",
        r"invoice\s*total",
        r"total\s*(?:amount|invoice|for\s*this\s*invoice)",
        r"total\s*facture",
        r"montant\s*total",
        r"total\s*(?:à|a)\s*payer",
        r"net\s*(?:à|a)\s*payer",
    ),
    (
        "total_with_vat",
        3,
        r"gesamtbetrag",
        r"gesamtsumme",
        r"bruttobetrag",
        r"bruttosumme",
        r"brutto",
        r"rechnungsbetrag",
        r"rechnungssumme",
        r"endbetrag",
        r"factuur\s*totaal",
        r"totaal\s*incl\.?(?:\s*btw)?",
        r"te\s*betalen",
    ),
    (
        "total_with_vat",
        1.5,
        r"amount\s*due",
        r"balance\s*due",
        r"total\s*due",
        r"due\s*payable",
        r"amount\s*payable",
        r"(?:somme|montant|reste|solde)\s*(?:à|a)\s*payer",
        r"zahlbetrag",
        r"zu\s*zahlen(?:der\s*betrag)?",
    ),
    (
        "total_with_vat",
        2,
        r"total",
        r"totaal",
        r"summe",
        r"gesamt",
    ),
    # Not totals, though they contain the words.
    (
        "ignore",
        0,
        rf"{_VAT}{_VAT_NUMBER_TAIL}",
        rf"n[°º]\s*(?:de\s*)?{_VAT}",
        rf"{_VAT}\s*client",
        r"uw\s*btw",
        r"your\s*vat",
        rf"{_VAT}\s*(?:\(?%\)?|rate|taux)",
        r"taux\s*(?:de\s*)?tva",
    ),
    (
        "ignore",
        0,
        rf"(?:prix|prices?|prijzen|preise?)?\s*(?:incl(?:\.|usief|usive|uding)?|excl(?:\.|usief|usive|uding)?|zzgl\.?|inkl\.?)\s*(?:of\s*)?{_VAT}(?!\s*(?:total|\d))",
        rf"plus\s*{_VAT}",
        r"hors\s*taxes?",
        rf"ohne\s*{_VAT}",
        rf"{_VAT}\s*acquitt[ée]e",
    ),
    (
        "ignore",
        0,
        r"gesamtbetrag\s*der\s*(?:zu|ab)schl[äa]ge",
        r"erhaltene\s*anzahlungen",
        r"total\s*(?:qty|quantity|items?|pages?)",
        r"gesamtmenge",
        r"service\s*tax",
    ),
)
"""Labels of the three totals; kinds total_without_vat, total_vat, total_with_vat."""

FIELD_LABELS = _labels(
    ("invoice_number", 3, r"invoice\s*(?:no\.?|n[o°º]\.?|number|num\.?|nr\.?|#|id)", r"bill\s*(?:no\.?|number|#)"),
    (
        "invoice_number",
        3,
        r"(?:n[°º]|no\.?|num[ée]ro)\s*(?:de\s*)?(?:la\s*)?facture",
        r"facture\s*(?:n[°º]|no\.?|num[ée]ro|nr\.?)",
    ),
    (
        "invoice_number",
        3,
        r"rechnungs[-\s]?(?:nummer|nr\.?|no\.?)",
        r"[\w-]*(?:rechnung|gutschrift)[\w-]*\s*(?:nr\.?|nummer|no\.?|#)",
    ),
    # A title of a few words, maybe a type code in brackets, then the number: "Rechnung für
    # Wartungsarbeiten (380) Nr. 2024-0815".
    (
        "invoice_number",
        3,
        r"[\w-]*(?:rechnung|gutschrift|korrektur|invoice|facture)[\w-]*(?: [\w()-]+){0,4}? ?(?:\(\d{3}\)\s*)?(?:nr\.?|nummer|no\.?|n[°º]|#)",
    ),
    (
        "invoice_number",
        3,
        r"factuur\s*(?:nummer|nr\.?|no\.?)",
        r"factuurnummer",
        r"credit\s*note\s*(?:no\.?|number|#)",
        r"avoir\s*n[°º]",
    ),
    (
        "invoice_number",
        1,
        r"invoice",
        r"facture",
        r"rechnung",
        r"factuur",
        r"avoir",
        r"gutschrift",
        r"credit\s*note",
        r"\w+rechnung",
    ),
    # A bare "Number:" / "Nr." heading the document's reference block; must start its cell.
    (
        "invoice_number",
        2,
        r"(?<![\w.\-/])(?:nr\.?|no\.?|number|num[ée]ro|nummer|n[°º])(?=\s*[:#]|\s*$|\s{2})",
    ),
    (
        "date",
        3,
        r"invoice\s*date",
        r"date\s*(?:of\s*)?(?:the\s*)?invoice",
        r"date\s*de\s*(?:la\s*)?factur(?:e|ation)",
        r"date\s*d['’]?\s*[ée]mission",
        r"rechnungsdatum",
        r"datum\s*der\s*rechnung",
        r"factuur\s*datum",
        r"factuurdatum",
        r"issue\s*date",
        r"date\s*of\s*issue",
        r"issued\s*(?:at|on)",
        r"belegdatum",
        r"ausstellungsdatum",
        r"rechnungs-datum",
    ),
    ("date", 2, r"date", r"datum"),
    (
        "due_date",
        3,
        r"due\s*date",
        r"date\s*due",
        r"payment\s*due(?:\s*date)?",
        r"due\s*(?:on|by)",
        r"pay(?:able)?\s*(?:by|before|until)",
        r"remit\s*(?:until|by|before)",
        r"date\s*d['’]?\s*[ée]ch[ée]ance",
        r"[ée]ch[ée]ance",
        r"date\s*limite(?:\s*de\s*(?:paiement|r[èe]glement))?",
        r"(?:à|a)\s*payer\s*avant\s*le",
        r"payable\s*(?:avant\s*)?le",
    ),
    (
        "due_date",
        3,
        r"f[äa]llig(?:keitsdatum|keit)?(?:\s*(?:am|bis|zum))?",
        r"zahlungsziel",
        r"zahlbar\s*bis",
        r"zahlbar\s*(?:innerhalb\s*\d+\s*tagen\s*)?(?:netto\s*)?bis",
        r"vervaldatum",
        r"uiterste\s*betaaldatum",
        r"te\s*betalen\s*v[oó][oó]r",
    ),
    (
        "customer",
        3,
        r"bill(?:ed)?\s*to(?:\s*address)?",
        r"invoice\s*to",
        r"sold\s*to",
        r"customer(?:\s*name)?",
        r"client",
        r"buyer",
        r"billing\s*address",
        r"factur(?:é|ée|ee)\s*(?:à|a)",
        r"adresse\s*de\s*facturation",
        r"destinataire",
        r"acheteur",
        r"rechnungsempf[äa]nger",
        r"k[äa]ufer(?:/leistungsempf[äa]nger)?",
        r"leistungsempf[äa]nger",
        r"rechnungsadresse",
        r"kunde",
        r"factuuradres",
        r"afnemer",
    ),
    # A short heading alone in its cell, over the recipient's address: "An", "To:", "À :".
    ("customer", 3, r"(?:^|(?<=\s\s))(?:(?:an|to|à)(?=\s?:?(?:\s\s|$))|a(?=\s?:(?:\s\s|$)))"),
    (
        "seller",
        3,
        r"seller",
        r"vendor",
        r"supplier",
        r"sold\s*by",
        r"service\s*provider",
        r"bill\s*from",
        r"fournisseur",
        r"vendeur",
        r"[ée]metteur",
        r"prestataire",
        r"verk[äa]ufer",
        r"lieferant",
        r"rechnungssteller",
        r"leistungserbringer",
        r"leverancier",
        r"verkoper",
    ),
    (
        "seller",
        2,
        r"from(?=\s*:)",
        r"von(?=\s*:)",
        r"de(?=\s*:)",
    ),
    (
        "currency",
        3,
        r"currency",
        r"devise",
        r"monnaie",
        r"w[äa]hrung",
        r"rechnungsw[äa]hrung",
        r"valuta",
    ),
    # Longer phrases that contain the words above but announce something else.
    (
        "ignore",
        0,
        r"(?:order|delivery|shipping|ship|due|service|check[-\s]?in|check[-\s]?out|print|payment|start|end)\s*date",
        r"date\s*(?:of\s*)?(?:delivery|order|service|de\s*livraison|de\s*commande|de\s*prestation)",
    ),
    (
        "ignore",
        0,
        r"date\s*de\s*(?:la\s*)?facture\s*(?:associ[ée]e|d['’]origine|initiale|pr[ée]c[ée]dente)",
        r"(?:original|related|preceding)\s*invoice\s*date",
    ),
    (
        "ignore",
        0,
        r"(?:order|bestell|liefer|leistungs|auftrags|druck|buchungs)(?:-\s*und\s*leistungs)?datum",
        r"liefer-\s*und\s*leistungsdatum",
        r"orderdatum",
        r"leverdatum",
        r"date\s*de\s*d[ée]but",
        r"date\s*de\s*fin",
    ),
    (
        "ignore",
        0,
        r"(?:customer|client|kunden?|klant)[-\s.]*(?:no\.?|n[°º]|nr\.?|number|nummer|id|ref\.?|reference|r[ée]f[ée]rence|care|service|code|account)",
        r"kundennr\.?",
        r"(?:lieferschein|liefer|delivery\s*note|delivery|bon\s*de\s*livraison|bl|bestell|auftrags|order|commande|"
        r"angebots|quote|devis|contract|vertrags|contrat|mandat|mandate|tracking|sendungs|serien|serial|article|"
        r"artikel|art|item|page|seite|pagina|account|konto|compte|rekening)"
        r"[-\s.]*(?:nr\.?|no\.?|n[°º]|number|nummer|num[ée]ro)",
        r"kundennummer",
        r"klantnummer",
        r"(?:n[°º]\s*(?:de\s*)?)?(?:tva|vat|btw|ust)[-\s.]*(?:id\.?\s*|nummer\s*|number\s*)?(?:client|customer|kunde)",
        r"customer\s*vat(?:\s*(?:no|number|id))?",
        r"id\.?\s*client",
        r"n[°º]\s*(?:de\s*)?client",
        r"num[ée]ro\s*(?:de\s*)?client",
        r"service\s*clients?",
        r"espace\s*client",
        r"ship\s*to",
        r"livr[ée]\s*(?:à|a)",
        r"adresse\s*de\s*livraison",
        r"lieferadresse",
        r"afleveradres",
    ),
    (
        "ignore",
        0,
        r"(?:invoice|facture|rechnung|factuur)s?\s*(?:date|datum|period|p[ée]riode|address|adresse|total|totaal|summe|amount|montant|betrag)",
        r"factur(?:é|ée|ee)\s*(?:le|du)",
        r"rechnungs(?:datum|betrag|summe|adresse|empf[äa]nger|periode|zeitraum|kopie)",
    ),
)
"""Labels of the identity fields: invoice_number, date, due_date, customer, seller, currency."""

COLUMN_LABELS = _labels(
    (
        "description",
        2,
        r"description",
        r"d[ée]signation",
        r"libell[ée]",
        r"beschreibung",
        r"bezeichnung",
        r"artikelbezeichnung",
        r"leistung",
        r"omschrijving",
        r"product(?:\s*name)?",
        r"produit",
        r"items?",
        r"article",
        r"artikel",
        r"title",
        r"services?",
        r"prestations?",
        r"d[ée]tails?",
        r"naam",
        r"leistungsbeschreibung",
        r"bezeichnung",
    ),
    (
        "quantity",
        2,
        r"qty\.?",
        r"quantity",
        r"quantit[ée]",
        r"qt[ée]\.?",
        r"menge",
        r"anzahl",
        r"anz\.?",
        r"aantal",
        r"nombre",
        r"hoeveelheid",
        r"stk\.?",
        r"units",
        r"nb",
    ),
    (
        "unit_price",
        3,
        r"unit\s*price",
        r"price\s*per\s*unit",
        rf"prix\s*unitaire(?:\s*{_HT})?",
        rf"prix\s*u\.?(?:\s*{_HT})?",
        rf"p\.?\s?u\.?(?:\s*{_HT})?",
        r"einzelpreis",
        r"st[üu]ckpreis",
        r"nettopreis",
        r"vk-preis",
        r"preis\s*(?:pro|je)\s*einheit",
        r"prijs\s*per\s*stuk",
        r"stukprijs",
        r"unit\s*cost",
    ),
    (
        "unit_price",
        2,
        r"rate",
        r"price",
        rf"prix(?:\s*{_HT})?",
        r"preis",
        r"prijs",
        r"tarif",
        r"cost",
    ),
    (
        "vat_rate",
        2,
        rf"{_VAT}\s*(?:\(?%\)?|rate)",
        rf"%\s*{_VAT}",
        r"taux(?:\s*tva)?",
        r"steuersatz",
        r"mwst\.?-?satz",
        r"ust\.?-?satz",
        rf"{_VAT}",
    ),
    (
        "total",
        3,
        r"line\s*total",
        rf"total\s*{_HT}",
        rf"montant\s*{_HT}",
        r"prix\s*total",
        r"nettobetrag",
        r"zeilenbetrag",
        r"gesamtpreis",
        r"positionsbetrag",
        r"betrag",
        r"bedrag",
        r"prijs\s*incl\.?\s*btw",
        rf"montant(?:\s*eur)?(?:\s*{_HT})?",
    ),
    (
        "total",
        2,
        r"total",
        r"amount",
        r"totaal",
        r"summe",
        r"gesamt",
        r"sum",
    ),
    (
        "discount",
        2,
        r"disc\.?\s*%?",
        r"discount",
        r"remise",
        r"rem\.",
        r"rabatt(?:\s*%)?",
        r"korting",
        r"rabais",
        r"nachlass",
    ),
    (
        "position",
        1,
        r"pos\.?",
        r"line",
        r"ligne",
        r"lfd\.?\s*nr\.?",
    ),
)
"""Column headings of a line-item table."""


def find_labels(text: str, labels: tuple[Label, ...]) -> list[LabelMatch]:
    """The labels in text, left to right, without overlaps: where two overlap, the longer wins
    (so "Total HT" is not read as "Total"), then the heavier. Matches of kind 'ignore' are
    kept: they end the value of the label before them."""
    key = (id(labels), text)
    cached = _FOUND.get(key)
    if cached is None:
        if len(_FOUND) >= LABEL_CACHE_SIZE:
            _FOUND.clear()
        cached = _FOUND[key] = tuple(_find_labels(text, labels))
    return list(cached)


LABEL_CACHE_SIZE = 50_000
"""Lines whose labels are kept: several stages label the same lines with the same vocabulary."""
_FOUND: dict[tuple[int, str], tuple[LabelMatch, ...]] = {}


def _find_labels(text: str, labels: tuple[Label, ...]) -> list[LabelMatch]:
    found = [
        LabelMatch(label.kind, label.weight, m.start(), m.end())
        for label in labels
        for m in label.pattern.finditer(text)
        if m.end() > m.start() and "  " not in m.group(0)  # a label never spans two cells
    ]
    found.sort(key=lambda m: (-(m.end - m.start), -m.weight, m.start))
    chosen: list[LabelMatch] = []
    for match in found:
        if all(match.end <= c.start or c.end <= match.start for c in chosen):
            chosen.append(match)
    chosen.sort(key=lambda m: m.start)
    return chosen


AMOUNT_DUE_LABELS = _labels(
    (
        "amount_due",
        3,
        r"amount\s*due",
        r"balance\s*due",
        r"total\s*due",
        r"amount\s*payable",
        r"amount\s*to\s*pay",
        r"(?:net|solde|reste|montant|somme|total)\s*(?:à|a)\s*payer",
        r"zahlbetrag",
        r"zu\s*zahlen(?:der\s*betrag)?",
        r"f[äa]lliger\s*betrag",
        r"(?:offener|verbleibender)\s*betrag",
        r"restbetrag",
        r"te\s*betalen",
        r"due\s*payable",
        r"residual(?:\s*amount)?",
        r"(?:reste|restant|solde|montant)\s*d[ûu]",
    ),
    ("ignore", 0, r"(?:past|over)\s*due\s*amount", r"amount\s*due\s*(?:date|by|on)"),
)
"""Labels of the amount left to pay (after prepayments), which may differ from the total."""
