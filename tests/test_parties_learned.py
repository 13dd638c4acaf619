"""Seller and buyer from the page's address blocks, scored by the learned party models
(invoice_reader/party_roles.py): bill-to beside ship-to, a seller named only in the legal footer,
a DIN 5008 window letter, and reference or VAT-id lines that are never the customer."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from invoice_reader import process_document
from invoice_reader.address_blocks import line_segments, page_blocks
from invoice_reader.extract import extract_invoice
from invoice_reader.party_roles import find_parties
from invoice_reader.party_words import name_key
from tests.placed_pages import HEIGHT, TOTALS, WIDTH, page, rows

MM = 72 / 25.4


def test_customer_is_under_bill_to_not_under_the_ship_to_beside_it():
    pages = [
        page(
            (50, 50, "Larkspur Tooling Ltd", 16),
            *rows(50, 72, "8 Mill Lane", "Leeds LS1 4AB", "VAT No. GB123456789"),
            (400, 50, "INVOICE", 18),
            *rows(400, 78, "Invoice No.: 5521", "Date: 12/03/2024"),
            *rows(50, 180, "Bill to", "Pemberton Foods plc", "21 Castle Road", "York YO1 7HH"),
            *rows(300, 180, "Ship to", "Pemberton Warehouse", "Unit 4 Dock Street", "Hull HU1 2AA"),
            *TOTALS,
        )
    ]
    parties = find_parties(pages)
    assert parties.provider.name == "Larkspur Tooling Ltd"
    assert parties.customer.name == "Pemberton Foods plc"


def test_your_po_line_is_not_the_customer():
    pages = [
        page(
            (50, 50, "Brightwater Labs GmbH", 16),
            *rows(50, 72, "Hafenstraße 3", "20457 Hamburg"),
            (400, 50, "RECHNUNG", 18),
            *rows(400, 78, "Rechnungsnummer: 2024-118", "Datum: 12.03.2024"),
            *rows(50, 170, "Your PO: 123", "Rechnungsempfänger", "Kessler Maschinenbau AG", "Industrieweg 9",
                  "70173 Stuttgart"),
            *TOTALS,
        )
    ]
    parties = find_parties(pages)
    assert parties.customer.name == "Kessler Maschinenbau AG"
    assert "PO" not in parties.provider.name


def test_vat_id_line_is_not_the_customer():
    pages = [
        page(
            (50, 50, "Atelier Morel SARL", 16),
            *rows(50, 72, "14 rue Gambetta", "69002 Lyon"),
            (400, 50, "FACTURE", 18),
            *rows(400, 78, "Facture n° F-2024-77", "Date : 12/03/2024"),
            *rows(330, 170, "Facturé à", "N° TVA intracom. FR40303265045", "Boulangerie Vasseur", "3 place du Marché",
                  "59000 Lille"),
            *TOTALS,
        )
    ]
    parties = find_parties(pages)
    assert parties.customer.name == "Boulangerie Vasseur"
    assert parties.provider.name == "Atelier Morel SARL"


def test_din_5008_window_letter_reads_the_addressee_under_the_return_address():
    window_top = 45 * MM
    pages = [
        page(
            (330, 40, "Nordlicht Software GmbH", 14),
            *rows(330, 60, "Kaiserstraße 12", "60311 Frankfurt", "Tel. +49 69 123456"),
            (25 * MM, window_top, "Nordlicht Software GmbH · Kaiserstraße 12 · 60311 Frankfurt", 6),
            *rows(25 * MM, window_top + 20, "Firma", "Weber Logistik KG", "Bahnhofstraße 4", "04109 Leipzig"),
            *rows(330, 270, "Rechnung Nr. 7781", "Datum: 12.03.2024"),
            *TOTALS,
            *rows(50, 780, "Nordlicht Software GmbH · Amtsgericht Frankfurt HRB 98765 · USt-IdNr. DE123456789", size=7),
        )
    ]
    parties = find_parties(pages)
    assert parties.provider.name == "Nordlicht Software GmbH"
    assert parties.customer.name == "Weber Logistik KG"


def test_seller_named_only_in_the_legal_footer_under_a_logo(tmp_path: Path):
    path = tmp_path / "logo-invoice.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    logo = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(logo).ellipse((10, 10, 230, 70), fill=(20, 90, 160))
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    c.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 50, HEIGHT - 110, width=120, height=40)
    c.setFont("Helvetica-Bold", 18)
    c.drawRightString(WIDTH - 50, HEIGHT - 70, "INVOICE")
    c.setFont("Helvetica", 9)
    for i, text in enumerate(("Invoice No.: 40017", "Invoice date: 12/03/2024")):
        c.drawRightString(WIDTH - 50, HEIGHT - 90 - 12 * i, text)
    for i, text in enumerate(("Invoice to", "Carraway Hotels Ltd", "5 Harbour Row", "Plymouth PL1 2AB")):
        c.drawString(50, HEIGHT - 170 - 12 * i, text)
    for x, top, text, _ in TOTALS:
        c.drawString(x, HEIGHT - top - 9, text)
    c.setFont("Helvetica", 7)
    c.drawCentredString(WIDTH / 2, 50, "Quillfeather Studio · 12 Wharf Street · Bristol BS1 4RN · Registered in "
                        "England No. 09876543")
    c.drawCentredString(WIDTH / 2, 40, "VAT Reg. No. GB987654321 · IBAN GB33 BUKB 2020 1555 5555 55")
    c.showPage()
    c.save()

    result = process_document(path)
    assert result.invoice.provider == "Quillfeather Studio"
    assert result.invoice.customer == "Carraway Hotels Ltd"
    box = result.invoice.provenance["provider"].box
    assert box[1] > HEIGHT - 60  # the footer's line, not a line at the top


def test_extraction_keeps_the_box_of_the_chosen_names():
    pages = [
        page(
            (50, 50, "Larkspur Tooling Ltd", 16),
            *rows(50, 72, "8 Mill Lane", "Leeds LS1 4AB"),
            (400, 50, "INVOICE", 18),
            *rows(400, 78, "Invoice No.: 5521", "Date: 12/03/2024"),
            *rows(50, 180, "Bill to", "Pemberton Foods plc", "21 Castle Road", "York YO1 7HH"),
            *TOTALS,
        )
    ]
    fields = extract_invoice(pages)
    assert (fields.provider, fields.customer) == ("Larkspur Tooling Ltd", "Pemberton Foods plc")
    assert fields.provenance["provider"].box[1] == 50
    assert fields.provenance["customer"].box[1] == 180 + 12


def test_blocks_split_side_by_side_addresses_and_at_blank_lines():
    one = page(*rows(50, 100, "Bill to", "Pemberton Foods plc"), *rows(300, 100, "Ship to", "Pemberton Warehouse"),
               (50, 200, "Thank you"))
    blocks = [[s.text for s in b.segments] for b in page_blocks(line_segments(one, 0))]
    assert blocks == [["Bill to", "Pemberton Foods plc"], ["Ship to", "Pemberton Warehouse"], ["Thank you"]]


def test_name_key_ignores_case_accents_and_a_trailing_legal_form():
    assert name_key("Société Générale SARL") == name_key("SOCIETE GENERALE")
    assert name_key("Acme GmbH & Co. KG") != name_key("Acme Ltd & Partners")


def test_a_street_line_is_not_a_name_and_says_so_in_its_features():
    from invoice_reader.party_candidates import party_candidates
    from invoice_reader.party_words import names_a_street

    for street in ("102 Pine Street", "Keizersgracht 93", "Schillerstraße 12", "Gran Vía, 193", "Via Garibaldi, 25"):
        assert names_a_street(street), street
    for name in ("Copperbeech Joinery Inc.", "Stadtwerke Lindenau GmbH", "Daan Hendriks", "Wegener Logistik GmbH"):
        assert not names_a_street(name), name
    pages = [page((50, 50, "Larkspur Tooling Ltd", 16), *rows(50, 180, "Bill to", "Daan Hendriks", "Keizersgracht 93",
                                                                "1015 CJ Amsterdam"), *TOTALS)]
    features = {c.name: c.features for c in party_candidates(pages)}
    assert features["Keizersgracht 93"].get("street_number") == 1.0
    assert "street" not in features["Daan Hendriks"]


def test_a_remit_to_heading_in_any_wording_heads_a_remit_to_block():
    from invoice_reader.party_words import heading

    for text in ("Remit to", "PLEASE REMIT PAYMENT TO", "Paiement à adresser à", "Zahlungen an:", "Enviar el pago a"):
        assert heading(text) is not None and heading(text)[0] == "remit_to", text


def test_private_customer_in_the_window_with_no_heading_beside_a_contact_person_and_a_factor():
    """A private person addressed with a title in the envelope window, no bill-to heading; the
    seller's contact person among the references; payment to a factoring company. The buyer is
    the addressee and the seller the letterhead: neither person nor factor."""
    window_top = 45 * MM
    pages = [
        page(
            (50, 40, "Ashgrove Print Works Ltd", 16),
            *rows(50, 62, "14 Tanner Street", "Norwich NR2 4SP", "VAT No. GB214365870"),
            *rows(25 * MM, window_top + 14, "Ms Hannah Whitfield", "27 Orchard Close", "Ipswich IP4 2BT"),
            *rows(360, window_top + 14, "Invoice No.: 88213", "Date: 04/11/2024", "Your contact: Peter Okafor"),
            *TOTALS,
            *rows(50, 470, "Please remit payment to: Meridian Trade Finance Ltd, 3 Bank Place, Leeds LS1 5AB",
                  "Thank you for your business."),
        )
    ]
    parties = find_parties(pages)
    assert parties.provider.name == "Ashgrove Print Works Ltd"
    assert parties.customer is not None and parties.customer.name.endswith("Hannah Whitfield")


def test_labels_and_sentences_read_as_such_in_a_names_features():
    from invoice_reader.party_candidates import _name_shape

    for label in ("Suivi par", "Période de", "La nota di credito", "Vos références", "FACTURA SIMPLIFICADA"):
        shape = _name_shape(label)
        assert shape.get("ends_lower") or shape.get("label_words", 0) >= 0.5, (label, shape)
    for name in ("Hannah Whitfield", "Marino Arredamenti S.p.A.", "Kessler Maschinenbau AG", "Smit Techniek B.V."):
        shape = _name_shape(name)
        assert not shape.get("ends_lower") and not shape.get("label_words") and not shape.get("lower_words"), (name, shape)
    assert _name_shape("3011 AD Rotterdam").get("postcode_town") == 1.0
    assert "postcode_town" not in _name_shape("Hannah Whitfield")


def _read_by_ocr(page_text, confidence_of):
    """The page as OCR would hand it over: each word with a confidence (confidence_of(word text))."""
    from dataclasses import replace

    from invoice_reader.text_lines import PageText, build_lines

    words = [replace(w, confidence=confidence_of(w.text)) for line in page_text.lines for w in line.words]
    return PageText(index=0, lines=build_lines(words), width=page_text.width, height=page_text.height)


def test_a_name_ocr_doubted_and_a_name_printed_again_below_the_totals_say_so_in_their_features():
    from invoice_reader.party_candidates import party_candidates

    printed = page(
        (50, 40, "PNA", 22),
        *rows(50, 80, "Larkspur Tooling Ltd", "8 Mill Lane", "Leeds LS1 4AB", "VAT No. GB123456789"),
        (400, 50, "INVOICE", 18),
        *rows(400, 78, "Invoice No.: 5521", "Date: 12/03/2024"),
        *rows(50, 180, "Bill to", "Pemberton Foods plc", "21 Castle Road", "York YO1 7HH"),
        *TOTALS,
        (50, 470, "Larkspur Tooling Ltd · 8 Mill Lane · Leeds LS1 4AB", 7),
    )
    scanned = _read_by_ocr(printed, lambda text: 35.0 if text == "PNA" else 92.0)

    def features(pages, name):
        return [c.features for c in party_candidates(pages) if c.name == name]

    logo = features([scanned], "PNA")[0]
    assert logo["ocr_unsure"] == 1.0 and abs(logo["ocr_doubt"] - 0.65) < 1e-9
    seller_top, seller_closing = features([scanned], "Larkspur Tooling Ltd")
    assert abs(seller_top["ocr_doubt"] - 0.08) < 1e-9 and "ocr_unsure" not in seller_top
    assert seller_top.get("also_after_amounts") == 1.0 and "after_amounts" not in seller_top
    assert seller_closing.get("after_amounts") == 1.0
    buyer = features([scanned], "Pemberton Foods plc")[0]
    assert "after_amounts" not in buyer and "also_after_amounts" not in buyer
    # The text layer has no confidence to doubt.
    assert all("ocr_doubt" not in c.features for c in party_candidates([printed]))
    assert find_parties([scanned]).provider.name == "Larkspur Tooling Ltd"


def test_legal_forms_of_the_readers_countries_are_known_in_the_case_registers_print_them():
    from invoice_reader.party_words import has_legal_form

    for name in ("Huber Tischlerei OG", "Esposito Trasporti S.n.c.", "Ortega Envíos S.L.U.", "Dupont Frères SPRL",
                 "Jansen Bouw V.O.F.", "Ferreira Têxteis Lda", "Winzergenossenschaft Talblick eG", "Costa Hermanos S.A."):
        assert has_legal_form(name), name
        assert name_key(name) == name_key(name.rsplit(" ", 1)[0]), name  # compared without it across the page
    for text in ("Anna Berger", "Treppenhaus EG links", "og", "sa femme"):
        assert not has_legal_form(text), text


def test_the_rule_based_seller_takes_a_name_whose_legal_form_wrapped_onto_the_next_line():
    from invoice_reader.label_values import label_lines
    from invoice_reader.labels import FIELD_LABELS
    from invoice_reader.parties import find_customer, find_provider

    lines = page(
        *rows(50, 60, "Ashcombe Joinery", "Limited", "4 Quarry Road", "Bath BA1 1AA"),
        (400, 50, "INVOICE", 18),
        *rows(50, 160, "Invoice No.: 881", "Date: 02/05/2024"),
        *rows(330, 160, "Fenwick Hotels Ltd", "12 Crescent Way", "Exeter EX1 1AB"),
        *TOTALS,
    ).lines
    labelled = label_lines(lines, FIELD_LABELS)
    assert find_provider(lines, labelled, find_customer(lines, labelled)) == "Ashcombe Joinery Limited"


def test_a_shops_trade_name_becomes_the_registered_name_printed_at_its_foot():
    """A receipt headed by the shop's trade name and closed by its registered name (the trade
    name, the owner, a legal form): the seller is the registered name, and its box is that line."""
    pages = [
        page(
            *rows(60, 40, "Lindenhof Bakery", "Market Square 4", "Exeter EX1 1AB", "VAT No. GB214365870"),
            *rows(60, 130, "Simplified invoice", "Receipt no.: T08/4981", "Date: 16/09/2023"),
            *TOTALS,
            *rows(60, 470, "Thank you for your visit!", "Lindenhof Bakery Carter Ltd"),
        )
    ]
    parties = find_parties(pages)
    assert parties.provider.name == "Lindenhof Bakery Carter Ltd"
    assert pages[0].lines[parties.provider.line].layout_text()[parties.provider.start : parties.provider.end] == (
        "Lindenhof Bakery Carter Ltd"
    )
    # Whichever of the two the models score higher, the trade name gives way to the registered name.
    from invoice_reader.party_candidates import party_candidates
    from invoice_reader.party_roles import _registered

    candidates = party_candidates(pages)
    trade = next(c for c in candidates if c.name == "Lindenhof Bakery")
    assert _registered((0.9, trade), candidates, None)[1].name == "Lindenhof Bakery Carter Ltd"
    # ... but never to the other party's name.
    registered = next(c for c in candidates if c.name == "Lindenhof Bakery Carter Ltd")
    assert _registered((0.9, trade), candidates, (0.9, registered))[1] is trade


def test_the_registered_name_in_a_later_pages_legal_footer_completes_the_sellers_name():
    """A seller named on page 1 without its legal form, whose legal footer on page 2 prints it with one."""
    first = page(
        (50, 40, "Hollowmere Studio", 16),
        *rows(50, 62, "4 Quarry Lane", "Leeds LS1 4AB", "VAT Reg. No. GB214365870"),
        *rows(50, 160, "Bill to", "Fenwick Hotels Ltd", "12 Crescent Way", "Exeter EX1 1AB"),
        *rows(380, 60, "Invoice no. 2231", "Date: 16/09/2023"),
        *TOTALS,
    )
    second = replace(
        page(*rows(50, 700, "Hollowmere Studio Ltd · 4 Quarry Lane · Leeds LS1 4AB", "Registered in England 0912345")),
        index=1,
    )
    parties = find_parties([first, second])
    assert parties.provider.name == "Hollowmere Studio Ltd"
    assert parties.customer.name == "Fenwick Hotels Ltd"
    line = (first.lines + second.lines)[parties.provider.line]
    assert line.layout_text()[parties.provider.start : parties.provider.end] == "Hollowmere Studio Ltd"
    # Alone, the first page gives the name as it prints it.
    assert find_parties([first]).provider.name == "Hollowmere Studio"


def test_a_name_a_narrow_column_wraps_over_three_lines_keeps_its_legal_form():
    """Address columns too narrow for the names: "Seidel" / "Kältetechnik" / "AG" billed, and a seller whose
    legal form alone takes the next line of its column."""
    pages = [
        page(
            *rows(50, 40, "Brandt Bürotechnik", "OG", "Herrengasse 19", "8010 Graz"),
            (400, 50, "RECHNUNG", 18),
            *rows(400, 78, "Rechnungsnummer: 2024-118", "Datum: 12.03.2024"),
            *rows(50, 160, "RECHNUNG AN", "Seidel", "Kältetechnik", "AG", "Goethestraße 105", "01067 Dresden"),
            *rows(170, 160, "LIEFERUNG AN", "Kraus", "Medienhaus", "GmbH", "Hafenstraße 3", "20457 Hamburg"),
            *TOTALS,
        )
    ]
    parties = find_parties(pages)
    assert (parties.provider.name, parties.customer.name) == ("Brandt Bürotechnik OG", "Seidel Kältetechnik AG")


def test_a_persons_title_is_not_part_of_the_customers_name():
    pages = [
        page(
            (50, 40, "Rete Mobile S.p.A.", 16),
            *rows(50, 62, "Via Roma 12", "20121 Milano", "P.IVA IT01234567897"),
            *rows(50, 160, "Sig.ra Francesca Conti", "Via Garibaldi 3", "10121 Torino"),
            *rows(360, 160, "Fattura n.: 2024-118", "Data: 12/03/2024"),
            *TOTALS,
        )
    ]
    customer = find_parties(pages).customer
    assert customer.name == "Francesca Conti"
    assert pages[0].lines[customer.line].layout_text()[customer.start : customer.end] == "Francesca Conti"


def test_a_label_cut_by_a_line_break_is_no_name():
    from invoice_reader.party_words import name_text

    for cut in ("N° de", "Date de", "DATOS DE", "Period of", "Rechnung für", "(ON WHOSE"):
        assert name_text(cut) is None, cut
    for name in ("Bureau d'études Martin", "Café du Marché", "Koffiehuis De Molen", "Bank of Scotland"):
        assert name_text(name) == name


def test_the_rule_based_seller_reads_a_form_value_printed_over_two_lines():
    """A key-value form (as e-invoice viewers print it): the seller's name over two lines, its
    key "Name:" beside the second; the buyer's title above its name is not part of the name."""
    from invoice_reader.label_values import label_lines
    from invoice_reader.labels import FIELD_LABELS
    from invoice_reader.parties import find_customer, find_provider

    lines = page(
        (70, 50, "Rechnung Nr. 2018-0042 vom 11.03.2018", 11),
        (70, 160, "Verkäufer"),
        (70, 178, "Nummer:"), (260, 178, "549910"),
        (260, 196, "Ostwind Gegenseitige"),
        (70, 208, "Name:"), (260, 208, "Versicherungsgesellschaft Nordhafen a.G."),
        (70, 226, "Anschrift:"), (260, 226, "Kaistraße 4"),
        (70, 300, "Käufer"),
        (260, 316, "Frau"),
        (70, 328, "Name:"), (260, 328, "Erika Beispiel"),
        (70, 346, "Anschrift:"), (260, 346, "Lindenweg 2"),
        *TOTALS,
    ).lines
    labelled = label_lines(lines, FIELD_LABELS)
    customer = find_customer(lines, labelled)
    assert find_provider(lines, labelled, customer) == "Ostwind Gegenseitige Versicherungsgesellschaft Nordhafen a.G."
    assert customer == "Erika Beispiel"


