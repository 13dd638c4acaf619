"""E-invoice PDFs made on the fly: the printed invoice of pdf_factory with an XML attachment written from
the same InvoiceSpec (Factur-X CII or ZUGFeRD 1.0), so that the page and the XML say the same unless a
test asks otherwise. All values are made up."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pypdfium2 as pdfium

from tests.pdf_factory import CENT, InvoiceSpec, make_text_invoice

ZUGFERD1_PROFILES = ("BASIC", "COMFORT", "EXTENDED")


def attach_xml(pdf: Path, name: str, xml: bytes) -> None:
    """Embeds xml into the PDF at pdf as the attachment name, the way Factur-X and ZUGFeRD PDFs carry it."""
    document = pdfium.PdfDocument(pdf)
    try:
        document.new_attachment(name).set_data(xml)
        out = io.BytesIO()
        document.save(out)
    finally:
        document.close()
    pdf.write_bytes(out.getvalue())


def make_einvoice_pdf(path: Path, xml_for, name: str, **fields) -> InvoiceSpec:
    """A printed invoice (pdf_factory.make_text_invoice) carrying xml_for(spec) as the attachment name."""
    spec = make_text_invoice(path, **fields)
    attach_xml(path, name, xml_for(spec))
    return spec


def vat_breakdown(spec: InvoiceSpec) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, base, VAT) per rate, in the order the rates first appear on the lines."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in spec.lines:
        bases[line.vat_rate] += line.total
    return [(rate, base, (base * rate / 100).quantize(CENT, ROUND_HALF_UP)) for rate, base in bases.items()]


def _amount(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def factur_x_xml(spec: InvoiceSpec, *, type_code: str = "380", grand_total: Decimal | None = None) -> bytes:
    """A Factur-X EN 16931 (CII D16B) invoice of spec; grand_total replaces the total with VAT (and the
    amount due), to make an XML that disagrees with its printed page."""
    grand = spec.total_with_vat if grand_total is None else grand_total
    lines = "".join(
        f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{i}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>{escape(line.designation)}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{_amount(line.unit_price)}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">{line.quantity:f}</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>{_amount(line.vat_rate)}</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>{_amount(line.total)}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""
        for i, line in enumerate(spec.lines, 1)
    )
    taxes = "".join(
        f"""
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>{_amount(vat)}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>{_amount(base)}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>{_amount(rate)}</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>"""
        for rate, base, vat in vat_breakdown(spec)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{escape(spec.invoice_number)}</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{spec.date:%Y%m%d}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{lines}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>{escape(spec.seller)}</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{spec.seller_vat_id}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{escape(spec.customer)}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{spec.currency}</ram:InvoiceCurrencyCode>{taxes}
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">{spec.due_date:%Y%m%d}</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{_amount(spec.total_without_vat)}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{_amount(spec.total_without_vat)}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{spec.currency}">{_amount(spec.total_vat)}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{_amount(grand)}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{_amount(grand)}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def zugferd1_xml(
    spec: InvoiceSpec,
    *,
    profile: str = "COMFORT",
    type_code: str = "380",
    customer_vat_id: str | None = None,
    purchase_order: str | None = None,
    iban: str | None = None,
    bic: str | None = None,
    payment_terms: str | None = None,
    tax_currency_total: tuple[str, Decimal] | None = None,
) -> bytes:
    """A ZUGFeRD 1.0 invoice of spec, as that profile writes it: BASIC leaves out line prices and line VAT
    rates; EXTENDED adds line and document details the reader does not need (and, with
    tax_currency_total, the VAT total in the tax currency too, written first). The seller is given a tax
    office number (schemeID FC) before its VAT id, as German invoices have both."""
    if profile not in ZUGFERD1_PROFILES:
        raise ValueError(profile)
    basic, extended = profile == "BASIC", profile == "EXTENDED"
    lines = "".join(
        _zugferd1_line(i, line, spec.currency, basic=basic, extended=extended) for i, line in enumerate(spec.lines, 1)
    )
    taxes = "".join(
        f"""
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="{spec.currency}">{_amount(vat)}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="{spec.currency}">{_amount(base)}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>{_amount(rate)}</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>"""
        for rate, base, vat in vat_breakdown(spec)
    )
    buyer_vat = f"""
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">{customer_vat_id}</ram:ID>
        </ram:SpecifiedTaxRegistration>""" if customer_vat_id else ""
    order = (
        f"""
      <ram:BuyerOrderReferencedDocument>
        <ram:IssueDateTime>{spec.date:%Y-%m-%d}</ram:IssueDateTime>
        <ram:ID>{escape(purchase_order)}</ram:ID>
      </ram:BuyerOrderReferencedDocument>"""
        if purchase_order
        else ""
    )
    account = f"""
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>{iban}</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>""" if iban else ""
    bank = f"""
        <ram:PayeeSpecifiedCreditorFinancialInstitution>
          <ram:BICID>{bic}</ram:BICID>
        </ram:PayeeSpecifiedCreditorFinancialInstitution>""" if bic else ""
    description = f"\n        <ram:Description>{escape(payment_terms)}</ram:Description>" if payment_terms else ""
    terms = f"""
      <ram:SpecifiedTradePaymentTerms>{description}
        <ram:DueDateDateTime><udt:DateTimeString format="102">{spec.due_date:%Y%m%d}</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>"""
    second_tax_total = ""
    if tax_currency_total:
        tax_currency, tax_amount = tax_currency_total
        second_tax_total = f"""
        <ram:TaxTotalAmount currencyID="{tax_currency}">{_amount(tax_amount)}</ram:TaxTotalAmount>"""
    # BASIC has no DuePayableAmount nor TotalPrepaidAmount; COMFORT and EXTENDED have both.
    due = "" if basic else f"""
        <ram:TotalPrepaidAmount currencyID="{spec.currency}">0.00</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount currencyID="{spec.currency}">{_amount(spec.total_with_vat)}</ram:DuePayableAmount>"""
    address = "".join(f"<ram:LineOne>{escape(text)}</ram:LineOne>" for text in spec.seller_address[:1])
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:TestIndicator><udt:Indicator>false</udt:Indicator></ram:TestIndicator>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:{profile.lower()}</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>{escape(spec.invoice_number)}</ram:ID>
    <ram:Name>{"GUTSCHRIFT" if type_code == "381" else "RECHNUNG"}</ram:Name>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{spec.date:%Y%m%d}</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Made-up test document.</ram:Content></ram:IncludedNote>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:BuyerReference>TEST-REF</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>{escape(spec.seller)}</ram:Name>
        <ram:PostalTradeAddress>{address}<ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">000/000/00000</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{spec.seller_vat_id}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{escape(spec.customer)}</ram:Name>{buyer_vat}
      </ram:BuyerTradeParty>{order}
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent>
        <ram:OccurrenceDateTime><udt:DateTimeString format="102">{spec.date:%Y%m%d}</udt:DateTimeString></ram:OccurrenceDateTime>
      </ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableSupplyChainTradeDelivery>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:PaymentReference>{escape(spec.invoice_number)}</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>{spec.currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:Information>Bank transfer</ram:Information>{account}{bank}
      </ram:SpecifiedTradeSettlementPaymentMeans>{taxes}{terms}
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="{spec.currency}">{_amount(spec.total_without_vat)}</ram:LineTotalAmount>
        <ram:ChargeTotalAmount currencyID="{spec.currency}">0.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount currencyID="{spec.currency}">0.00</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="{spec.currency}">{_amount(spec.total_without_vat)}</ram:TaxBasisTotalAmount>{second_tax_total}
        <ram:TaxTotalAmount currencyID="{spec.currency}">{_amount(spec.total_vat)}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="{spec.currency}">{_amount(spec.total_with_vat)}</ram:GrandTotalAmount>{due}
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>{lines}
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
""".encode()


