"""Unit tests of the VAT check stored as InvoiceFields.validation."""

from decimal import Decimal

from invoice_reader.result import InvoiceFields, LineItem
from invoice_reader.vat import check_vat


def fields(without=None, vat=None, with_=None, lines=(), lines_total=None) -> InvoiceFields:
    def d(value):
        return Decimal(value) if value is not None else None

    return InvoiceFields(
        total_without_vat=d(without),
        total_vat=d(vat),
        total_with_vat=d(with_),
        lines=[LineItem("item", total_ht=d(total)) for total in lines],
        lines_total=d(lines_total),
    )


def test_totals_that_add_up_to_the_cent_are_valid():
    check = check_vat(fields("100.00", "20.00", "120.00"))
    assert check["vat"] == {"is_valid": True, "difference": "0.00"}
    assert check["overall_valid"] is True


def test_totals_off_by_a_cent_are_invalid_with_the_signed_difference():
    check = check_vat(fields("100.00", "20.00", "120.01"))
    assert check["vat"] == {"is_valid": False, "difference": "-0.01"}
    assert check["overall_valid"] is False


def test_four_decimal_amounts_are_compared_in_cents():
    assert check_vat(fields("100.0000", "19.9950", "120.00"))["vat"]["is_valid"] is True


def test_missing_total_gives_none_and_is_not_invented():
    invoice = fields("100.00", None, "120.00")
    check = check_vat(invoice)
    assert check["vat"]["is_valid"] is None
    assert check["vat"]["difference"] is None
    assert check["vat"]["derivable"] == {"field": "total_vat", "value": "20.00"}
    assert check["overall_valid"] is False
    assert invoice.total_vat is None


def test_two_missing_totals_derive_nothing():
    check = check_vat(fields(None, None, "120.00"))
    assert check["vat"] == {"is_valid": None, "difference": None}


def test_lines_that_sum_to_the_total_without_vat_pass():
    check = check_vat(fields("150.00", "30.00", "180.00", lines=["100.00", "50.00"]))
    assert check["lines"] == {"is_valid": True, "difference": "0.00", "compared_to": "total_without_vat"}
    assert check["overall_valid"] is True


def test_lines_priced_with_vat_are_compared_to_the_total_with_vat():
    check = check_vat(fields("150.00", "30.00", "180.00", lines=["120.00", "60.00"]))
    assert check["lines"]["is_valid"] is True
    assert check["lines"]["compared_to"] == "total_with_vat"


def test_lines_that_do_not_sum_make_the_invoice_invalid():
    check = check_vat(fields("150.00", "30.00", "180.00", lines=["100.00", "40.00"]))
    assert check["lines"] == {"is_valid": False, "difference": "-10.00", "compared_to": "total_without_vat"}
    assert check["overall_valid"] is False


def test_stated_line_total_is_the_reference_when_charges_apply_at_document_level():
    check = check_vat(fields("155.00", "31.00", "186.00", lines=["100.00", "50.00"], lines_total="150.00"))
    assert check["lines"]["compared_to"] == "lines_total"
    assert check["overall_valid"] is True


def test_lines_without_totals_are_not_checked():
    invoice = fields("100.00", "20.00", "120.00")
    invoice.lines = [LineItem("item", total_ht=Decimal("100.00")), LineItem("note")]
    assert "lines" not in check_vat(invoice)