def test_the_rule_based_seller_reads_a_letterhead_name_whose_first_words_wrapped_above():
    """A letterhead name wrapped after its title ("INVOICE  Pinecrest Print" / "Works Ltd"): the
    whole name, never a thank-you line or a heading above a name."""
    from invoice_reader.label_values import label_lines
    from invoice_reader.labels import FIELD_LABELS
    from invoice_reader.parties import find_customer, find_provider

    def seller(*cells):
        lines = page(*cells, *TOTALS).lines
        labelled = label_lines(lines, FIELD_LABELS)
        return find_provider(lines, labelled, find_customer(lines, labelled))

    assert seller(
        (50, 40, "INVOICE", 16), (400, 40, "Pinecrest Print", 16), (400, 60, "Works Ltd", 16),
        *rows(400, 80, "94 High Street", "Bristol BS1 4DB"),
        *rows(50, 160, "Customer", "Northwind Logistics Limited", "137 Church Street"),
    ) == "Pinecrest Print Works Ltd"
    assert seller(
        (50, 40, "RECEIPT", 16),
        *rows(50, 200, "Thank you for shopping with us!", "Greenleaf Grocers Carter Corp."),
    ) == "Greenleaf Grocers Carter Corp."


def _ruled(*cells):
    """The rule-based finders' (customer, step) and (seller, step) on a page of placed cells."""
    from invoice_reader.label_values import label_lines
    from invoice_reader.labels import FIELD_LABELS
    from invoice_reader.parties import customer_found, provider_found

    lines = page(*cells, *TOTALS).lines
    labelled = label_lines(lines, FIELD_LABELS)
    customer = customer_found(lines, labelled)
    return customer, provider_found(lines, labelled, customer[0])


