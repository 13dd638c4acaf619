"""Who sent the invoice and who receives it: seller and customer names, and the VAT numbers printed
(vat_ids_in; whose each one is: invoice_reader/vat_ids.py)."""

from __future__ import annotations

import re

from . import ids
from .label_values import Cell, LabelledLine, cell_after, cells, cells_below, ends_cell, starts_cell
from .labels import FIELD_LABELS, TOTAL_LABELS, LabelMatch, find_labels
from .text_lines import TextLine

RETURN_ADDRESS_LINES = 25
"""Lines at the top of the document where a window envelope's return address is printed."""
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

COUNTRY_PREFIXES = "|".join(sorted(_VAT_ID_SHAPES, key=len, reverse=True))
_VAT_ID_START_RE = re.compile(rf"(?<![A-Za-z0-9])({COUNTRY_PREFIXES})(?=[\s.\-]?[0-9A-Z])")
_VAT_ID_OCR_START_RE = re.compile(rf"(?<![A-Za-z0-9])({COUNTRY_PREFIXES})(?=[\s.\-]?[0-9A-Za-z|])")
_RETURN_ADDRESS_SPLIT_RE = re.compile(r"\s[●•·|–-]\s")
_POSTCODE_RE = re.compile(r"\b\d{4,5}\b")
_SALUTATION_RE = re.compile(r"(?:herrn?|frau|firma|mr\.?|mrs\.?|ms\.?|monsieur|madame|m\.|mme\.?)", re.IGNORECASE)
_LEGAL_FORMS_ANY_CASE = (
    r"UG\s*\(haftungsbeschr[äa]nkt\)|"
    r"GmbH\s*&\s*Co\.?\s*KG(?:aA)?|gGmbH|GmbH|S\.?A\.?R\.?L\.?|SASU|S\.A\.S\.?|EURL|Ltd\.?|Limited|LLC|L\.L\.C\.|"
    r"Inc\.?|Incorporated|Corp\.?|Corporation|LLP|Pvt\.?\s*Ltd\.?|Private\s+Limited|B\.V\.?|N\.V\.?|S\.p\.A\.?|"
    r"S\.r\.l\.?|sp\.\s*z\s*o\.\s*o\.?|e\.\s?K\.|a\.\s?G\.|"
    r"S\.A\.(?:U\.)?|S\.L\.(?:U\.|N\.E\.)?|S\.n\.c\.|S\.c\.a\.r\.l\.|S\.r\.l\.s\.|V\.O\.F\.|C\.V\.|"
    r"B\.V\.B\.A\.|S\.P\.R\.L\.|S\.C\.R\.L\.|Pty\.?\s*Ltd\.?|PLLC|L\.P\."
)
_LEGAL_FORMS_UPPER = (
    r"AG|SA|SAS|SE|KG|KGaA|OHG|UG|PLC|BV|NV|AB|AS|A/S|ApS|Oy|Oyj|SRL|SL|SLU|SAU|SPA|"
    r"OG|KEG|GesmbH|GesbR|GbR|eG|e\.V\.|e\.U\.|VOF|CV|BVBA|SPRL|SPRLU|SCRL|SNC|SCS|SARLU|SCOP|SCI|Lda"
)
"""Legal forms in the countries whose languages the reader knows (and their neighbours), as
registers print them; the upper-case ones only in that case ("SA", not the word "sa")."""
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
_LEADING_TITLE_RE = re.compile(
    r"^\s*(?:(?:tax\s+)?invoice|facture(?:\s+d['’]avoir)?|rechnung|factuur|gutschrift|avoir|credit\s+note)\b\s*",
    re.IGNORECASE,
)
_ACCOUNT_HOLDER_RE = re.compile(
    r"\b(?:titulaire(?:\s*du\s*compte)?|account\s*holder|account\s*name|beneficiary|b[ée]n[ée]ficiaire|"
    r"kontoinhaber(?:in)?|zahlungsempf[äa]nger|rekeninghouder|ten\s*name\s*van)\s*:\s*",
    re.IGNORECASE,
)
_CONTACT_RE = re.compile(r"@|www\.|https?://|\+\d|\btel\b|\bfax\b|\bphone\b", re.IGNORECASE)


def find_customer(lines: list[TextLine], labelled: list[LabelledLine]) -> str | None:
    """The name after the first customer label ("Bill to", "Facturé à", "Rechnungsempfänger"),
    else the first name of the address block under a window-envelope return address."""
    return customer_found(lines, labelled)[0]


