"""Identifiers that carry a checksum: IBANs and VAT ids, checked with python-stdnum, and an OCR
reading that fails its checksum repaired, but only where the checksum confirms the repair.

OCR confuses letters and digits that look alike (O and 0, I or l and 1, S and 5 or 8, B and 8, Z and 2,
G and 6). Where the number's format requires a digit, a look-alike letter can only be one of its digits,
and where it requires a letter, a look-alike digit can only be that letter; where it allows both,
the character as read is tried first, then with one or two of them changed. A repair is accepted
only when exactly one candidate passes the checksum (among those with the fewest changes): a
value that passes as read is never changed, and nothing is guessed when two candidates pass or
none does.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations, product

from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

LETTER_TO_DIGIT = {
    "O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "58", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6",
}  # fmt: skip
"""Letters OCR reads where a digit is printed, and the digits they may stand for, likeliest first
(a damaged 8 reads as S too)."""
DIGIT_TO_LETTERS = {"0": "O", "1": "IL", "5": "S", "8": "B", "2": "Z", "6": "G"}
"""Digits OCR reads where a letter is printed, and the letters they may be."""
MAX_OPTIONAL_CHANGES = 2
"""Where a letter and a digit may both stand, at most this many characters read as allowed are
changed to their look-alike."""
MAX_CANDIDATES = 4096
"""More candidates than this and the reading is too uncertain to repair."""

_VAT_TEMPLATES = {
    "AT": ["Un8"],
    "BE": ["n10"],
    "BG": ["n9", "n10"],
    "CY": ["n8a"],
    "CZ": ["n8", "n9", "n10"],
    "DE": ["n9"],
    "DK": ["n8"],
    "EE": ["n9"],
    "EL": ["n9"],
    "ES": ["cn7c"],
    "FI": ["n8"],
    "FR": ["c2n9"],
    "HR": ["n11"],
    "HU": ["n8"],
    "IE": ["ncn5a", "ncn5a2"],
    "IT": ["n11"],
    "LT": ["n9", "n12"],
    "LU": ["n8"],
    "LV": ["n11"],
    "MT": ["n8"],
    "NL": ["n9Bn2"],
    "PL": ["n10"],
    "PT": ["n9"],
    "RO": [f"n{length}" for length in range(2, 11)],
    "SE": ["n12"],
    "SI": ["n8"],
    "SK": ["n10"],
    "GB": ["n9", "n12"],
    "XI": ["n9", "n12"],
    "CHE": ["n9"],
}
"""What follows the country prefix of a VAT id: n a digit, a a letter, c either, an upper-case
letter itself; a count repeats the class or letter before it."""

_IBAN_PART_RE = re.compile(r"(\d+)!([nac])")


def compact(value: str) -> str:
    """Without spaces, dots, dashes and slashes."""
    return re.sub(r"[\s.\-/]", "", value)


def iban_is_valid(value: str) -> bool:
    """Whether an IBAN passes the ISO 7064 mod-97 check and has its country's length and structure
    (stdnum.iban, without the national checks some countries add: printed IBANs are taken as the
    bank gives them)."""
    return stdnum_iban.is_valid(compact(value), check_country=False)


def vat_id_is_valid(value: str) -> bool:
    """Whether a VAT id ('DE214365872', 'CHE-123.456.707 MWST') passes its country's checksum: EU
    countries and Northern Ireland (stdnum.eu.vat), the UK (stdnum.gb.vat), Switzerland (its UID,
    stdnum.ch.uid). False for other countries."""
    value = compact(value).upper()
    if value.startswith("CHE"):
        return ch_uid.is_valid(value[:12])
    if value.startswith("GB"):
        return gb_vat.is_valid(value)
    return value[:2].lower() in eu_vat.MEMBER_STATES | {"el"} and eu_vat.is_valid(value)


def iban_length(country: str) -> int | None:
    """How many characters the country's IBANs have; None for a country stdnum does not know."""
    template = _iban_template(country.upper())
    return len(template) if template else None