def test_the_rule_based_finders_say_which_step_found_each_party():
    """The party models weigh the rule's choice by the step that made it: a seller under a
    seller heading is surer than the first name with a legal form on the page."""
    labelled = _ruled(
        *rows(50, 40, "Supplier", "Harbour Print Works", "94 High Street", "Bristol BS1 4DB"),
        *rows(330, 40, "Bill to", "Fenwick Hotels Ltd", "12 Crescent Way"),
    )
    assert labelled == (("Fenwick Hotels Ltd", "labelled"), ("Harbour Print Works", "labelled"))
    first_legal_form = _ruled(
        (50, 40, "Harbour Print Works Ltd", 16), *rows(50, 60, "94 High Street", "Bristol BS1 4DB"),
        *rows(50, 140, "Fenwick Hotels", "12 Crescent Way", "Exeter EX1 1AB"),
    )
    assert first_legal_form == ((None, None), ("Harbour Print Works Ltd", "legal_form"))

    from invoice_reader.party_candidates import party_candidates

    pages = [page((50, 40, "Harbour Print Works Ltd", 16), *rows(50, 60, "94 High Street", "Bristol BS1 4DB"),
                  *rows(50, 140, "Fenwick Hotels", "12 Crescent Way", "Exeter EX1 1AB"), *TOTALS)]
    seller = [c for c in party_candidates(pages) if c.name == "Harbour Print Works Ltd"]
    assert seller and all(c.features.get("ruled_provider:legal_form") == 1.0 for c in seller)
    assert not any(c.features.get("ruled_provider:labelled") for c in party_candidates(pages))


