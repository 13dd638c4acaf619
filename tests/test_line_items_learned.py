"""Line items read by the learned line-item models (invoice_reader/line_items.py): tables of kinds the
rules used to miss, built word by word as the text layer gives them."""

from __future__ import annotations

from decimal import Decimal

from invoice_reader.amounts import guess_decimal_comma
from invoice_reader.line_items import extract_line_items
from invoice_reader.provenance import PageLines
from invoice_reader.text_lines import PageText, Word, build_lines

CHAR = 0.5
"""A character's width, in font sizes."""


def cell(x: float, top: float, text: str, size: float = 9.0, right: bool = False) -> list[Word]:
    """The words of text printed at top from x (its right edge when right)."""
    x0 = x - CHAR * size * len(text) if right else x
    words = []
    for token in text.split(" "):
        if token:
            words.append(Word(token, x0, top, x0 + CHAR * size * len(token), top + size))
        x0 += CHAR * size * (len(token) + 1)
    return words


def page(*cells: list[Word], index: int = 0, width: float = 595, height: float = 842) -> PageText:
    return PageText(index=index, lines=build_lines([w for c in cells for w in c]), width=width, height=height)


def items(*pages: PageText, totals: tuple[Decimal | None, ...] = ()):
    where = PageLines(list(pages))
    decimal_comma = guess_decimal_comma("\n".join(line.layout_text() for line in where.lines))
    return extract_line_items(where.lines, decimal_comma, where, totals)


def letterhead(top: float = 60) -> list[list[Word]]:
    return [
        cell(50, top, "Northwind Trading Ltd", 12),
        cell(50, top + 16, "12 Harbour Road, Leeds LS1 4AB"),
        cell(380, top, "INVOICE", 16),
        cell(380, top + 22, "Invoice No. 2025-0417"),
        cell(380, top + 34, "Date 14/03/2025"),
    ]


def grid_row(top: float, *values: tuple[float, str, bool]) -> list[list[Word]]:
    return [cell(x, top, text, right=right) for x, text, right in values]


def test_erp_grid_leaves_position_numbers_and_item_codes_out_of_the_designation():
    columns = ((50, False), (75, False), (130, False), (360, True), (370, False), (460, True), (540, True))
    header = ("Pos.", "Item code", "Description", "Qty", "Unit", "Unit price", "Amount")
    rows = [
        ("10", "4270.15", "Installation and commissioning", "1", "job", "766.720", "766.72"),
        ("20", "3979.89", "Toner cartridge, black", "6", "pcs", "38.410", "230.46"),
        ("30", "KFJ-7425", "Steel brackets", "12", "pcs", "7.780", "93.36"),
    ]
    cells = [*letterhead()]
    cells += grid_row(200, *((x, text, right) for (x, right), text in zip(columns, header)))
    for r, row in enumerate(rows):
        cells += grid_row(216 + 16 * r, *((x, text, right) for (x, right), text in zip(columns, row)))
    cells += [cell(380, 280, "Subtotal"), cell(540, 280, "1,090.54", right=True),
              cell(380, 294, "VAT 20 %"), cell(540, 294, "218.11", right=True),
              cell(380, 308, "Total"), cell(540, 308, "1,308.65", right=True)]
    found = items(page(*cells))
    assert [(i.designation, i.quantity, i.unit_price, i.total_ht) for i in found] == [
        ("Installation and commissioning", Decimal("1"), Decimal("766.720"), Decimal("766.72")),
        ("Toner cartridge, black", Decimal("6"), Decimal("38.410"), Decimal("230.46")),
        ("Steel brackets", Decimal("12"), Decimal("7.780"), Decimal("93.36")),
    ]


