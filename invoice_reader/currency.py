"""The invoice's currency, as a vote over what the document shows, robust to OCR's mistakes.

OCR reads '€' as 'C' or 'e', drops it, or makes up a code ('USD' from a smudge); a text layer
prints an ISO code in a footer ("prices in USD available on request"). So no single token
decides: each piece of evidence weighs according to how surely it names the invoice's currency.

- a currency label's value ("Währung: EUR", "Currency: GBP"): LABEL_WEIGHT for the first printed,
  LATER_LABEL_WEIGHT for the others;
- a symbol or ISO code printed against an amount ("1.234,56 €", "EUR 120.00"): NEXT_TO_AMOUNT;
- a symbol or currency word elsewhere: ELSEWHERE; an ISO code elsewhere: CODE_ELSEWHERE;
- in OCR'd text only, a lone 'C' or 'e' against an amount (a '€' misread): MISREAD_EURO;
- the seller's country (VAT id prefix), the IBAN's country and the document's language point to
  a local currency with small weights that together stay below one amount's symbol: they only
  break ties, or decide for an OCR'd page whose amounts lost their symbols.

So a code read once against many euro signs loses, and a document that names no currency at all
(and was not read by OCR) still has none.
"""

from __future__ import annotations

import re
from collections import Counter

from .amounts import ISO_CURRENCIES, currency_of_token
from .label_values import LabelledLine, cell_after
from .language import guess_language

LABEL_WEIGHT = 6.0
LATER_LABEL_WEIGHT = 3.0
"""A document that prints two currency labels names the invoice's currency first and then another
one (the currency VAT is booked in, say): the first one printed weighs most."""
NEXT_TO_AMOUNT = 2.0
ELSEWHERE = 1.0
CODE_ELSEWHERE = 0.5
MISREAD_EURO = 1.0
SELLER_COUNTRY = 0.75
IBAN_COUNTRY = 0.75
LANGUAGE = 0.25
"""SELLER_COUNTRY + IBAN_COUNTRY + LANGUAGE < NEXT_TO_AMOUNT: local evidence never outvotes one
amount's printed currency."""

EURO_COUNTRIES = frozenset(
    "AT BE BG CY DE EE EL ES FI FR GR HR IE IT LT LU LV MC MT NL PT SI SK SM VA AD".split()
)
"""Countries that pay in euros (Bulgaria since 2026)."""
_LOCAL_CURRENCY = {
    **dict.fromkeys(EURO_COUNTRIES, "EUR"),
    "GB": "GBP",
    "XI": "GBP",
    "CH": "CHF",
    "CHE": "CHF",
    "LI": "CHF",
    "PL": "PLN",
    "CZ": "CZK",
    "HU": "HUF",
    "RO": "RON",
    "SE": "SEK",
    "DK": "DKK",
    "NO": "NOK",
}
_LANGUAGE_CURRENCY = {"de": "EUR", "fr": "EUR", "nl": "EUR", "it": "EUR", "es": "EUR"}
"""Languages spoken mostly in the euro area (Swiss German and French invoices print CHF, which
outvotes this easily)."""

_WORDS = {"euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD", "rupee": "INR", "rupees": "INR"}
_CODE = "|".join(sorted(ISO_CURRENCIES))
_TOKEN_RE = re.compile(
    r"(?P<symbol>[€$£₹¥]|US\$|(?<![A-Za-z])(?i:Rs)\.?(?![A-Za-z]))"
    rf"|(?<![A-Za-z])(?P<code>{_CODE})(?![A-Za-z])"  # upper case only: 'try' and 'Ron' are words
    r"|(?P<abbreviation>(?<![A-Za-z])(?:Fr\.|zł))"
    r"|(?i:\b(?P<word>euros?|us\s*dollars?|dollars?|pounds?\s*sterling|rupees?)\b)"
)
"""A currency named in text. Abbreviations that are also words ('Fr.' for Frau) count only against
an amount."""
_AMOUNT = r"[-\u2212]?\d{1,3}(?:[.,'\s\u00a0\u202f]\d{3})*[.,]\d{2}(?!\d)"
_BEFORE_AMOUNT_RE = re.compile(rf"^\s{{0,2}}{_AMOUNT}")
_AFTER_AMOUNT_RE = re.compile(rf"{_AMOUNT}\s{{0,2}}$")
_MISREAD_EURO_RE = re.compile(rf"{_AMOUNT}\s?[Ce](?![\w€$£])|(?<![\w.,])[Ce]\s?(?={_AMOUNT})")