def customer_found(lines: list[TextLine], labelled: list[LabelledLine]) -> tuple[str | None, str | None]:
    """find_customer's name and the step that found it ('labelled' or 'window'), or (None, None)."""
    named = _labelled_name(lines, labelled, "customer")
    if named:
        return named, "labelled"
    window = _addressee(lines)
    return (window, "window") if window else (None, None)


def _addressee(lines: list[TextLine]) -> str | None:
    """The recipient printed under the sender's one-line return address ("ACME GmbH ● Road 1 ●
    12345 Town"), as in a window envelope: the first name-like cell that starts where the
    return address starts, on the next few lines. Salutations ("Herrn", "Firma"), party headings
    and the town of a return address that wrapped ("… · 01067" / "Dresden") are skipped."""
    for index, line in enumerate(lines[:RETURN_ADDRESS_LINES]):
        for cell in cells(line):
            if len(_RETURN_ADDRESS_SPLIT_RE.findall(cell.text)) < 2 or not _POSTCODE_RE.search(cell.text):
                continue
            # "… · 01067" (a postcode without its town) goes on with the town on the next line.
            wrapped = bool(_POSTCODE_RE.fullmatch(_RETURN_ADDRESS_SPLIT_RE.split(cell.text)[-1].strip()))
            for below in lines[index + 1 : index + 4]:
                start = next((c for c in cells(below) if abs(c.x0 - cell.x0) <= below.em), None)
                if start is None or _SALUTATION_RE.fullmatch(start.text.strip()) or _is_party_heading(start.text):
                    continue
                if wrapped:
                    wrapped = False
                    if len(start.text.split()) == 1:
                        continue  # the return address's town
                return _clean_name(start.text)
    return None


def find_provider(lines: list[TextLine], labelled: list[LabelledLine], customer: str | None) -> str | None:
    """The seller: the name under a seller label, else the first company name with a legal
    form (GmbH, SARL, Ltd...) outside the customer's and the delivery address's blocks, else the
    account holder of the bank details, else the first line of the page when it reads like a
    name. None when nothing qualifies."""
    return provider_found(lines, labelled, customer)[0]


def provider_found(
    lines: list[TextLine], labelled: list[LabelledLine], customer: str | None
) -> tuple[str | None, str | None]:
    """find_provider's name and the step that found it ('labelled', 'legal_form',
    'account_holder' or 'header'), or (None, None). How far each step can be trusted differs:
    the party models learn it from the step's name."""
    named = _labelled_name(lines, labelled, "seller")
    if named:
        return named, "labelled"
    zone = customer_zone(labelled, ship_to=True)
    for number, item in enumerate(labelled):
        for name in company_names(item.text) or _wrapped_company_name(labelled, number):
            start = item.text.find(name.split()[0])
            if not _same_party(name, customer) and not in_zone(zone, item, start, start + len(name)):
                return _name_wrapped_above(lines, number, name) or name, "legal_form"
    holder = _account_holder(labelled, customer)
    if holder:
        return holder, "account_holder"
    header = _header_name(labelled, customer)
    return (header, "header") if header else (None, None)


def _name_wrapped_above(lines: list[TextLine], number: int, name: str) -> str | None:
    """The whole name when its first words wrapped above it: "Pinecrest Print" / "Works Ltd", the
    upper part the last cell of the line just above, aligned with the name's cell on the left or
    the right, capitalised words of a name only (no digit, colon, exclamation, legal form, label or
    role heading: not "INVOICE", "Bill to", "Versand an" or a thank-you line). None when the name
    starts on its own line."""
    if number == 0:
        return None
    line, above = lines[number], lines[number - 1]
    own = cells(line)
    if not own or not own[0].text.strip().startswith(name):
        return None
    upper = cells(above)[-1:]
    em = line.em
    if not upper or line.top - above.top > 2 * em:
        return None
    if abs(upper[0].x0 - own[0].x0) > em and abs(upper[0].x1 - own[0].x1) > em:
        return None
    text = upper[0].text.strip()
    if not _starts_a_name(text) or re.search(r"[!?]", text):
        return None
    if not all(word[0].isupper() for word in text.split()):
        return None  # a sentence or a heading ("Versand an"), not the start of a name
    from .party_words import heading  # party_words reads this module's patterns

    if find_labels(text, FIELD_LABELS) or _is_party_heading(text) or heading(text):
        return None
    return f"{text} {name}"


