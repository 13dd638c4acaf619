"""The rule finders of the key-value fields: the value after the heaviest label of its kind.

They were the reader's only way to these fields; now what they choose is one feature among many of
the candidates that key_fields.py scores (`rule:<field>`), and `rule_choices` is what they choose.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from .amounts import find_dates
from .label_values import LabelledLine, cells_below, ends_cell, starts_cell, text_after
from .payment import Found, find_purchase_order
from .text_lines import TextLine

_INVOICE_NUMBER_RE = re.compile(r"^[#№]?\s*([A-Za-z0-9][\w/.\-]*[A-Za-z0-9]|\d)")
_DIGIT_GROUPS_RE = re.compile(r"^(\d+(?: \d+)+)(?=\s{2}|\s*$)")
_MONEY_LIKE_RE = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})*[.,]\d{2}$")
_DATE_PREPOSITION_RE = re.compile(r"^\s*(?:vom|du|dated|of|le|van|d\.d\.)\s", re.IGNORECASE)


class RuleChoices(NamedTuple):
    """What the rule finders read, and on which line (an index in the document's lines)."""

    invoice_number: str | None
    number_line: int | None
    purchase_order: str | None
    order_line: int | None
    date: date | None
    date_line: int | None
    due_date: date | None
    due_line: int | None


def rule_choices(lines: list[TextLine], labelled: list[LabelledLine], day_first: bool, iban: Found | None) -> RuleChoices:
    """The rules' invoice number, order number, issue date and printed due date. An order or bank
    account number is never the invoice number."""
    number, number_line = find_invoice_number(lines, labelled)
    order = find_purchase_order(lines)
    is_order = order is not None and number == order.value
    is_account = iban is not None and number is not None and len(number) >= 6 and number.replace(" ", "") in iban.value
    if is_order or is_account:
        number, number_line = None, None
    issued, issued_line = find_date(lines, labelled, "date", day_first, number_line)
    printed_due, due_line = find_date(lines, labelled, "due_date", day_first)
    return RuleChoices(
        number,
        number_line.index if number_line else None,
        order.value if order else None,
        order.line if order else None,
        issued,
        issued_line,
        printed_due,
        due_line,
    )


def find_invoice_number(lines: list[TextLine], labelled: list[LabelledLine]) -> tuple[str | None, LabelledLine | None]:
    """The invoice number and the line it was read on.

    Explicit labels ("Invoice No", "Facture n°", "Rechnungsnummer") beat a bare title word
    ("Invoice INV/2024/01/0007"); a value must contain a digit and not be a date or an amount.
    """
    best: tuple[float, int, str, LabelledLine] | None = None
    for item in labelled:
        for label in item.labels:
            if label.kind != "invoice_number" or (label.weight == 2 and not starts_cell(item, label)):
                continue
            value = _number_token(text_after(item, label))
            if value is None and ends_cell(item, label):
                below = cells_below(lines, item, label, max_lines=2)
                value = _number_token(below[0][1].text) if below else None
            if value is None:
                continue
            key = (-label.weight, item.index)
            if best is None or key < (best[0], best[1]):
                best = (-label.weight, item.index, value, item)
    if best is None:
        return None, None
    return best[2], best[3]


def find_date(
    lines: list[TextLine],
    labelled: list[LabelledLine],
    kind: str,
    day_first: bool,
    number_line: LabelledLine | None = None,
) -> tuple[date | None, int | None]:
    """The first date after the heaviest label of kind ('date' or 'due_date'), on its line or
    under it, and the index of the line it is printed on. For the issue date, a date printed on
    the invoice-number line ("Facture n° 12 du 02/07/2015", "Rechnung Nr. 4711 vom 05.03.2018")
    counts as labelled."""
    best: tuple[float, int, date, int] | None = None
    for item in labelled:
        for label in item.labels:
            if label.kind != kind:
                continue
            found, line = _first_date(text_after(item, label), day_first), item.index
            if found is None:
                for line, cell in cells_below(lines, item, label, max_lines=2):
                    found = _first_date(cell.text, day_first)
                    if found:
                        break
            if found is not None and (best is None or (-label.weight, item.index) < best[:2]):
                best = (-label.weight, item.index, found, line)
    if kind == "date" and number_line is not None and (best is None or best[0] > -3):
        found, line = _date_on_number_line(lines, number_line, day_first)
        if found is not None:
            return found, line
    return (best[2], best[3]) if best else (None, None)


def _date_on_number_line(
    lines: list[TextLine], number_line: LabelledLine, day_first: bool
) -> tuple[date | None, int | None]:
    """The date after the invoice number on its line, or at the start of the next line when
    the title wraps ("Rechnung Nr. 4711" / "vom 05.03.2018")."""
    number_label = next(m for m in number_line.labels if m.kind == "invoice_number")
    rest = number_line.text[number_label.end :]
    found = _first_date(rest, day_first)
    if found is not None:
        return found, number_line.index
    if number_line.index + 1 < len(lines):
        following = lines[number_line.index + 1].layout_text()
        # "Nr. 4711 vom" / "06.12.2018": the preposition ends the title line.
        ends_with_preposition = bool(rest.split()) and _DATE_PREPOSITION_RE.match(" " + rest.split()[-1] + " ")
        if _DATE_PREPOSITION_RE.match(following) or ends_with_preposition:
            return _first_date(following[:24], day_first), number_line.index + 1
    return None, None


def _number_token(text: str) -> str | None:
    match = _INVOICE_NUMBER_RE.match(text.strip())
    if not match:
        return None
    token = match.group(1)
    grouped = _DIGIT_GROUPS_RE.match(text.strip()) if token.isdigit() else None
    if grouped:  # "5871 7045 09": one number printed in groups, the cell's whole text
        return grouped.group(1)
    if not any(c.isdigit() for c in token) or _MONEY_LIKE_RE.match(token):
        return None
    if any(d.start == 0 and d.end == len(token) for d in find_dates(token)):
        return None  # "Invoice 15/03/2024" is a date, not a number
    return token


def _first_date(text: str, day_first: bool) -> date | None:
    found = find_dates(text, day_first)
    return found[0].value if found else None
