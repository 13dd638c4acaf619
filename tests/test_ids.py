"""IBANs and VAT ids read by OCR: checked with python-stdnum, and repaired only where exactly one
repair of look-alike characters passes the checksum. The ids are made up, with check digits
computed here."""

import pytest
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.iso7064 import mod_11_10

from invoice_reader import ids
from invoice_reader.extract import extract_invoice
from invoice_reader.parties import vat_ids_in
from invoice_reader.payment import find_iban
from invoice_reader.text_lines import PageText, Word, build_lines


def make_iban(country: str, bban: str) -> str:
    return country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban


def make_de_vat(first_eight: str) -> str:
    return "DE" + first_eight + mod_11_10.calc_check_digit(first_eight)


def make_fr_vat(first_eight_of_siren: str) -> str:
    siren = first_eight_of_siren + luhn.calc_check_digit(first_eight_of_siren)
    return f"FR{(12 + 3 * int(siren)) % 97:02d}{siren}"


def make_nl_vat(first_eight: str, branch: str = "01") -> str:
    """A Dutch VAT id whose first nine digits pass the eleven test (stdnum.nl.bsn)."""
    total = sum(int(d) * w for d, w in zip(first_eight, range(9, 1, -1), strict=True))
    last = total % 11
    assert last < 10, "choose other digits"
    return f"NL{first_eight}{last}B{branch}"


DE_IBAN = make_iban("DE", "765432100012345678")
FR_IBAN = make_iban("FR", "14508005511234567890123")
DE_VAT = make_de_vat("13669597")
FR_VAT = make_fr_vat("30326504")
NL_VAT = make_nl_vat("00449544")
WRONG_DE_VAT = DE_VAT[:-1] + str((int(DE_VAT[-1]) + 1) % 10)


