"""Who sent the invoice and who receives it: seller name, seller VAT number, customer name."""

from __future__ import annotations

import re

from .label_values import LabelledLine, cell_after, cells, cells_below, ends_cell, starts_cell
from .labels import FIELD_LABELS, TOTAL_LABELS, LabelMatch, find_labels
from .text_lines import TextLine

CUSTOMER_ZONE_LINES = 6
"""Lines after a customer label that are taken to be the customer's address block."""

_VAT_ID_SHAPES = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[A-Z0-9+*]\d{5}[A-Z]{1,2}",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{6,10}",  # officially 2-10 digits; short ones would match too much ordinary text
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "GB": r"\d{9}|\d{12}",
    "XI": r"\d{9}|\d{12}",
    "CHE": r"\d{9}",
}
"""What follows the country prefix of a VAT number in each EU country, the UK and Switzerland."""

_COUNTRY_PREFIXES = "|".join(sorted(_VAT_ID_SHAPES, key=len, reverse=True))
_VAT_ID_START_RE = re.compile(rf"(?<![A-Za-z0-9])({_COUNTRY_PREFIXES})(?=[\s.\-]?[0-9A-Z])")
_VAT_ID_LABEL_RE = re.compile(r"vat|tva|ust|mwst|btw|uid|umsatzsteuer|tax\s*id|n[°º]\s*tva|intra", re.IGNORECASE)
_CUSTOMER_WORDS_RE = re.compile(
    r"\b(?:client|customer|kunde|k[äa]ufer|buyer|acheteur|uw|your|votre|vos|ihre|afnemer|klant)\b", re.IGNORECASE
)

_LEGAL_FORMS_ANY_CASE = (
    r"GmbH\s*&\s*Co\.?\s*KG(?:aA)?|gGmbH|GmbH|S\.?A\.?R\.?L\.?|SASU|S\.A\.S\.?|EURL|Ltd\.?|Limited|LLC|L\.L\.C\.|"
    r"Inc\.?|Incorporated|Corp\.?|Corporation|LLP|Pvt\.?\s*Ltd\.?|Private\s+Limited|B\.V\.?|N\.V\.?|S\.p\.A\.?|"
    r"S\.r\.l\.?|sp\.\s*z\s*o\.\s*o\.?|e\.\s?K\.|a\.\s?G\."
)
_LEGAL_FORMS_UPPER = r"AG|SA|SAS|SE|KG|KGaA|OHG|UG|PLC|BV|NV|AB|AS|A/S|ApS|Oy|SRL|SL|SPA"
_LEGAL_FORM_RE = re.compile(rf"(?<![\w&])(?:(?i:{_LEGAL_FORMS_ANY_CASE})|(?:{_LEGAL_FORMS_UPPER}))(?![\w&])")
_SEGMENT_SPLIT_RE = re.compile(r"\s{2,}|\s[-–—|•●·]\s|[|•●·]|:\s|\s:|;\s")
_NAME_PREFIX_RE = re.compile(
    r"^(?:attn\.?|attention|z\.\s?hd\.?|t\.a\.v\.?|c/o|à l['’]attention de)\s*:?\s*", re.IGNORECASE
)
_VALUE_PHRASE_RE = re.compile(r"(?:\bto|\bby|\bfrom|\s[àa])$", re.IGNORECASE)
_NAME_FIELD_RE = re.compile(r"^(?:name|nom|raison sociale|firma|naam|company|soci[ée]t[ée])\s*:\s*(.+)$", re.IGNORECASE)
_KEY_VALUE_RE = re.compile(r"^[\w .,'/()-]{1,40}\s?:")
_DOCUMENT_TITLE_RE = re.compile(
    r"\s*\b(?:tax\s+)?(?:invoice|facture|rechnung|factuur|receipt|bill)\b\.?\s*$", re.IGNORECASE
)
_CONTACT_RE = re.compile(r"@|www\.|https?://|\+\d|\btel\b|\bfax\b|\bphone\b", re.IGNORECASE)


def find_customer(lines: list[TextLine], labelled: list[LabelledLine]) -> str | None:
    """The name after the first customer label ("Bill to", "Facturé à", "Rechnungsempfänger")."""
    return _labelled_name(lines, labelled, "customer")