def test_the_rule_based_customer_stops_at_the_next_fields_label_under_a_wrapped_heading():
    """A narrow column wraps "N° de compte client" over three lines and "Date d'émission" over two:
    the customer label's block ends at "Date", which is never the customer; the window address
    under the sender's line is."""
    (customer, step), _ = _ruled(
        (50, 40, "Gaz du Rhône SARL", 16),
        (50, 120, "Gaz du Rhône SARL · 206 avenue de la République · 67000 Strasbourg", 7),
        *rows(50, 134, "Comptoir Blanchard EURL", "142 rue Victor Hugo", "67000 Strasbourg"),
        *rows(330, 100, "N° de", "compte", "client", "Date", "d'émission"),
        *rows(420, 100, "876-778562", "", "", "27/02/2023"),
    )
    assert (customer, step) == ("Comptoir Blanchard EURL", "window")


def test_the_window_addressee_is_not_the_town_of_a_wrapped_return_address():
    """The sender's one-line return address wraps its town onto the next line ("… · 01067" /
    "Dresden"): the addressee is the name under it, not the town."""
    (customer, step), _ = _ruled(
        (50, 40, "Keller Holzbau", 16),
        (50, 120, "Keller Holzbau · Mozartweg 158 · 01067", 7), (50, 130, "Dresden", 7),
        *rows(50, 146, "Lorenz Medienhaus", "Am Hafen 164", "90402 Nürnberg"),
    )
    assert (customer, step) == ("Lorenz Medienhaus", "window")


