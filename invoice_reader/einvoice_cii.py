"""Invoice fields from a UN/CEFACT CII document (Factur-X, ZUGFeRD 2, XRechnung CII).

Amounts are returned as the XML states them; the credit-note sign rule is applied by einvoice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation

from .result import InvoiceFields, LineItem, VatRate

CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"

_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_DOCUMENT = "rsm:ExchangedDocument"
_TRANSACTION = "rsm:SupplyChainTradeTransaction"
_AGREEMENT = f"{_TRANSACTION}/ram:ApplicableHeaderTradeAgreement"
_SETTLEMENT = f"{_TRANSACTION}/ram:ApplicableHeaderTradeSettlement"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_SELLER = f"{_AGREEMENT}/ram:SellerTradeParty"
_BUYER = f"{_AGREEMENT}/ram:BuyerTradeParty"
_VAT_ID = "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
_PAYMENT_MEANS = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
_LINE_SUMMATION = "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"


def read_cii(root: ET.Element) -> InvoiceFields:
    """The invoice fields of a parsed CII document whose root is CII_ROOT (source='xml')."""
    currency = _text(root, f"{_SETTLEMENT}/ram:InvoiceCurrencyCode")
    terms = root.findall(f"{_SETTLEMENT}/ram:SpecifiedTradePaymentTerms", _NS)
    return InvoiceFields(
        provider=_name(root, f"{_SELLER}/ram:Name"),
        provider_vat_id=_text(root, f"{_SELLER}/{_VAT_ID}"),
        customer=_name(root, f"{_BUYER}/ram:Name"),
        customer_vat_id=_text(root, f"{_BUYER}/{_VAT_ID}"),
        invoice_number=_text(root, f"{_DOCUMENT}/ram:ID"),
        date=_date(root, f"{_DOCUMENT}/ram:IssueDateTime/udt:DateTimeString"),
        due_date=_first(_date(term, "ram:DueDateDateTime/udt:DateTimeString") for term in terms),
        currency=currency,
        total_without_vat=_amount(root, f"{_SUMMATION}/ram:TaxBasisTotalAmount"),
        total_vat=_tax_total(root, currency),
        total_with_vat=_amount(root, f"{_SUMMATION}/ram:GrandTotalAmount"),
        amount_due=_amount(root, f"{_SUMMATION}/ram:DuePayableAmount"),
        lines_total=_amount(root, f"{_SUMMATION}/ram:LineTotalAmount"),
        lines=[_line_item(item) for item in root.iterfind(f"{_TRANSACTION}/ram:IncludedSupplyChainTradeLineItem", _NS)],
        vat_breakdown=[
            VatRate(
                rate=_amount(tax, "ram:RateApplicablePercent"),
                base=_amount(tax, "ram:BasisAmount"),
                amount=_amount(tax, "ram:CalculatedAmount"),
            )
            for tax in root.iterfind(f"{_SETTLEMENT}/ram:ApplicableTradeTax", _NS)
        ],
        purchase_order=_text(root, f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        # The payer's account of a direct debit (PayerPartyDebtorFinancialAccount) is not the payee's IBAN.
        iban=_first(
            _text(means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
            for means in root.iterfind(_PAYMENT_MEANS, _NS)
        ),
        bic=_first(
            _text(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID")
            for means in root.iterfind(_PAYMENT_MEANS, _NS)
        ),
        payment_terms="; ".join(filter(None, (_name(term, "ram:Description") for term in terms))) or None,
        source="xml",
        type_code=_text(root, f"{_DOCUMENT}/ram:TypeCode"),
    )


def _line_item(item: ET.Element) -> LineItem:
    quantity = item.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", _NS)
    return LineItem(
        designation=_name(item, "ram:SpecifiedTradeProduct/ram:Name") or "",
        quantity=_decimal(quantity.text) if quantity is not None else None,
        unit=quantity.get("unitCode") if quantity is not None else None,
        unit_price=_amount(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"),
        total_ht=_amount(item, f"{_LINE_SUMMATION}/ram:LineTotalAmount"),
        vat_rate=_amount(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"),
    )


def _tax_total(root: ET.Element, currency: str | None) -> Decimal | None:
    """TaxTotalAmount in the invoice currency; a second one may be given in the tax currency."""
    for total in root.findall(f"{_SUMMATION}/ram:TaxTotalAmount", _NS):
        if currency is None or total.get("currencyID") in (None, currency):
            return _decimal(total.text)
    return None


def _first(values):
    return next((value for value in values if value is not None), None)


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _name(element: ET.Element, path: str) -> str | None:
    """A name with its line breaks and runs of spaces collapsed."""
    text = _text(element, path)
    return re.sub(r"\s+", " ", text) if text else None


def _amount(element: ET.Element, path: str) -> Decimal | None:
    return _decimal(_text(element, path))


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(element: ET.Element, path: str) -> date | None:
    """A date in format 102 (YYYYMMDD), the only one EN 16931 allows."""
    text = _text(element, path)
    if not text or not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