def find_currency(
    labelled: list[LabelledLine],
    text: str,
    *,
    seller_vat_id: str | None = None,
    iban: str | None = None,
    ocr: bool = False,
) -> str | None:
    """The ISO 4217 code the evidence in the document votes for (see the module's docstring); None
    when nothing names a currency. ocr: the text was read by OCR, so a lone 'C' or 'e' against an
    amount counts as a misread '€', and with no currency printed the local evidence decides."""
    votes = currency_votes(labelled, text, seller_vat_id=seller_vat_id, iban=iban, ocr=ocr)
    return votes.most_common(1)[0][0] if votes else None  # a tie: the currency named first


def currency_votes(
    labelled: list[LabelledLine],
    text: str,
    *,
    seller_vat_id: str | None = None,
    iban: str | None = None,
    ocr: bool = False,
) -> Counter[str]:
    """The weighted votes for each currency; local evidence is counted only when something else
    names a currency, or, for an OCR'd page, when it prints amounts."""
    votes: Counter[str] = Counter()
    weight = LABEL_WEIGHT
    for item in labelled:
        for label in item.labels:
            if label.kind == "currency":
                for token in re.findall(r"[A-Za-z€$£]+", cell_after(item, label)):
                    code = currency_of_token(token) or _WORDS.get(token.lower())
                    if code:
                        votes[code] += weight
                        weight = LATER_LABEL_WEIGHT
                        break
    printed_amounts = False
    for line in text.splitlines():
        printed_amounts = printed_amounts or bool(re.search(_AMOUNT, line))
        for m in _TOKEN_RE.finditer(line):
            code = _code(m)
            if code is None:
                continue
            before, after = line[: m.start()], line[m.end() :]
            next_to_amount = bool(_BEFORE_AMOUNT_RE.match(after) or _AFTER_AMOUNT_RE.search(before))
            if next_to_amount:
                votes[code] += NEXT_TO_AMOUNT
            elif m.group("code"):
                votes[code] += CODE_ELSEWHERE
            elif not m.group("abbreviation"):
                votes[code] += ELSEWHERE
        if ocr:
            for _ in _MISREAD_EURO_RE.finditer(line):
                votes["EUR"] += MISREAD_EURO
    if votes or (ocr and printed_amounts):
        for code, weight in _local_evidence(text, seller_vat_id, iban):
            votes[code] += weight
    return votes


def _code(m: re.Match) -> str | None:
    if m.group("word"):
        lowered = re.sub(r"\s+", " ", m.group("word").lower())
        if "sterling" in lowered:
            return "GBP"
        return _WORDS.get(lowered) or ("USD" if "dollar" in lowered else None)
    return currency_of_token(m.group(0))


def _local_evidence(text: str, seller_vat_id: str | None, iban: str | None) -> list[tuple[str, float]]:
    """(currency, weight) for the seller's country, the IBAN's country and the language."""
    evidence = []
    if seller_vat_id:
        country = "CHE" if seller_vat_id.upper().startswith("CHE") else seller_vat_id[:2].upper()
        if country in _LOCAL_CURRENCY:
            evidence.append((_LOCAL_CURRENCY[country], SELLER_COUNTRY))
    if iban and iban[:2].upper() in _LOCAL_CURRENCY:
        evidence.append((_LOCAL_CURRENCY[iban[:2].upper()], IBAN_COUNTRY))
    language = guess_language(text)
    if language in _LANGUAGE_CURRENCY:
        evidence.append((_LANGUAGE_CURRENCY[language], LANGUAGE))
    return evidence