def test_a_heading_phrase_takes_no_value_from_the_block_beside_it_and_a_ship_to_name_is_not_the_seller():
    """"INVOICE TO" on the line of the ship-to block's first name ("SHIP TO" above it): the
    customer is the name under "INVOICE TO", and the ship-to company, with its legal form, is not
    the seller (a seller without a legal form heads the page)."""
    customer, seller = _ruled(
        (50, 40, "Copperbeech Office", 16), *rows(50, 60, "141 Commerce Street", "Boston, MA 02108"),
        (330, 120, "SHIP TO"),
        (50, 132, "INVOICE TO"), (330, 132, "Meadowgate Media Corp."),
        *rows(50, 144, "Marlowe Facilities Corp.", "93 Broadway", "Seattle, WA 98101"),
        *rows(330, 144, "7 Lake Shore Drive", "Phoenix, AZ 85004"),
    )
    assert customer == ("Marlowe Facilities Corp.", "labelled")
    assert seller[0] != "Meadowgate Media Corp."


def test_a_key_that_announces_a_name_is_not_a_name_and_is_cut_off_one_run_into_its_name():
    from invoice_reader.party_words import names_in

    # An e-invoice viewer's labels, with no colon, the value often in the same cell.
    assert names_in("TRADE NAME Fenwick Optics Ltd") == [("Fenwick Optics Ltd", 11, "after_key", "name")]
    assert names_in("Denominazione Colombo Meccanica S.r.l.") == [
        ("Colombo Meccanica S.r.l.", 14, "after_key", "name")
    ]
    assert names_in("Name des Verkäufers Kraus AG") == [("Kraus AG", 20, "after_key", "name")]
    for key in ("Handelsname", "SELLER TRADE NAME", "Nombre del vendedor", "Raison sociale du vendeur"):
        assert names_in(key) == [], key
    # Words that begin company names as well as keys keep the whole name.
    for name in ("Société Générale SA", "Entreprise Martin SARL", "Namestone Ltd"):
        assert [found for found, *_ in names_in(name)] == [name], name
    # The label of a reference is never a name, in the plural too, nor is the label of an address.
    for label in ("Vos références", "Your references", "Nos réf.", "Our order", "Anschrift", "ADDRESS", "Domicilio"):
        assert names_in(label) == [], label
    assert [found for found, *_ in names_in("Reference Systems Ltd")] == ["Reference Systems Ltd"]