def spaced(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


LOOK_ALIKE = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z", "6": "G"}


def misread(value: str, count: int, start: int = 2) -> str:
    """value with its first count look-alike digits from start read as letters, as OCR may."""
    chars = list(value)
    changed = 0
    for i in range(start, len(chars)):
        if changed < count and chars[i] in LOOK_ALIKE:
            chars[i] = LOOK_ALIKE[chars[i]]
            changed += 1
    assert changed == count
    return "".join(chars)


def page(*rows: str) -> PageText:
    words = []
    for r, row in enumerate(rows):
        x = 50.0
        for token in row.split(" "):
            if token:
                words.append(Word(token, x, 50 + r * 14, x + 5 * len(token), 60 + r * 14))
            x += 5 * (len(token) + 1)
    return PageText(index=0, lines=build_lines(words), width=600, height=850)


def test_made_up_ids_are_valid():
    for value in (DE_IBAN, FR_IBAN):
        assert ids.iban_is_valid(value)
    for value in (DE_VAT, FR_VAT, NL_VAT):
        assert ids.vat_id_is_valid(value), value
    assert not ids.vat_id_is_valid(WRONG_DE_VAT)


@pytest.mark.parametrize("count", [1, 3, 6])
def test_iban_misread_by_ocr_is_repaired(count):
    read = misread(DE_IBAN, count)  # from the check digits on: 8 -> B, 0 -> O, ...
    assert read != DE_IBAN and not ids.iban_is_valid(read)
    assert ids.repair_iban(spaced(read)) == DE_IBAN
    assert ids.repair_iban(spaced(misread(FR_IBAN, count, start=4))) == FR_IBAN


def test_valid_iban_stays_as_read_and_a_wrong_digit_is_not_guessed():
    assert ids.repair_iban(spaced(DE_IBAN)) == DE_IBAN
    wrong = DE_IBAN[:10] + str((int(DE_IBAN[10]) + 3) % 10) + DE_IBAN[11:]
    assert ids.repair_iban(wrong) is None  # 3 <-> 6 is no look-alike: nothing to try
    assert ids.repair_iban(DE_IBAN[:-1]) is None  # one character short


def test_repair_is_refused_when_two_candidates_pass():
    # Position 1 may be 0 or O; both pass this checker, so neither is taken.
    assert ids._repair("A0", "ac", lambda c: c in ("A0", "AO")) == "A0"  # as read, no change needed
    assert ids._repair("AI0", "acc", lambda c: c in ("A10", "AIO")) is None  # two single changes pass
    assert ids._repair("AI0", "acc", lambda c: c in ("A1O", "AIO")) == "AIO"  # the fewest changes win
    assert ids._repair("A0", "ac", lambda c: c == "AO") == "AO"
    assert ids._repair("AO", "an", lambda c: True) == "A0"  # a digit position: O can only be 0
    assert ids._repair("A?", "an", lambda c: True) is None


def test_an_s_stands_for_a_5_or_an_8_as_the_checksum_says():
    eight = FR_IBAN.index("8", 4)
    read = FR_IBAN[:eight] + "S" + FR_IBAN[eight + 1 :]  # a damaged 8 read as S
    assert ids.repair_iban(spaced(read)) == FR_IBAN
    five = FR_IBAN.index("5", 4)
    assert ids.repair_iban(spaced(FR_IBAN[:five] + "S" + FR_IBAN[five + 1 :])) == FR_IBAN
    assert ids._repair("AS", "an", lambda c: True) == "A5"  # both pass: the likelier digit, unchanged


def test_a_letter_in_an_account_number_that_may_hold_letters():
    # French account numbers (11!c) may hold letters: an O there stays an O unless the checksum
    # needs a 0, and a 0 stays a 0 unless the checksum needs an O.
    with_letter = make_iban("FR", "14508" + "00551" + "1234567O901" + "23")
    assert ids.repair_iban(with_letter) == with_letter
    assert ids.repair_iban(with_letter.replace("7O9", "709")) == with_letter  # the O read as 0
    read = FR_IBAN[:-14] + FR_IBAN[-14:].replace("0", "O", 1)  # the account's 0 read as O
    assert ids.repair_iban(read) == FR_IBAN


def test_vat_ids_misread_by_ocr_are_repaired():
    assert ids.repair_vat_id("DE", misread(DE_VAT, 2)[2:]) == DE_VAT
    assert ids.repair_vat_id("FR", misread(FR_VAT, 1, start=4)[2:]) == FR_VAT
    # The B of a Dutch VAT id read as 8, and a 0 read as O.
    dutch = NL_VAT[:11] + "8" + NL_VAT[12:]
    assert ids.repair_vat_id("NL", misread(dutch, 1)[2:]) == NL_VAT
    assert ids.repair_vat_id("DE", DE_VAT[2:]) == DE_VAT
    assert ids.repair_vat_id("DE", WRONG_DE_VAT[2:]) is None  # fails its checksum, nothing to repair


def test_vat_ids_in_ocr_text_are_repaired_and_text_layers_are_read_as_printed():
    read = misread(DE_VAT, 1)
    text = f"USt-IdNr.: {read[:2]} {read[2:5]} {read[5:8]} {read[8:]}"
    assert [v for _, v in vat_ids_in(text, ocr=True)] == [DE_VAT]
    assert vat_ids_in(text) == []  # the text layer prints no such number
    # A valid number and a well-formed one whose checksum fails stay as printed.
    printed = f"TVA {FR_VAT}  USt-IdNr. {WRONG_DE_VAT}"
    assert [v for _, v in vat_ids_in(printed, ocr=True)] == [FR_VAT, WRONG_DE_VAT]


def test_finders_repair_ocr_readings_in_an_invoice():
    iban_read = spaced(misread(DE_IBAN, 2, start=4))
    vat_read = misread(DE_VAT, 1)
    rows = (
        "Muster Werkzeuge GmbH",
        f"USt-IdNr.: {vat_read}",
        "Rechnung Nr. 2024-117",
        "Nettobetrag 100,00 EUR",
        "MwSt. 19 % 19,00 EUR",
        "Gesamtbetrag 119,00 EUR",
        f"IBAN: {iban_read}",
    )
    assert find_iban(page(*rows).lines) is None
    read = extract_invoice([page(*rows)], ocr_pages={0})
    assert read.iban == DE_IBAN
    assert read.provider_vat_id == DE_VAT
    as_text_layer = extract_invoice([page(*rows)])
    assert as_text_layer.iban is None
    assert as_text_layer.provider_vat_id is None