def test_trailing_minus_amounts_are_negative():
    columns = ((50, False), (80, False), (150, False), (360, True), (370, False), (460, True), (540, True))
    header = ("Pos", "Material", "Bezeichnung", "Menge", "ME", "Preis", "Betrag")
    rows = [
        ("10", "100234", "Kupferrohr 15 mm", "5", "m", "8,610-", "43,05-"),
        ("20", "100871", "Palettentransport", "2", "ST", "65,670-", "131,34-"),
    ]
    cells = [cell(50, 60, "Müller Haustechnik GmbH", 12), cell(380, 60, "GUTSCHRIFT", 16),
             cell(380, 82, "Gutschrift Nr. 9000123"), cell(380, 94, "Datum 14.03.2025")]
    cells += grid_row(200, *((x, text, right) for (x, right), text in zip(columns, header)))
    for r, row in enumerate(rows):
        cells += grid_row(216 + 16 * r, *((x, text, right) for (x, right), text in zip(columns, row)))
    cells += [cell(380, 260, "Summe netto"), cell(540, 260, "174,39-", right=True),
              cell(380, 274, "USt. 19 %"), cell(540, 274, "33,13-", right=True),
              cell(380, 288, "Gesamtbetrag"), cell(540, 288, "207,52-", right=True)]
    found = items(page(*cells))
    assert [(i.designation, i.total_ht) for i in found] == [
        ("Kupferrohr 15 mm", Decimal("-43.05")),
        ("Palettentransport", Decimal("-131.34")),
    ]


def test_a_designation_on_two_lines_is_one_item():
    cells = [*letterhead()]
    cells += [cell(50, 200, "Description"), cell(360, 200, "Qty", right=True), cell(450, 200, "Unit price", right=True),
              cell(540, 200, "Amount", right=True)]
    # A cell wrapped above and below the row's numbers, then a second line under a row.
    cells += [cell(50, 216, "Annual software subscription"), cell(50, 229, "Period March 2025", 8)]
    cells += [cell(360, 222.5, "1", right=True), cell(450, 222.5, "385.38", right=True),
              cell(540, 222.5, "385.38", right=True)]
    cells += [cell(50, 246, "Consulting hours"), cell(360, 246, "5", right=True), cell(450, 246, "67.04", right=True),
              cell(540, 246, "335.20", right=True), cell(50, 257, "as per quote Q-2231", 8)]
    cells += [cell(50, 274, "Cable ties (pack of 100)"), cell(360, 274, "24", right=True),
              cell(450, 274, "5.14", right=True), cell(540, 274, "123.36", right=True)]
    cells += [cell(380, 300, "Net total"), cell(540, 300, "843.94", right=True),
              cell(380, 314, "VAT 20 %"), cell(540, 314, "168.79", right=True),
              cell(380, 328, "Total"), cell(540, 328, "1,012.73", right=True)]
    page_one = page(*cells)
    found = items(page_one)
    assert [(i.designation, i.total_ht) for i in found] == [
        ("Annual software subscription Period March 2025", Decimal("385.38")),
        ("Consulting hours as per quote Q-2231", Decimal("335.20")),
        ("Cable ties (pack of 100)", Decimal("123.36")),
    ]
    first = found[0].provenance
    assert first.page == 0 and first.box[1] <= 216 and first.box[3] >= 229 + 8


def _table_page(index: int, top: float, rows: list[tuple[str, str, str, str]], before=(), after=()) -> PageText:
    cells = [*before]
    cells += [cell(50, top, "Description"), cell(360, top, "Qty", right=True), cell(450, top, "Price", right=True),
              cell(540, top, "Total", right=True)]
    y = top + 16
    for designation, qty, price, total in rows:
        cells += [cell(50, y, designation), cell(540, y, total, right=True)]
        cells += [cell(360, y, qty, right=True), cell(450, y, price, right=True)] if qty else []
        y += 16
    for label, amount in after:
        cells += [cell(380, y, label), cell(540, y, amount, right=True)]
        y += 14
    return page(*cells, index=index)


def test_a_table_over_two_pages_skips_its_repeated_header_and_carried_forward_rows():
    first_rows = [("Copper pipe 15 mm", "10", "10.04", "100.40"), ("Safety gloves, size L", "12", "2.27", "27.24"),
                  ("Network switch 24-port", "2", "305.24", "610.48")]
    second_rows = [("Toner cartridge, black", "2", "125.07", "250.14"), ("Pallet transport", "4", "19.19", "76.76")]
    first = _table_page(0, 200, first_rows, before=letterhead(), after=[("Carried forward", "738.12")])
    second = _table_page(
        1, 90, [("Brought forward", "", "", "738.12"), *second_rows],
        before=[cell(50, 60, "Invoice No. 2025-0417, page 2 of 2")],
        after=[("Net total", "1,065.02"), ("VAT 20 %", "213.00"), ("Total due", "1,278.02")],
    )
    found = items(first, second)
    assert [(i.designation, i.total_ht) for i in found] == [
        (d, Decimal(t)) for d, _, _, t in first_rows + second_rows
    ]
    assert [i.provenance.page for i in found] == [0, 0, 0, 1, 1]