def test_an_e_invoice_viewers_labelled_boxes_give_the_names_and_not_their_labels():
    pages = [
        page(
            (50, 30, "Elektronische Rechnung (EN 16931) – Sichtprüfung", 8),
            (50, 50, "Rechnung", 16),
            (50, 90, "VERKÄUFER", 10),
            *rows(50, 104, "HANDELSNAME", "ANSCHRIFT", "", "UMSATZSTEUER-ID"),
            *rows(122, 104, "Fenwick Optik GmbH", "Lindenstraße 4", "80331 München", "DE123456789"),
            (300, 90, "KÄUFER", 10),
            *rows(300, 104, "NAME DES KÄUFERS", "ANSCHRIFT"),
            *rows(392, 104, "Holloway Dental AG", "Seestraße 12", "8002 Zürich"),
            (50, 170, "RECHNUNGSDATEN", 10),
            *rows(50, 184, "Rechnungsnummer", "Rechnungsdatum", "Vos références"),
            *rows(160, 184, "R-2291", "12.03.2024", "PO-7781"),
            *TOTALS,
        )
    ]
    parties = find_parties(pages)
    assert parties.provider.name == "Fenwick Optik GmbH"
    assert parties.customer.name == "Holloway Dental AG"


def test_a_key_ocr_misread_at_the_start_of_a_cell_is_put_right_and_a_name_near_a_key_word_is_not():
    from invoice_reader.party_words import repair_key_words, with_key_words_repaired

    assert repair_key_words("RECHNUNC AN Winkler Systemhaus AG") == "RECHNUNG AN Winkler Systemhaus AG"
    assert repair_key_words("Cuslomer Pemberton Foods plc") == "Customer Pemberton Foods plc"
    assert repair_key_words("Cuslomer:") == "Customer:"  # a heading alone, over its block
    for as_read in ("Keller Messtechnik AG", "Rechnungsdienst GmbH", "Pemberton Foods plc"):
        assert repair_key_words(as_read) == as_read  # a name one letter from "seller", no key word close

    printed = page(
        *rows(50, 80, "Larkspur Tooling Ltd", "8 Mill Lane", "Leeds LS1 4AB", "VAT No. GB123456789"),
        (400, 50, "INVOICE", 18),
        *rows(400, 78, "Invoice No.: 5521", "Date: 12/03/2024"),
        *rows(50, 180, "Cuslomer: Pemberton Foods plc", "21 Castle Road", "York YO1 7HH"),
        *TOTALS,
    )
    scanned = _read_by_ocr(printed, lambda text: 60.0 if text == "Cuslomer:" else 92.0)
    repaired = with_key_words_repaired(scanned)
    assert "Customer:" in repaired.text
    assert extract_invoice([repaired], ocr_pages={0}).customer == "Pemberton Foods plc"
    # The text layer is read as printed: what it says is what the document says.
    assert with_key_words_repaired(printed) is printed
