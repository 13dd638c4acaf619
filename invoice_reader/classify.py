"""Invoice or other: keyword scoring in English, French, German and Dutch."""

from __future__ import annotations

import re

from .result import InvoiceFields

INVOICE_THRESHOLD = 4.0
"""A document scoring at least this is an invoice."""
TITLE_LINES = 12
"""Lines at the top of the first page where a document names what it is."""

_TITLE_INVOICE_RE = re.compile(
    r"\b(?:(?:tax\s+)?invoices?|factures?|rechnung|factuur|avoir|credit\s+note|gutschrift|note\s+de\s+cr[ée]dit|"
    r"\w+rechnung|rechnungskorrektur)\b",
    re.IGNORECASE,
)
_TITLE_OTHER_RE = re.compile(
    r"\b(?:(?:payment\s+)?receipt|re[çc]u|quittung|kassenbon|delivery\s+note|bon\s+de\s+livraison|lieferschein|"
    r"purchase\s+order|bon\s+de\s+commande|quot(?:e|ation)|devis|angebot|offerte|pro[-\s]?forma|"
    r"contract|contrat|vertrag|agreement|statement\s+of\s+account|relev[ée]|kontoauszug|order\s+confirmation|"
    r"confirmation\s+de\s+commande|auftragsbest[äa]tigung|mahnung|payment\s+reminder|relance)\b",
    re.IGNORECASE,
)
_SIGNALS: tuple[tuple[float, re.Pattern[str]], ...] = tuple(
    (weight, re.compile(pattern, re.IGNORECASE))
    for weight, pattern in (
        # Invoice numbers and dates.
        (
            2.0,
            r"\b(?:invoice\s*(?:no|n[o°º]|number|#|nr)|n[°º]\s*(?:de\s*)?facture|facture\s*n[°º]|"
            r"rechnungs[-\s]?(?:nummer|nr)|rechnung\s*nr|factuurnummer|invoice\s*date|date\s*de\s*facture|"
            r"rechnungsdatum|factuurdatum)",
        ),
        # Totals.
        (
            1.5,
            r"\b(?:total\s*(?:ht|ttc|h\.t\.|t\.t\.c\.)|montant\s*(?:ht|ttc)|sub[-\s]?total|net\s*total|"
            r"total\s*(?:excl|incl)\w*\.?\s*(?:vat|tax)|nettobetrag|bruttobetrag|gesamtbetrag|rechnungsbetrag|"
            r"exclusief\s*btw|totaal|invoice\s*total|grand\s*total|net\s*amount|total\s*due)\b",
        ),
        (
            1.0,
            r"\b(?:amount\s*due|balance\s*due|net\s*[àa]\s*payer|zahlbetrag|zu\s*zahlen|te\s*betalen|"
            r"due\s*date|payment\s*due|pay(?:able)?\s*within|date\s*d['’]?\s*[ée]ch[ée]ance|zahlungsziel|f[äa]llig|"
            r"vervaldatum)\b",
        ),
        # VAT.
        (1.0, r"\b(?:vat|tva|mwst|ust|btw|umsatzsteuer|gst|sales\s*tax|tax\s*\(?\d)"),
        (
            1.0,
            r"\b(?:bill(?:ed)?\s*to|factur[ée]\s*[àa]|rechnungsempf[äa]nger|invoice\s*to|payment\s*terms|"
            r"conditions\s*de\s*(?:paiement|r[èe]glement)|zahlungsbedingungen)\b",
        ),
        # Letters and contracts.
        (
            -2.0,
            r"\b(?:dear\s+(?:sir|madam|mr|mrs|ms)|yours\s+(?:sincerely|faithfully)|sincerely|kind\s+regards|"
            r"madame,?\s+monsieur|cordialement|veuillez\s+agr[ée]er|sehr\s+geehrte|mit\s+freundlichen\s+gr[üu]ßen|"
            r"geachte)\b",
        ),
        (
            -2.0,
            r"\b(?:hereinafter|the\s+parties|ci-apr[èe]s\s+d[ée]nomm[ée]|entre\s+les\s+soussign[ée]s|"
            r"zwischen\s+den\s+parteien|im\s+folgenden|terms\s+and\s+conditions\s+of\s+this\s+agreement)\b",
        ),
        (
            -5.0,
            r"\b(?:this\s+is\s+not\s+an?\s+(?:tax\s+)?invoice|ceci\s+n['’]est\s+pas\s+une\s+facture|"
            r"keine\s+rechnung|geen\s+factuur)\b",
        ),
    )
)


def classify_document(text: str, einvoice: InvoiceFields | None = None) -> str:
    """'invoice' or 'other'. A PDF carrying an e-invoice XML is an invoice whatever its type
    code (380 invoice, 381 credit note, 384 corrected invoice, 389 self-billed...)."""
    if einvoice is not None:
        return "invoice"
    return "invoice" if invoice_score(text) >= INVOICE_THRESHOLD else "other"


def invoice_score(text: str) -> float:
    """How much the text reads like an invoice: the title at the top counts most, then each
    kind of invoice vocabulary once; letter, contract and receipt vocabulary counts against."""
    lines = [line for line in text.splitlines() if line.strip()]
    title = "\n".join(lines[:TITLE_LINES])
    score = 0.0
    # Whichever the document names itself first: an invoice may quote "Bon de commande n°".
    other, invoice = _TITLE_OTHER_RE.search(title), _TITLE_INVOICE_RE.search(title)
    if other and (invoice is None or other.start() < invoice.start()):
        score -= 5.0
    elif invoice:
        score += 3.0
    for weight, pattern in _SIGNALS:
        if pattern.search(text):
            score += weight
    return score


_CREDIT_NOTE_TITLE_RE = re.compile(
    r"\b(?:credit\s*note|credit\s*memo|avoir|note\s*de\s*cr[ée]dit|facture\s*d['’]avoir|gutschrift|"
    r"rechnungskorrektur|stornorechnung|creditnota|creditfactuur)\b",
    re.IGNORECASE,
)
_SELF_BILLING_RE = re.compile(
    r"selbst\s*ausgestellt|gutschriftsverfahren|self[-\s]?bill|auto[-\s]?facturation|\(389\)", re.IGNORECASE
)


def document_subtype(text: str) -> str:
    """'credit_note' when the title at the top names a credit note ("Credit note", "Avoir",
    "Gutschrift", "Rechnungskorrektur") before any invoice word, else 'invoice'. A German
    "Gutschrift" that says it is self-billed ("Selbst ausgestellte Rechnung") is an invoice."""
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines[:TITLE_LINES]:
        credit = _CREDIT_NOTE_TITLE_RE.search(line)
        invoice = re.search(r"\b(?:invoice|facture|rechnung|factuur)\b", line, re.IGNORECASE)
        if credit and _SELF_BILLING_RE.search(line):
            return "invoice"
        if credit and (invoice is None or credit.start() <= invoice.start()):
            # "Facture liée" or "Invoice corrected by credit note 12" name another document.
            if not re.search(r"\b(?:li[ée]e|related|original|ursprungs)\b", line[: credit.start()], re.IGNORECASE):
                return "credit_note"
        if invoice and not credit:
            return "invoice"
    return "invoice"