def test_receipt_lines_keep_their_vat_inclusive_prices():
    lines = [
        cell(60, 12, "The Corner Shop", 12),
        cell(12, 40, "Receipt / Tax invoice"),
        cell(12, 52, "Receipt No.: 6534-079587"),
        cell(12, 70, "Newspaper"),
        cell(12, 80.5, "3 x 23.56"), cell(190, 80.5, "70.68 A", right=True),
        cell(12, 92.5, "Light bulb LED"), cell(190, 92.5, "10.43 B", right=True),
        cell(12, 104.5, "Coffee"),
        cell(12, 115, "2 x 8.91"), cell(190, 115, "17.82 A", right=True),
        cell(12, 127, "Printer paper"), cell(190, 127, "52.44 A", right=True),
        cell(12, 146, "TOTAL", 11), cell(190, 146, "€151.37", 11, right=True),
        cell(12, 160, "VISA"), cell(190, 160, "€151.37", right=True),
        cell(12, 178, "incl. VAT", 8),
        cell(50, 188, "Rate  Net  Tax  Total", 8),
        cell(12, 198, "A  23%  114.88  26.06  140.94", 8),
        cell(12, 208, "B  13.5%  9.19  1.24  10.43", 8),
    ]
    found = items(page(*lines, width=227, height=300))
    assert [(i.designation, i.total_ht) for i in found] == [
        ("Newspaper", Decimal("70.68")),
        ("Light bulb LED", Decimal("10.43")),
        ("Coffee", Decimal("17.82")),
        ("Printer paper", Decimal("52.44")),
    ]
    assert (found[0].quantity, found[0].unit_price) == (Decimal("3"), Decimal("23.56"))


def test_utility_bill_reads_four_decimal_unit_rates_and_skips_meter_readings():
    cells = [*letterhead()]
    cells += [cell(50, 160, "Meter readings", 11),
              cell(50, 178, "Meter number"), cell(200, 178, "Previous reading"), cell(320, 178, "Current reading"),
              cell(440, 178, "Consumption"),
              cell(50, 192, "Y82641383"), cell(260, 192, "46319", right=True), cell(380, 192, "46733", right=True),
              cell(500, 192, "414 m³", right=True)]
    cells += [cell(50, 230, "Description"), cell(330, 230, "Quantity", right=True),
              cell(430, 230, "Unit price", right=True), cell(540, 230, "Net amount", right=True)]
    rows = [("Daily standing charge", "61 days", "0.8384", "51.14"), ("Fresh water", "414 m³", "4.3718", "1,809.93"),
            ("Wastewater", "414 m³", "2.9545", "1,223.16")]
    for r, (designation, qty, price, total) in enumerate(rows):
        y = 246 + 16 * r
        cells += [cell(50, y, designation), cell(330, y, qty, right=True), cell(430, y, price, right=True),
                  cell(540, y, total, right=True)]
    cells += [cell(380, 306, "Total net"), cell(540, 306, "3,084.23", right=True),
              cell(380, 320, "VAT 7 %"), cell(540, 320, "215.90", right=True),
              cell(380, 334, "Amount due"), cell(540, 334, "3,300.13", right=True)]
    found = items(page(*cells))
    assert [(i.designation, i.quantity, i.unit_price, i.total_ht) for i in found] == [
        ("Daily standing charge", Decimal("61"), Decimal("0.8384"), Decimal("51.14")),
        ("Fresh water", Decimal("414"), Decimal("4.3718"), Decimal("1809.93")),
        ("Wastewater", Decimal("414"), Decimal("2.9545"), Decimal("1223.16")),
    ]


def _bill_with_an_account_summary() -> PageText:
    """A telecom bill: the account summary (previous balance, payments, this bill) above the table
    of charges, a discount among the charges, the totals below."""
    cells = [*letterhead()]
    summary = [("Previous balance", "86.02"), ("Payments received", "-86.02"), ("This bill", "148.88")]
    for r, (label, amount) in enumerate(summary):
        cells += [cell(50, 150 + 16 * r, label), cell(540, 150 + 16 * r, amount, right=True)]
    cells += [cell(50, 220, "Description"), cell(540, 220, "Amount", right=True)]
    charges = [("Unlimited plan", "12.83"), ("Calls outside the plan", "51.03"), ("Loyalty discount", "-2.40"),
               ("Activation fee", "60.57")]
    for r, (designation, amount) in enumerate(charges):
        cells += [cell(50, 236 + 16 * r, designation), cell(540, 236 + 16 * r, amount, right=True)]
    cells += [cell(380, 310, "Total net"), cell(540, 310, "122.03", right=True),
              cell(380, 324, "VAT 22 %"), cell(540, 324, "26.85", right=True),
              cell(380, 338, "Total"), cell(540, 338, "148.88", right=True)]
    return page(*cells)


