"""Whether an invoice's totals add up: without VAT + VAT = with VAT, and the lines sum to the total."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .result import InvoiceFields, VatRate

CENT = Decimal("0.01")
RATE_ROUNDING = Decimal("0.01")
"""A rate's VAT may differ from base x rate by this much: some invoices round per line."""


def check_vat(fields: InvoiceFields) -> dict:
    """The VatCheck stored as InvoiceFields.validation:

    {'vat': {'is_valid', 'difference', ['derivable']}, ['lines_sum' (also under its old name
    'lines'): {'is_valid', 'difference', 'compared_to'}], 'rates': [{'rate', 'base', 'amount',
    'is_valid', 'difference'}], 'overall_valid'}

    vat.is_valid is None when a total is missing; difference is (without VAT + VAT) - with
    VAT as a string ('0.00'). When exactly one total is missing, 'derivable' names it and gives
    the value the other two imply; the field itself stays None. The lines check runs when
    every line has a total: their sum must equal the total without VAT or, for lines
    priced with VAT, the total with VAT. Each rate of the VAT breakdown is checked as
    base x rate = amount (to the cent, allowing one cent of rounding); is_valid is None when
    its base or amount is not printed. overall_valid is True only when the VAT check ran and
    passed and the lines and rate checks, where they ran, passed too. Nothing is corrected.
    """
    without, vat, with_ = fields.total_without_vat, fields.total_vat, fields.total_with_vat
    vat_check: dict = {"is_valid": None, "difference": None}
    if without is not None and vat is not None and with_ is not None:
        difference = _cents(without + vat) - _cents(with_)
        vat_check = {"is_valid": difference == 0, "difference": str(difference)}
    else:
        derivable = _derivable(without, vat, with_)
        if derivable:
            vat_check["derivable"] = derivable
    validation: dict = {"vat": vat_check}

    line_totals = [line.total_ht for line in fields.lines]
    if line_totals and all(total is not None for total in line_totals):
        validation["lines"] = _check_lines(sum(line_totals, Decimal(0)), fields)
        validation["lines_sum"] = validation["lines"]
    validation["rates"] = [_check_rate(rate) for rate in fields.vat_breakdown]

    lines_ok = validation.get("lines", {}).get("is_valid") is not False
    rates_ok = all(check["is_valid"] is not False for check in validation["rates"])
    validation["overall_valid"] = vat_check["is_valid"] is True and lines_ok and rates_ok
    return validation


def _check_lines(lines_sum: Decimal, fields: InvoiceFields) -> dict:
    targets = [
        ("lines_total", fields.lines_total),
        ("total_without_vat", fields.total_without_vat),
        ("total_with_vat", fields.total_with_vat),
    ]
    first = None
    for name, target in targets:
        if target is None:
            continue
        difference = _cents(lines_sum) - _cents(target)
        result = {"is_valid": difference == 0, "difference": str(difference), "compared_to": name}
        if difference == 0:
            return result
        first = first or result
        if name == "lines_total":
            return result  # the document states its line sum: no other comparison is fair
    return first or {"is_valid": None, "difference": None, "compared_to": None}


def _check_rate(rate: VatRate) -> dict:
    """base x rate against the printed VAT amount of one rate."""
    check = {
        "rate": str(rate.rate) if rate.rate is not None else None,
        "base": str(rate.base) if rate.base is not None else None,
        "amount": str(rate.amount) if rate.amount is not None else None,
        "is_valid": None,
        "difference": None,
    }
    if rate.rate is not None and rate.base is not None and rate.amount is not None:
        difference = _cents(rate.amount) - _cents(rate.base * rate.rate / 100)
        check["is_valid"] = abs(difference) <= RATE_ROUNDING
        check["difference"] = str(difference)
    return check


def _derivable(without: Decimal | None, vat: Decimal | None, with_: Decimal | None) -> dict | None:
    named = (("total_without_vat", without), ("total_vat", vat), ("total_with_vat", with_))
    missing = [name for name, value in named if value is None]
    if len(missing) != 1:
        return None
    if without is None:
        value = with_ - vat
    elif vat is None:
        value = with_ - without
    else:
        value = without + vat
    return {"field": missing[0], "value": str(_cents(value))}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
