"""Numbers, amounts, percentages and dates as printed on invoices in English, French, German and Dutch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import Decimal, InvalidOperation

_GROUP_SEPARATORS = ",.' \u00a0\u202f\u2009"

NUMBER_RE = re.compile(
    r"""
    (?<![\w.,/:\-])                      # not glued to a word, a date, a time or a range
    (?P<sign>[-\u2212\u2013]\s?(?:[€$£¥₹]\s?)?(?=\d))?  # "-12.00", "- 12.00", "-£12.00"
    (?P<number>
        \d{1,3}(?P<group>[,.'\u00a0\u202f\u2009 ])\d{3}(?:(?P=group)\d{3})*(?:[.,]\d{1,4})?
      | \d+(?:[.,]\d{1,4})?
    )
    (?P<percent>\s?%)?
    (?![\w/]|[.,:]\d)                    # not followed by letters, digits, a date or a time
    """,
    re.VERBOSE,
)

CURRENCY_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "$": "USD",
    "us$": "USD",
    "₹": "INR",
    "rs": "INR",
    "rs.": "INR",
    "¥": "JPY",
    "zł": "PLN",
    "fr.": "CHF",
    "chf": "CHF",
}
"""Symbols and abbreviations as printed next to amounts (lower case), and what they mean."""

ISO_CURRENCIES = frozenset(
    "EUR USD GBP CHF INR PLN JPY CAD AUD NZD SEK NOK DKK CZK HUF RON BGN CNY HKD SGD ZAR BRL MXN TRY".split()
)

_MONTHS = {
    # English
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # French
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
    "janv": 1,
    "févr": 2,
    "fevr": 2,
    "avr": 4,
    "juil": 7,
    "déc": 12,
    # German
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "juni": 6,
    "juli": 7,
    "oktober": 10,
    "dezember": 12,
    "mär": 3,
    "okt": 10,
    "dez": 12,
    # Dutch
    "januari": 1,
    "februari": 2,
    "maart": 3,
    "mei": 5,
    "augustus": 8,
    "mrt": 3,
    # Italian
    "gennaio": 1,
    "febbraio": 2,
    "marzo": 3,
    "aprile": 4,
    "maggio": 5,
    "giugno": 6,
    "luglio": 7,
    "agosto": 8,
    "settembre": 9,
    "ottobre": 10,
    "novembre": 11,
    "dicembre": 12,
    "gen": 1,
    "mag": 5,
    "giu": 6,
    "lug": 7,
    "ago": 8,
    "set": 9,
    "ott": 10,
    "dic": 12,
    # Spanish ("marzo", "agosto", "noviembre"... shared or below)
    "enero": 1,
    "febrero": 2,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    "ene": 1,
    "abr": 4,
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO_DATE_RE = re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\d.,/])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d]|[.,]\d)"
)
_DAY_MONTH_RE = re.compile(
    rf"(?<![\w.])(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\.?\s*(?:de\s+)?(?P<month>{_MONTH_NAMES})\.?,?\s*(?:de\s+|del\s+)?(?P<y>\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY_RE = re.compile(
    rf"(?<![\w])(?P<month>{_MONTH_NAMES})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(?P<y>\d{{4}})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """A number found in a text, with where it was."""

    value: Decimal
    start: int
    end: int
    is_percent: bool
    has_decimals: bool
    """Whether it was printed with a decimal part (1,00 rather than 1)."""


@dataclass(frozen=True, slots=True)
class DateMatch:
    value: date
    start: int
    end: int


def parse_number(text: str, decimal_comma: bool | None = None) -> Decimal | None:
    """The number in a bare numeric string ('1 234,56', '1,234.56', '-3', '45,93 €'), or None.

    decimal_comma settles '1,234' and '1.234': when None, three digits after a single
    separator are read as a thousands group.
    """
    matches = find_numbers(text, decimal_comma)
    if len(matches) != 1:
        return None
    return matches[0].value


@lru_cache(maxsize=8192)
def find_numbers(text: str, decimal_comma: bool | None = None) -> tuple[NumberMatch, ...]:
    """Every number in text, left to right; dates and times are not numbers.
    Cached: the stages ask again about the same lines."""
    found = []
    for match in NUMBER_RE.finditer(text):
        raw = match.group("number")
        value, has_decimals = _to_decimal(raw, match.group("group"), decimal_comma)
        if value is None:
            continue
        # "-12.50", and accountants' "(12.50)": both negative.
        bracketed = (
            has_decimals
            and not match.group("percent")
            and text[match.start() - 1 : match.start()] == "("
            and text[match.end() : match.end() + 1] == ")"
        )
        if match.group("sign") or bracketed:
            value = -value
        found.append(NumberMatch(value, match.start(), match.end(), bool(match.group("percent")), has_decimals))
    return tuple(found)


def _to_decimal(raw: str, group: str | None, decimal_comma: bool | None) -> tuple[Decimal | None, bool]:
    digits = raw
    if group:
        head, _, tail = raw.rpartition(group)
        # Grouped: "1 234,56", "1.234,56", "1,234.56"; the part after the last group
        # separator may still carry a decimal part.
        rest = tail[3:]
        digits = raw[: len(head)].replace(group, "") + tail[:3]
        if rest:
            digits += "." + rest[1:]
        elif group in ",." and raw.count(group) == 1 and (head == "0" or _is_decimal_separator(group, decimal_comma)):
            digits = raw.replace(group, ".")
    else:
        digits = raw.replace(",", ".")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None, False
    return value, "." in digits


def _is_decimal_separator(separator: str, decimal_comma: bool | None) -> bool:
    """Whether a lone ',' or '.' followed by exactly three digits is the decimal separator."""
    if decimal_comma is None:
        return False
    return (separator == ",") == decimal_comma


def guess_decimal_comma(text: str) -> bool | None:
    """Whether the document writes decimals with a comma (1,50) rather than a point (1.50).

    Counts numbers with exactly two decimals; None when there are none.
    """
    commas = len(re.findall(r"(?<![\d,.])\d{1,3}(?:[.\s]\d{3})*,\d{2}(?!\d)", text))
    points = len(re.findall(r"(?<![\d,.])\d{1,3}(?:[,\s]\d{3})*\.\d{2}(?!\d)", text))
    if commas == points:
        return None
    return commas > points


def parse_date(text: str, day_first: bool = True) -> date | None:
    """The single date in text ('2024-03-15', '15/03/2024', '15.03.24', 'March 15, 2024',
    '15 mars 2024', '3. August 2014'), or None."""
    matches = find_dates(text, day_first)
    return matches[0].value if matches else None


@lru_cache(maxsize=8192)
def find_dates(text: str, day_first: bool = True) -> tuple[DateMatch, ...]:
    """Every date in text, left to right (cached, like find_numbers).

    day_first decides numeric dates where both parts could be the month (03/04/2024);
    when one part is above 12 the order is clear whatever day_first says.
    """
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, start: int, end: int) -> None:
        if value is None or any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(DateMatch(value, start, end))

    for m in _ISO_DATE_RE.finditer(text):
        add(_make_date(int(m["y"]), int(m["m"]), int(m["d"])), m.start(), m.end())
    for regex in (_DAY_MONTH_RE, _MONTH_DAY_RE):
        for m in regex.finditer(text):
            month = _MONTHS[m["month"].lower()]
            add(_make_date(int(m["y"]), month, int(m["d"])), m.start(), m.end())
    for m in _NUMERIC_DATE_RE.finditer(text):
        a, b, year = int(m["a"]), int(m["b"]), _full_year(m["y"])
        if a > 12 or (day_first and b <= 12):
            value = _make_date(year, b, a)
        else:
            value = _make_date(year, a, b) or _make_date(year, b, a)
        add(value, m.start(), m.end())
    found.sort(key=lambda d: d.start)
    return tuple(found)


def blank_dates(text: str) -> str:
    """text with every date replaced by spaces, so that its parts are not read as numbers
    while every other number keeps its offset."""
    for found in find_dates(text):
        text = text[: found.start] + " " * (found.end - found.start) + text[found.end :]
    return text


def guess_day_first(text: str) -> bool:
    """Whether numeric dates in the text put the day first (14/03/2025) rather than the month
    (03/14/2025). A date that can be read only one way (a part above 12) decides; failing
    that, an American document (a US state and ZIP code, or US dollars, with slashed dates)
    is month-first, any other day-first."""
    day_first_votes = month_first_votes = 0
    slashed = False
    for m in _NUMERIC_DATE_RE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        slashed = slashed or m["sep"] == "/"
        if a > 12 >= b:
            day_first_votes += 1
        elif b > 12 >= a:
            month_first_votes += 1
    if day_first_votes != month_first_votes:
        return day_first_votes > month_first_votes
    return not (slashed and _american(text))


_US_ADDRESS_RE = re.compile(
    r"[a-z],\s*(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|"
    r"V[AT]|W[AIVY])\s+\d{5}(?:-\d{4})?\b"
)
_US_CURRENCY_RE = re.compile(r"\bUSD\b|US\$|(?<![A-Za-z])\$\s?\d")
_OTHER_CURRENCY_RE = re.compile(r"€|£|\b(?:EUR|GBP|CHF|CAD|AUD)\b|\b(?:CA|AU|NZ|HK|SG)\$")


def _american(text: str) -> bool:
    """Whether the document reads as American: a US state with a ZIP code, or dollars and no
    other currency."""
    if _US_ADDRESS_RE.search(text):
        return True
    return bool(_US_CURRENCY_RE.search(text)) and not _OTHER_CURRENCY_RE.search(text)


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _make_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def currency_of_token(token: str) -> str | None:
    """The ISO code a printed currency symbol, abbreviation or code stands for, or None."""
    token = token.strip()
    if token.upper() in ISO_CURRENCIES:
        return token.upper()
    return CURRENCY_SYMBOLS.get(token.lower())