def _wrapped_company_name(labelled: list[LabelledLine], number: int) -> list[str]:
    """A company name whose legal form wrapped onto the next line ("Hoffmann Software" / "GmbH"),
    both lines a single cell."""
    if number + 1 >= len(labelled):
        return []
    first, second = labelled[number].text.strip(), labelled[number + 1].text.strip()
    if "  " in first or not _LEGAL_FORM_RE.fullmatch(second):
        return []
    return company_names(f"{first} {second}")


def _account_holder(labelled: list[LabelledLine], customer: str | None) -> str | None:
    """The holder of the account the invoice asks to be paid into ("Titulaire du compte :
    ACME"): the seller, when no name with a legal form or seller label says otherwise."""
    for item in labelled:
        m = _ACCOUNT_HOLDER_RE.search(item.text)
        if m:
            name = _clean_name(re.split(r"\s{2,}|\s[-–]\s|,", item.text[m.end() :].strip())[0])
            if name and not _same_party(name, customer):
                return name
    return None


def vat_ids_in(text: str, *, ocr: bool = False) -> list[tuple[int, str]]:
    """(offset, compact VAT number) for every well-formed VAT number in text.

    With ocr (the text was read by OCR), a number whose reading fails its checksum is repaired
    where exactly one repair of look-alike characters (O/0, l/1, S/5, B/8...) passes it
    (ids.repair_vat_id); a number that passes, or that no single repair makes pass, stays as read."""
    found = []
    for m in (_VAT_ID_OCR_START_RE if ocr else _VAT_ID_START_RE).finditer(text):
        country = m.group(1)
        # The number may be printed in groups separated by one space, dot or dash.
        groups: list[str] = []
        for token in re.split(r"[\s.\-]", text[m.end() : m.end() + 24].split("  ")[0]):
            if not token and not groups:
                continue
            if not re.fullmatch(r"[0-9A-Za-z+*|]+" if ocr else r"[0-9A-Z+*]+", token):
                break
            groups.append(token)
        shape = _VAT_ID_SHAPES[country]
        for n in range(len(groups), 0, -1):
            body = "".join(groups[:n])
            well_formed = re.fullmatch(shape, body)
            repaired = ids.repair_vat_id(country, body) if ocr else None
            if repaired is not None and (not well_formed or repaired[len(country) :] != body):
                found.append((m.start(), repaired))
                break
            if well_formed:
                found.append((m.start(), country + body))
                break
    return found


def company_names(text: str) -> list[str]:
    """Company names with a legal form in text: "Acme B.V.", "Northwind Cloud Services, Inc."."""
    names = []
    for segment in _SEGMENT_SPLIT_RE.split(text):
        for form in _LEGAL_FORM_RE.finditer(segment):
            name = _name_before(segment[: form.start()])
            if name:
                names.append(f"{name} {form.group(0)}".replace(" ,", ",").strip())
                break
    return names


def customer_zone(labelled: list[LabelledLine], ship_to: bool = False) -> dict[int, tuple[float, float]]:
    """The customer's block (with ship_to, the delivery address's block too): for each line in
    it, the horizontal band it covers.

    The block starts at a customer label that heads a cell ("Bill to:", "Adresse du Client")
    and covers the next lines, up to a seller label, from the label's cell to the next cell
    on its right (customer and seller often sit side by side)."""
    zone: dict[int, tuple[float, float]] = {}
    for item in labelled:
        for label in item.labels:
            buyer_side = label.kind == "customer" or (ship_to and label.announces == "ship_to")
            if not buyer_side or not (starts_cell(item, label) or ends_cell(item, label)):
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
    words = _LEADING_TITLE_RE.sub("", text).rstrip(" ,").split()
    if not words:
        return None
    if len(words) > 6:
        # Inside a sentence ("All services are sold by Northwind Cloud Services, Inc."): keep the
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
                if value and _under_a_heading(lines, item.index, value, label.end):
                    value = ""  # the next block's first line ("INVOICE TO  ACME" under "SHIP TO")
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


def _under_a_heading(lines: list[TextLine], index: int, value: str, after: int) -> bool:
    """Whether the cell of line index that holds value (right of offset after) sits under a
    heading of its own on the line above ("SHIP TO", "Seller"): it is the first line of that
    block, not a value."""
    line = lines[index]
    text, spans = line.layout()
    start = text.find(value, after)
    box = line.x_range(spans, start, start + len(value)) if start >= 0 else None
    if box is None or index == 0:
        return False
    return any(
        abs(cell.x0 - box[0]) <= line.em and _is_label_cell(cell.text) for cell in cells(lines[index - 1])
    )