def find_provider(lines: list[TextLine], labelled: list[LabelledLine], customer: str | None) -> str | None:
    """The seller: the name under a seller label, else the first company name with a legal
    form (GmbH, SARL, Ltd...) outside the customer's block, else the first line of the page
    when it reads like a name. None when nothing qualifies."""
    named = _labelled_name(lines, labelled, "seller")
    if named:
        return named
    zone = customer_zone(labelled)
    for item in labelled:
        for name in company_names(item.text):
            start = item.text.find(name.split()[0])
            if not _same_party(name, customer) and not in_zone(zone, item, start, start + len(name)):
                return name
    return _header_name(labelled, customer)


def find_vat_id(labelled: list[LabelledLine]) -> str | None:
    """The seller's VAT number, compact ('FR60421938861'); numbers on customer lines or in the
    customer's block are skipped, and a number next to a VAT label wins over a bare one."""
    zone = customer_zone(labelled)
    best: tuple[int, int, str] | None = None
    for item in labelled:
        for start, vat_id in vat_ids_in(item.text):
            if in_zone(zone, item, start, start + len(vat_id)):
                continue
            before = item.text[max(0, start - 40) : start]
            cell_before = before.split("  ")[-1]
            if _CUSTOMER_WORDS_RE.search(cell_before):
                continue
            rank = 0 if _VAT_ID_LABEL_RE.search(cell_before) else 1
            if best is None or (rank, item.index) < best[:2]:
                best = (rank, item.index, vat_id)
    return best[2] if best else None


def vat_ids_in(text: str) -> list[tuple[int, str]]:
    """(offset, compact VAT number) for every well-formed VAT number in text."""
    found = []
    for m in _VAT_ID_START_RE.finditer(text):
        country = m.group(1)
        # The number may be printed in groups separated by one space, dot or dash.
        groups: list[str] = []
        for token in re.split(r"[\s.\-]", text[m.end() : m.end() + 24].split("  ")[0]):
            if not token and not groups:
                continue
            if not re.fullmatch(r"[0-9A-Z+*]+", token):
                break
            groups.append(token)
        shape = _VAT_ID_SHAPES[country]
        for n in range(len(groups), 0, -1):
            body = "".join(groups[:n])
            if re.fullmatch(shape, body):
                found.append((m.start(), country + body))
                break
    return found


def company_names(text: str) -> list[str]:
    """Company names with a legal form in text: "Coolblue B.V.", "Amazon Web Services, Inc."."""
    names = []
    for segment in _SEGMENT_SPLIT_RE.split(text):
        for form in _LEGAL_FORM_RE.finditer(segment):
            name = _name_before(segment[: form.start()])
            if name:
                names.append(f"{name} {form.group(0)}".replace(" ,", ",").strip())
                break
    return names


def customer_zone(labelled: list[LabelledLine]) -> dict[int, tuple[float, float]]:
    """The customer's block: for each line in it, the horizontal band it covers.

    The block starts at a customer label that heads a cell ("Bill to:", "Adresse du Client")
    and covers the next lines, up to a seller label, from the label's cell to the next cell
    on its right (customer and seller often sit side by side)."""
    zone: dict[int, tuple[float, float]] = {}
    for item in labelled:
        for label in item.labels:
            if label.kind != "customer" or not (starts_cell(item, label) or ends_cell(item, label)):
                continue
            band = _cell_band(item, label)
            if band is None:
                continue
            for index in range(item.index, min(item.index + CUSTOMER_ZONE_LINES, len(labelled))):
                if index > item.index and any(m.kind == "seller" for m in labelled[index].labels):
                    break
                zone.setdefault(index, band)
    return zone


def in_zone(zone: dict[int, tuple[float, float]], item: LabelledLine, start: int, end: int) -> bool:
    """Whether text[start:end] of the line lies in the zone's band on that line."""
    band = zone.get(item.index)
    box = item.line.x_range(item.spans, start, end)
    return band is not None and box is not None and band[0] <= (box[0] + box[1]) / 2 < band[1]


def _cell_band(item: LabelledLine, label: LabelMatch) -> tuple[float, float] | None:
    """From the left edge of the label's cell to the left edge of the next cell."""
    box = item.line.x_range(item.spans, label.start, label.end)
    if box is None:
        return None
    own = [c for c in cells(item.line) if c.x0 <= box[0] + 0.1 and c.x1 >= box[1] - 0.1]
    left = own[0].x0 if own else box[0]
    right = min((c.x0 for c in cells(item.line) if c.x0 > box[1]), default=float("inf"))
    return left - item.line.em, right - 0.5 * item.line.em