def test_the_totals_settle_the_rows_the_row_model_doubts():
    from invoice_reader.line_items import line_models, settle_by_totals
    from invoice_reader.table_rows import read_table

    where = PageLines([_bill_with_an_account_summary()])
    reading = read_table(where.lines, False)
    index = {line.layout_text().split("  ")[0]: n for n, line in enumerate(where.lines)}
    summary = [index["Previous balance"], index["Payments received"], index["This bill"]]
    charges = [index["Unlimited plan"], index["Calls outside the plan"], index["Loyalty discount"],
               index["Activation fee"]]
    # The summary looks like rows to the model; the discount is doubted, the other charges are sure.
    scored = {summary[0]: 0.7, summary[1]: 0.6, summary[2]: 0.8, charges[0]: 0.97, charges[1]: 0.95,
              charges[2]: 0.4, charges[3]: 0.98, index["Total net"]: 0.02}
    models = line_models()
    assert settle_by_totals(reading, scored, models, {Decimal("122.03")}) == charges
    # The summary alone adds up to the gross, but leaving sure charges out is never a choice.
    assert settle_by_totals(reading, scored, models, {Decimal("148.88")}) is None
    assert settle_by_totals(reading, scored, models, {Decimal("999.99")}) is None


def test_an_account_summary_above_the_charges_is_not_line_items():
    found = items(_bill_with_an_account_summary(), totals=(Decimal("122.03"), Decimal("148.88")))
    assert [(i.designation, i.total_ht) for i in found] == [
        ("Unlimited plan", Decimal("12.83")),
        ("Calls outside the plan", Decimal("51.03")),
        ("Loyalty discount", Decimal("-2.40")),
        ("Activation fee", Decimal("60.57")),
    ]


def test_a_designation_printed_under_its_rows_numbers_beside_stacked_codes_is_the_rows(tmp_path):
    """A row made tall by a code column (article number over GTIN) prints its numbers at the top and the
    designation at the foot, under them: the designation is the row's."""
    from benchmarks.scoring import designation_similarity
    from benchmarks.synthetic_html import make_document
    from invoice_reader import process_document

    pdf, labels = make_document(13, "invoice")  # a development seed the generator prints so
    assert labels["stacked_codes"]
    (tmp_path / "stacked.pdf").write_bytes(pdf)
    read = process_document(tmp_path / "stacked.pdf").invoice.lines
    expected = [line["designation"] for line in labels["fields"]["lines"]]
    assert len(read) == len(expected)
    assert all(designation_similarity(e, r.designation) >= 0.5 for e, r in zip(expected, read, strict=True))


def test_a_unit_after_a_quantity_is_not_the_rows_text_and_a_short_designation_after_a_position_is():
    from invoice_reader.table_rows import read_table

    lines = page(
        *grid_row(300, (50, "2", False), (120, "5,5000", False), (200, "50 Stk", False), (300, "275,00", True)),
        *grid_row(320, (50, "10", False), (120, "6", False), (140, "mois", False), (300, "53,68", True)),
        *grid_row(340, (50, "1", False), (120, "Tape", False), (300, "4,50", True)),
    ).lines
    assert [info.letters for info in read_table(lines, True).lines] == [0, 0, 4]


def test_numbers_at_the_top_of_a_tall_row_take_the_designation_and_its_note_around_a_code(tmp_path):
    """A code column stacks the customer's article number, the supplier's and a GTIN, and the designation
    is centred in the tall row: the row's numbers print on its first line, the designation under them, and
    its note ('Periodo mayo 2025') under a line holding a code only. Both are the row's."""
    from benchmarks.scoring import designation_similarity
    from benchmarks.synthetic_html import make_document
    from invoice_reader import process_document

    pdf, labels = make_document(54, "invoice")  # a development seed the generator prints so
    assert labels["stacked_codes"]
    (tmp_path / "stacked.pdf").write_bytes(pdf)
    read = process_document(tmp_path / "stacked.pdf").invoice.lines
    expected = [(line["designation"], Decimal(line["total_ht"])) for line in labels["fields"]["lines"]]
    assert any(len(designation.split()) > 4 for designation, _ in expected)  # a designation with its note
    assert [r.total_ht for r in read] == [total for _, total in expected]
    assert all(designation_similarity(e, r.designation) >= 0.5 for (e, _), r in zip(expected, read, strict=True))