def _is_label_cell(text: str) -> bool:
    """Whether the cell is a label and nothing else ("Ship to", "Seller:")."""
    return any(m.start == 0 and not text[m.end :].strip(" :") for m in find_labels(text, FIELD_LABELS))


def _is_field_label(text: str) -> bool:
    """Whether a cell is the label of a field other than a party, alone or with one more word ("Date",
    "N° de ligne", "Date de" wrapped in a narrow column)."""
    return any(
        m.start == 0 and m.kind not in ("customer", "seller", "ignore") and len(text[m.end :].split()) <= 1
        for m in find_labels(text, FIELD_LABELS)
    )


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
    """The first name in the block under a heading label, skipping "key: value" lines. A
    name without a legal form goes on over the next line when that line ends with one
    ("Nordsee Fischerei und" / "Räucherei Genossenschaft eG")."""
    block = cells_below(lines, item, label, max_lines=6)
    for position, (line_index, cell) in enumerate(block):
        if _is_party_heading(cell.text):
            break  # the next party's block
        # The rest of the line from this cell on, so that "Nummer  : 4711" reads as one key-value.
        following = [c.text for c in cells(lines[line_index]) if c.x0 > cell.x0]
        # A key and its value may sit in two cells ("Name:  ACME", "Nummer  : 4711").
        key_value = following and (following[0].startswith(":") or cell.text.rstrip().endswith(":"))
        rest = cell.text + (" " + following[0] if key_value else "")
        field = _NAME_FIELD_RE.match(rest)
        if field:
            name = _clean_name(field.group(1))
            value = next((c for c in cells(lines[line_index]) if c.x0 > cell.x0), None) if key_value else None
            first = _value_line_above(lines, line_index, value, item.index) if name and value else None
            return f"{first} {name}" if first else name
        text = _NAME_PREFIX_RE.sub("", rest)
        if _KEY_VALUE_RE.match(text):
            continue
        if _is_field_label(cell.text):
            break  # the next field's label ("Date", "N° de ligne"): the block under the heading has ended
        name = _clean_name(cell.text)
        if name and not _LEGAL_FORM_RE.search(name) and position + 1 < len(block):
            next_index, next_cell = block[position + 1]
            rest = _clean_name(next_cell.text)
            if next_index == line_index + 1 and rest and company_names(rest) and not any(c.isdigit() for c in rest):
                return f"{name} {rest}"
        if name:
            return name
    return None


def _value_line_above(lines: list[TextLine], index: int, value: Cell, heading: int) -> str | None:
    """The first line of a form's value printed over two lines, its key beside the second
    ("Ostwind Gegenseitige" over "Name:  Versicherungsgesellschaft Nordhafen a.G."): the line above,
    below the heading, when it holds one cell only, in the value's column, that reads as the
    start of a name (no digit, no colon, no legal form of its own)."""
    if index - 1 <= heading:
        return None
    above = cells(lines[index - 1])
    if len(above) != 1 or abs(above[0].x0 - value.x0) > lines[index].em:
        return None
    text = above[0].text.strip()
    return text if _starts_a_name(text) else None


def _starts_a_name(text: str) -> bool:
    """Whether a line can be the first part of a name wrapped onto the next: name words only, no
    digit, colon or legal form of its own."""
    return not re.search(r"[\d:]", text) and not _LEGAL_FORM_RE.search(text) and _clean_name(text) == text


def _clean_name(text: str) -> str | None:
    """A plausible party name, or None for addresses, numbers, contact details and labels."""
    text = _NAME_PREFIX_RE.sub("", text).strip(" ,;:")
    if len(re.findall(r"[^\W\d_]", text)) < 2 or not (text[0].isalpha() or text[0] == "&"):
        return None  # an address line, a number, a remark in brackets
    if _CONTACT_RE.search(text) or len(text.split()) > 8 or _SALUTATION_RE.fullmatch(text):
        return None
    if sum(c.isdigit() for c in text) > len(re.findall(r"[^\W\d_]", text)):
        return None  # an identifier (a "GLN" and its 13 digits), not a name
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
    if not a or not b:
        return False
    # "ACME" and "ACME SARL" are one company; "ACME GmbH" and "ACME GmbH & Co. KG" two.
    shorter, longer = sorted((name, other), key=len)
    if a == b:
        return True
    return _normalise(shorter) in _normalise(longer) and not _LEGAL_FORM_RE.search(shorter)


def _normalise(name: str) -> str:
    return re.sub(r"[^\w]+", " ", name.lower()).strip()
