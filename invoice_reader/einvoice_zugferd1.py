"""Invoice fields from a ZUGFeRD 1.0 document (rsm:CrossIndustryDocument; profiles BASIC, COMFORT and
EXTENDED), the German e-invoice of 2014-2019 that ZUGFeRD 2 / Factur-X replaced.

ZUGFeRD 1.0 is an older UN/CEFACT CII: the same ram: elements as einvoice_cii reads, but other
namespaces and other names for the document, the transaction and its parts (HeaderExchangedDocument,
ApplicableSupplyChainTradeAgreement/Delivery/Settlement, SpecifiedTradeSettlementMonetarySummation,
ApplicablePercent, ...). Elements a profile leaves out (BASIC has no line prices or line VAT rates)
are None. Amounts are returned as the XML states them; the credit-note sign rule is applied by einvoice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation

from .result import InvoiceFields, LineItem, VatRate

ZUGFERD1_ROOT = "{urn:ferd:CrossIndustryDocument:invoice:1p0}CrossIndustryDocument"

_NS = {
    "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
}
_DOCUMENT = "rsm:HeaderExchangedDocument"
_TRANSACTION = "rsm:SpecifiedSupplyChainTradeTransaction"
_AGREEMENT = f"{_TRANSACTION}/ram:ApplicableSupplyChainTradeAgreement"
_SETTLEMENT = f"{_TRANSACTION}/ram:ApplicableSupplyChainTradeSettlement"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementMonetarySummation"
_SELLER = f"{_AGREEMENT}/ram:SellerTradeParty"
_BUYER = f"{_AGREEMENT}/ram:BuyerTradeParty"
_VAT_ID = "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
_PAYMENT_MEANS = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
_LINE_SETTLEMENT = "ram:SpecifiedSupplyChainTradeSettlement"


def read_zugferd1(root: ET.Element) -> InvoiceFields:
    """The invoice fields of a parsed ZUGFeRD 1.0 document whose root is ZUGFERD1_ROOT (source='xml')."""
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
                rate=_amount(tax, "ram:ApplicablePercent"),
                base=_amount(tax, "ram:BasisAmount"),
                amount=_amount(tax, "ram:CalculatedAmount"),
            )
            for tax in root.iterfind(f"{_SETTLEMENT}/ram:ApplicableTradeTax", _NS)
        ],
        # ZUGFeRD 1.0 names the order by ram:ID (CII D16B: ram:IssuerAssignedID).
        purchase_order=_text(root, f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:ID"),
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
    quantity = item.find("ram:SpecifiedSupplyChainTradeDelivery/ram:BilledQuantity", _NS)
    return LineItem(
        designation=_name(item, "ram:SpecifiedTradeProduct/ram:Name") or "",
        quantity=_decimal(quantity.text) if quantity is not None else None,
        unit=quantity.get("unitCode") if quantity is not None else None,
        unit_price=_amount(
            item, "ram:SpecifiedSupplyChainTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"
        ),
        total_ht=_amount(item, f"{_LINE_SETTLEMENT}/ram:SpecifiedTradeSettlementMonetarySummation/ram:LineTotalAmount"),
        vat_rate=_amount(item, f"{_LINE_SETTLEMENT}/ram:ApplicableTradeTax/ram:ApplicablePercent"),
    )


def _tax_total(root: ET.Element, currency: str | None) -> Decimal | None:
    """TaxTotalAmount in the invoice currency; EXTENDED may give a second one in another currency."""
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
    """A date in format 102 (YYYYMMDD), the one ZUGFeRD 1.0 uses for document dates."""
    text = _text(element, path)
    if not text or not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