def test_training_counts_a_code_between_the_rows_numbers_and_its_designation_as_the_rows():
    """What the attach model learns from: a labelled row's lines are those up to the last that holds its
    designation, a code-only line between them included; the code under the designation is not."""
    from benchmarks.train_lines import truth
    from benchmarks.training import DocumentSpec, ReadDocument

    cells = [*letterhead()]
    cells += grid_row(200, (50, "Qty", False), (90, "Item code", False), (170, "Item", False),
                      (460, "Unit price", True), (540, "Line total", True))
    cells += grid_row(216, (50, "12", False), (90, "X92640", False), (460, "2.59", True), (540, "31.08", True))
    cells += grid_row(228, (90, "DBJ-5114", False))
    cells += grid_row(240, (170, "Steel brackets, galvanised", False))
    cells += grid_row(252, (90, "6727748970092", False))
    cells += [cell(380, 280, "Total"), cell(540, 280, "31.08", right=True)]
    labels = {"document_type": "invoice", "fields": {"lines": [
        {"designation": "Steel brackets, galvanised", "quantity": "12", "unit_price": "2.59", "total_ht": "31.08"},
    ]}}
    found = truth(ReadDocument(DocumentSpec("html", 0, "invoice"), labels, [page(*cells)]))
    texts = [line.line.text for line in found.reading.lines]
    (anchor,) = found.anchors
    assert [texts[i] for i in found.members[anchor]] == ["12 X92640 2.59 31.08", "DBJ-5114", "Steel brackets, galvanised"]


def test_a_discount_and_a_charge_printed_as_rows_under_the_items_are_not_items():
    """Some invoices print the document's discount and its shipping charge in the items table, with an
    amount and a VAT rate but no quantity or price: the net counts them, the line items do not."""
    columns = ((50, False), (300, True), (380, True), (450, True), (540, True))
    header = ("Description", "Qty", "Unit price", "VAT", "Amount")
    rows = [
        ("Copper pipe 15 mm", "40", "6.25", "20%", "250.00"),
        ("Steel brackets, galvanised", "120", "1.40", "20%", "168.00"),
        ("Installation and commissioning", "1", "420.00", "20%", "420.00"),
        ("Trade discount 5%", "", "", "20%", "-41.90"),
        ("Shipping", "", "", "20%", "35.00"),
    ]
    cells = [*letterhead()]
    cells += grid_row(200, *((x, text, right) for (x, right), text in zip(columns, header)))
    for r, row in enumerate(rows):
        cells += grid_row(216 + 16 * r, *((x, text, right) for (x, right), text in zip(columns, row) if text))
    cells += [cell(380, 310, "Net total"), cell(540, 310, "831.10", right=True),
              cell(380, 324, "VAT 20 %"), cell(540, 324, "166.22", right=True),
              cell(380, 338, "Total"), cell(540, 338, "997.32", right=True)]
    found = items(page(*cells), totals=(Decimal("831.10"), Decimal("997.32")))
    assert [(i.designation, i.total_ht) for i in found] == [
        ("Copper pipe 15 mm", Decimal("250.00")),
        ("Steel brackets, galvanised", Decimal("168.00")),
        ("Installation and commissioning", Decimal("420.00")),
    ]