def _name_before(text: str) -> str | None:
    """The words of a company name that end just before its legal form."""
    words = text.rstrip(" ,").split()
    if not words:
        return None
    if len(words) > 6:
        # Inside a sentence ("All services are sold by Amazon Web Services, Inc."): keep the
        # capitalised words just before the legal form.
        kept: list[str] = []
        for word in reversed(words):
            if not (word[0].isupper() or word[0].isdigit() or word in ("&", "und", "and", "et")):
                break
            kept.insert(0, word)
        words = kept
    if not words or not any(c.isalpha() for c in "".join(words)):
        return None
    name = " ".join(words)
    if not (name[0].isupper() or name[0].isdigit()):
        return None
    return name + ("," if text.rstrip().endswith(",") else "")


def _labelled_name(lines: list[TextLine], labelled: list[LabelledLine], kind: str) -> str | None:
    """The name after the first usable label of kind ('seller' or 'customer'): after it in its
    cell ("Bill to: ACME", "Sold by ACME"), else, when the label is a heading, in the block
    under it ("Name: X", or the first line that is not "key: value")."""
    for item in labelled:
        for label in item.labels:
            if label.kind != kind:
                continue
            if _introduces_value(item, label):
                value = cell_after(item, label)
                if value:
                    name = _clean_name(value)
                    if name:
                        return name
                    continue  # "Customer: 2" is a customer number, not a name
            if ends_cell(item, label):
                name = _name_in_block(lines, item, label)
                if name:
                    return name
    return None


def _introduces_value(item: LabelledLine, label: LabelMatch) -> bool:
    """Whether the label is followed by its value: "Client: X", or a phrase such as "Bill to X"."""
    if not starts_cell(item, label):
        return False
    after = item.text[label.end :].lstrip(" ")
    return after.startswith(":") or bool(_VALUE_PHRASE_RE.search(item.text[label.start : label.end]))


def _is_party_heading(text: str) -> bool:
    """Whether a cell is the heading of a party's block ("Käufer:", "Bill to"), not a name."""
    for match in find_labels(text, FIELD_LABELS):
        if match.kind in ("customer", "seller"):
            after = text[match.end :].strip()
            if after == "" or after.startswith(":") or _VALUE_PHRASE_RE.search(text[match.start : match.end]):
                return True
    return False


def _name_in_block(lines: list[TextLine], item: LabelledLine, label: LabelMatch) -> str | None:
    """The first name in the block under a heading label, skipping "key: value" lines."""
    for line_index, cell in cells_below(lines, item, label, max_lines=6):
        if _is_party_heading(cell.text):
            break  # the next party's block
        # The rest of the line from this cell on, so that "Nummer  : 4711" reads as one key-value.
        rest = " ".join(c.text for c in cells(lines[line_index]) if c.x0 >= cell.x0)
        field = _NAME_FIELD_RE.match(rest)
        if field:
            return _clean_name(field.group(1))
        text = _NAME_PREFIX_RE.sub("", rest)
        if _KEY_VALUE_RE.match(text):
            continue
        name = _clean_name(cell.text)
        if name:
            return name
    return None


def _clean_name(text: str) -> str | None:
    """A plausible party name, or None for addresses, numbers, contact details and labels."""
    text = _NAME_PREFIX_RE.sub("", text).strip(" ,;:")
    if len(re.findall(r"[^\W\d_]", text)) < 2 or not (text[0].isalpha() or text[0] == "&"):
        return None  # an address line, a number, a remark in brackets
    if _CONTACT_RE.search(text) or len(text.split()) > 8:
        return None
    if any(m.kind != "ignore" for m in find_labels(text, TOTAL_LABELS)):
        return None
    return re.sub(r"\s+", " ", text)


def _header_name(labelled: list[LabelledLine], customer: str | None) -> str | None:
    """The first cell of the document, without a trailing "Invoice", when it reads like a
    name: short, no digits, no label, no contact details, not the customer."""
    if not labelled:
        return None
    first = _DOCUMENT_TITLE_RE.sub("", labelled[0].text.split("  ")[0]).strip()
    if not first or any(c.isdigit() for c in first) or _CONTACT_RE.search(first):
        return None
    if any(m.kind != "ignore" for m in find_labels(first, FIELD_LABELS)):
        return None
    if len(first.split()) > 6 or len(re.findall(r"[^\W\d_]", first)) < 3 or _same_party(first, customer):
        return None
    return first


def _same_party(name: str, other: str | None) -> bool:
    if not other:
        return False
    a, b = _normalise(name), _normalise(other)
    return bool(a) and bool(b) and (a in b or b in a)


def _normalise(name: str) -> str:
    return re.sub(r"[^\w]+", " ", name.lower()).strip()