def _zugferd1_line(i: int, line, currency: str, *, basic: bool, extended: bool) -> str:
    agreement = "" if basic else f"""
      <ram:SpecifiedSupplyChainTradeAgreement>
        <ram:GrossPriceProductTradePrice><ram:ChargeAmount currencyID="{currency}">{_amount(line.unit_price)}</ram:ChargeAmount></ram:GrossPriceProductTradePrice>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="{currency}">{_amount(line.unit_price)}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>"""
    tax = "" if basic else f"""
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode>
          <ram:CategoryCode>S</ram:CategoryCode>
          <ram:ApplicablePercent>{_amount(line.vat_rate)}</ram:ApplicablePercent>
        </ram:ApplicableTradeTax>"""
    details = f"""
        <ram:SellerAssignedID>ART-{i:04d}</ram:SellerAssignedID>""" if extended else ""
    characteristic = """
        <ram:ApplicableProductCharacteristic>
          <ram:Description>Colour</ram:Description><ram:Value>grey</ram:Value>
        </ram:ApplicableProductCharacteristic>""" if extended else ""
    return f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{i}</ram:LineID></ram:AssociatedDocumentLineDocument>{agreement}
      <ram:SpecifiedSupplyChainTradeDelivery>
        <ram:BilledQuantity unitCode="C62">{line.quantity:f}</ram:BilledQuantity>
      </ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>{tax}
        <ram:SpecifiedTradeSettlementMonetarySummation>
          <ram:LineTotalAmount currencyID="{currency}">{_amount(line.total)}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct>{details}
        <ram:Name>{escape(line.designation)}</ram:Name>{characteristic}
      </ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>"""