def test_a_row_whose_text_lies_past_its_codes_and_a_second_amount_still_gets_its_designation():
    """Tall rows: the numbers at the top with the article number, then a second code alone (some look
    like an amount), then the GTIN with the designation. Every item has a designation: a row read
    without one reaches past the lines that hold no words for the first that does, on the side where
    the other rows of the table hold theirs."""
    columns = ((50, False), (140, False), (330, True), (380, True), (460, True), (540, True))
    header = ("Part no.", "Details", "Qty", "Unit price", "Tax rate", "Line total")
    rows = [
        ("X43658", "Annual software subscription", "12", "146.74", "20%", "1760.88", "NYM-8138"),
        ("K23526", "Toner cartridge, black", "10", "115.18", "20%", "1151.80", "191363"),
        ("X23082", "Safety gloves, size L", "12", "5.54", "5%", "66.48", "7336.20"),
        ("K83929", "Copywriting", "7.5", "108.93", "20%", "816.98", "9585.81"),
        ("C38073", "Cable ties (pack of 100)", "4", "8.59", "20%", "34.36", "IUI-6276"),
    ]
    cells = [*letterhead()]
    cells += grid_row(200, *((x, text, right) for (x, right), text in zip(columns, header)))
    for r, (code, text, qty, price, rate, total, second) in enumerate(rows):
        top = 216 + 36 * r
        cells += grid_row(top, (50, code, False), (330, qty, True), (380, price, True), (460, rate, True),
                          (540, total, True))
        cells += [cell(50, top + 11, second)]
        cells += grid_row(top + 22, (50, f"{4249827370163 + r}", False), (140, text, False))
    net = sum(Decimal(row[5]) for row in rows)
    cells += [cell(380, 420, "Net total"), cell(540, 420, f"{net}", right=True),
              cell(380, 434, "Total"), cell(540, 434, f"{net * Decimal('1.2'):.2f}", right=True)]
    found = items(page(*cells), totals=(net, None))
    assert [(i.designation, i.total_ht) for i in found] == [
        (text, Decimal(total)) for _, text, _, _, _, total, _ in rows
    ]


def test_the_words_that_open_a_discount_or_charge_row_give_it_its_kind():
    """EN 16931 names them allowances and charges, and some print the word itself ('Charge: travel
    expenses'); German item tables print an 'Abschlag' (a deduction). 'Charges' in the plural heads what
    is billed (a cloud bill's breakdown), and an item that merely holds the word later on is not one."""
    from invoice_reader.table_rows import read_table

    texts = ["CHARGE : TRAVEL EXPENSES", "Abschlag Lagerware", "Frais de port", "Charges",
             "Battery charger 12 V", "Extra charge cable"]
    cells = [*letterhead()]
    cells += grid_row(200, (50, "Description", False), (540, "Amount", True))
    for r, text in enumerate(texts):
        cells += grid_row(216 + 16 * r, (50, text, False), (540, f"{r + 1}0.00", True))
    reading = read_table(PageLines([page(*cells)]).lines, False)
    kinds = {line.text.split("  ")[0]: line.kinds & {"allowance", "charge"} for line in reading.lines}
    assert [kinds[text] for text in texts] == [
        {"charge"}, {"allowance"}, {"charge"}, set(), set(), set(),
    ]


def test_the_totals_settle_a_row_whose_amount_is_printed_under_its_other_numbers():
    """Gross prices: each row prints its designation, net price, quantity and rate on one line and its
    amount alone on the next. Both lines look like rows; the totals take one of each pair."""
    from invoice_reader.line_items import line_models, settle_by_totals
    from invoice_reader.table_rows import read_table

    cells = [*letterhead()]
    cells += grid_row(200, (50, "Description", False), (380, "Net price", True), (440, "Qty", True),
                      (490, "VAT", True), (540, "Amount", True))
    rows = [("Third-party liability cover", "67.2244", "80.00"), ("Comprehensive cover", "117.6471", "140.00")]
    for r, (designation, price, amount) in enumerate(rows):
        top = 216 + 40 * r
        cells += grid_row(top, (50, designation, False), (380, price, True), (440, "1", True), (490, "0%", True))
        cells += [cell(540, top + 12, amount, right=True), cell(50, top + 24, f"Gross price: {amount}", 7)]
    cells += [cell(380, 310, "Net total"), cell(540, 310, "220.00", right=True),
              cell(380, 324, "Total"), cell(540, 324, "220.00", right=True)]
    where = PageLines([page(*cells)])
    reading = read_table(where.lines, False)
    index = {line.layout_text().split("  ")[0]: n for n, line in enumerate(where.lines)}
    first, second = index["Third-party liability cover"], index["Comprehensive cover"]
    scored = {first: 0.18, first + 1: 0.81, first + 2: 0.0, second: 0.17, second + 1: 0.38, second + 2: 0.0,
              index["Net total"]: 0.02, index["Total"]: 0.01}
    assert reading.lines[first + 1].text.strip() == "80.00" and reading.lines[second + 1].text.strip() == "140.00"
    assert settle_by_totals(reading, scored, line_models(), {Decimal("220.00")}) == [first + 1, second + 1]