def repair_iban(value: str) -> str | None:
    """The IBAN an OCR reading stands for, compact: the reading itself when it is valid, else the
    one repair of look-alike characters that makes it valid; None when there is none or more
    than one. The country letters must have been read right (they choose the format)."""
    value = compact(value)
    country = value[:2].upper()
    template = _iban_template(country)
    if template is None or len(value) != len(template):
        return None
    if value == value.upper() and iban_is_valid(value):
        return value
    return _repair(value, template, iban_is_valid)


def repair_vat_id(country: str, body: str) -> str | None:
    """The VAT id an OCR reading of country prefix + body stands for, compact ('DE214365872'): the
    reading itself when its checksum passes, else the one repair of look-alike characters that
    passes; None when there is none or more than one, and for countries without a checksum here."""
    country = country.upper()
    body = compact(body)
    if body == body.upper() and vat_id_is_valid(country + body):
        return country + body
    found = set()
    for template in _VAT_TEMPLATES.get(country, []):
        pattern = _expand(template)
        if len(pattern) == len(body):
            repaired = _repair(body, pattern, lambda candidate: vat_id_is_valid(country + candidate))
            if repaired is not None:
                found.add(country + repaired)
    return found.pop() if len(found) == 1 else None


def _repair(value: str, pattern: str, is_valid) -> str | None:
    """The one candidate of value, under pattern's class per position, that is_valid accepts.

    Characters the pattern forbids where they stand are replaced by their look-alike; where both
    a letter and a digit may stand, the character as read is kept unless changing it is needed:
    candidates are tried with 0, then 1, then up to MAX_OPTIONAL_CHANGES such changes, and the
    first count at which any candidate passes must have exactly one."""
    choices = [_choices(char, cls) for char, cls in zip(value, pattern, strict=True)]
    if not all(choices):
        return None
    # The character as read comes first among its choices where it is allowed there.
    forced = "".join(options[0] for options in choices)
    optional = [i for i, options in enumerate(choices) if len(options) > 1]
    for changes in range(MAX_OPTIONAL_CHANGES + 1):
        passing = set()
        tried = 0
        for positions in combinations(optional, changes):
            for replacements in product(*(choices[i][1:] for i in positions)):
                tried += 1
                if tried > MAX_CANDIDATES:
                    return None
                candidate = list(forced)
                for i, char in zip(positions, replacements, strict=True):
                    candidate[i] = char
                candidate = "".join(candidate)
                if is_valid(candidate):
                    passing.add(candidate)
        if passing:
            return passing.pop() if len(passing) == 1 else None
    return None


def _choices(char: str, cls: str) -> str:
    """What a character read by OCR may stand for in a position of class cls: the character itself
    first where the class allows it, then its look-alikes."""
    upper = char.upper() if char.isascii() else ""
    digit = char if char.isdigit() and char.isascii() else LETTER_TO_DIGIT.get(char, "")
    letters = upper if upper.isalpha() else DIGIT_TO_LETTERS.get(char, "")
    if cls == "n":
        return digit
    if cls == "a":
        return letters
    if cls == "c":
        as_read = digit if char.isdigit() else letters
        return "".join(dict.fromkeys(as_read + digit + letters))
    return cls if cls in letters or cls == upper else ""  # a fixed letter ('B' of a Dutch VAT id)


@lru_cache(maxsize=64)
def _iban_template(country: str) -> str | None:
    """The class of each position of the country's IBANs ('nn' check digits, then the BBAN), or
    None for a country stdnum does not know."""
    info = numdb.get("iban").info(country)
    structure = info[0][1].get("bban") if info and info[0][1] else None
    if not structure:
        return None
    return "aann" + "".join(cls * int(count) for count, cls in _IBAN_PART_RE.findall(structure))


@lru_cache(maxsize=256)
def _expand(template: str) -> str:
    """'c2n9' -> 'ccnnnnnnnnn'."""
    return "".join(part * int(count or 1) for part, count in re.findall(r"([a-zA-Z])(\d*)", template))
