"""No literal from a corpus document appears in the project's code or comments.

The reader must follow general rules: a rule keyed on one vendor's name, one document's invoice
number or one insurer's wording scores well on the corpus and fails on the next supplier, and a
comment quoting a corpus value is usually the trace of such a rule, or of tuning on that document.
This guard collects the identifying values of every corpus document (both halves of the split) and
looks for each of them in every source file outside tests/, case-insensitively, with runs of
whitespace folded, as a whole (not inside a longer word).

What is collected:
- from every expected.jsonl row: issuer, issuer legal name, buyer, invoice number, VAT and tax ids,
  line descriptions and article codes, the file's stem (a document named in code), every string of
  `raw_expected` (the template output: partner names, streets, e-mails, websites, phones, IBAN,
  company and booking ids) except ordinary place names (city, zip, country, state) and bank
  codes (a BIC names a big bank, not the vendor), values
  quoted in `notes` (printed names the annotation mentions), and totals of 100 or more with cents
  ('1234.56' and '1234,56');
- from the corpus XML, the loose CII / UBL files and the XML embedded in each PDF: party, contact
  and product names, global ids (GLN), endpoint, registration and tax ids, IBANs and account
  names, street lines, e-mail addresses, phone numbers, article and document ids, notes;
- from the printed text of every PDF: each run of words between digits and punctuation of at
  least PRINTED_MIN_WORDS words and PRINTED_MIN_LENGTH characters (a title, a sentence, a table
  heading as that document prints it: "a comment that quotes the page");
- and, inside any of these, each line of a multi-line value, each run of 8 or more digits (a GLN
  inside a name block) and an IBAN also in groups of four.

What is left out, because it would match ordinary code by chance or identifies nothing:
- anything shorter than MIN_LENGTH (6) characters once whitespace is folded (an invoice number
  'F', a vendor 'OYO', a code 'PFA5');
- numbers with fewer than MIN_DIGITS (6) digits, decimals, and every date; currency, unit and
  country codes are shorter than MIN_LENGTH anyway;
- single ordinary words from the XML and the line descriptions (a product 'Vollkasko', a heading
  'Projekt', a document kind 'Warenrechnung'): a single word without a digit counts only where it
  names a party in expected.jsonl (an issuer, a buyer, a partner name);
- field names quoted in the notes ('invoice_number');
- GENERIC: a short, reviewed list of ordinary phrases that some corpus document happens to contain
  and that general code or the synthetic generator may use too (a product 'office chair', a
  placeholder 'seller name'). Each entry is common wording, not a name, an id or an address.

The scan covers every *.py, *.sql, *.json, *.toml and *.yaml file under CODE_FOLDERS that git tracks or would track
(untracked but not ignored), except the corpus split, which names corpus files by design. A failure
names the file, the line, the literal and the corpus document it comes from. Paraphrases (a name
with one letter changed, an id with other digits) are not caught: review comments for them.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from bisect import bisect_right
from functools import cache
from itertools import accumulate
from pathlib import Path

import pytest

from tests.conftest import CORPUS

PROJECT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("invoice_reader", "job_runner", "ingest_api", "invoice_processor", "benchmarks")
CODE_SUFFIXES = (".py", ".sql", ".json", ".toml", ".yaml", ".yml")
"""Code, queries, and the data files rules are written in (the reader's lexicons)."""
NOT_SCANNED = {"benchmarks/corpus_split.json"}
"""The recorded corpus split names every corpus file by design (benchmarks/corpus.py)."""
MIN_LENGTH = 6
MIN_DIGITS = 6
PRINTED_MIN_WORDS, PRINTED_MIN_LENGTH = 3, 20
PARTY_KEYS = ("issuer", "issuer_legal_name", "buyer")
RAW_PARTY_KEYS = {"issuer", "partner_name"}
RAW_SKIPPED_KEYS = {
    "partner_city",
    "partner_zip",
    "country_code",
    "state_code",
    "currency",
    "currency_symbol",
    "bic",
    "desc",
}
"""Template-output keys whose values are ordinary place names or codes (a BIC names a bank that
millions of accounts share, not the vendor), or the template's own description."""
XML_TAGS = {
    # CII (ram:) and UBL (cbc:) element names whose text identifies a party, an account, a product or the document.
    "Name",
    "RegistrationName",
    "PersonName",
    "DepartmentName",
    "GlobalID",
    "EndpointID",
    "CompanyID",
    "URIID",
    "IBANID",
    "ProprietaryID",
    "AccountName",
    "LineOne",
    "LineTwo",
    "LineThree",
    "StreetName",
    "AdditionalStreetName",
    "CompleteNumber",
    "Telephone",
    "ElectronicMail",
    "SellerAssignedID",
    "BuyerAssignedID",
    "IssuerAssignedID",
    "BuyerReference",
    "Content",
    "Note",
}
GENERIC = {
    # Ordinary wording found in some corpus document that general code may also use.
    "office chair",  # products the synthetic generator sells too
    "kopierpapier a4",
    "seller name",  # a placeholder of the CEN test invoice, and plain English
    "buyer name",  # the same for the buyer (EN 16931's term), which the e-invoice viewer template labels
    "adresse de livraison",  # French for "delivery address"
    "le client",  # French for "the customer"; one sample's placeholder buyer name
    "conditions de paiement",  # the French payment-terms label
    "selbst ausgestellte rechnung",  # the German legal wording of a self-billed invoice
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{8}")
_NUMBER = re.compile(r"[+-]?[\d\s.,/-]+%?")
_FIELD_NAME = re.compile(r"[a-z]+(?:_[a-z]+)+")
_IBAN = re.compile(r"[a-z]{2}\d{2}[a-z0-9]{10,30}")
_LONG_DIGITS = re.compile(r"\d{8,}")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _meaningful(value: str, *, single_word_ok: bool) -> bool:
    if len(value) < MIN_LENGTH or value in GENERIC or _FIELD_NAME.fullmatch(value) or _DATE.fullmatch(value):
        return False
    if _NUMBER.fullmatch(value):  # a number is an id only with enough digits, and not a decimal
        return sum(ch.isdigit() for ch in value) >= MIN_DIGITS and not re.fullmatch(r"\d+[.,]\d{1,4}", value)
    if not single_word_ok and re.fullmatch(r"[^\W\d_]+", value):
        return False
    return True


def _variants(value: str) -> list[str]:
    """The value, each of its lines, its long digit runs and an IBAN's grouped form."""
    out = [value, *value.splitlines()]
    for text in list(out):
        out += _LONG_DIGITS.findall(text)
        compact = re.sub(r"\s", "", text)
        if _IBAN.fullmatch(compact.casefold()):
            out += [compact, " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))]
    return out


def _strings(value, skipped=RAW_SKIPPED_KEYS):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skipped:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _amounts(value) -> list[str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 100 and round(value * 100) % 100:
        text = f"{abs(value):.2f}"
        return [text, text.replace(".", ",")]
    return []


def _row_literals(row: dict) -> tuple[list[str], list[str]]:
    """(party names, other values) of one expected.jsonl row."""
    parties = [row.get(key) for key in PARTY_KEYS]
    raw = row.get("raw_expected") if isinstance(row.get("raw_expected"), dict) else {}
    parties += [raw.get(key) for key in RAW_PARTY_KEYS]
    others = [row.get("invoice_number"), row.get("issuer_vat_id"), Path(row["file"]).stem]
    others += [tax.get("id") for tax in row.get("issuer_tax_ids") or []]
    for line in row.get("lines") or []:
        others += [line.get("description"), line.get("code")]
    others += list(_strings(raw))
    others += re.findall(r"'([^']{%d,})'" % MIN_LENGTH, row.get("notes") or "")
    return [v for v in parties if isinstance(v, str)], [v for v in others if isinstance(v, str)]


def _xml_literals(xml: bytes) -> list[str]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    return [
        element.text
        for element in root.iter()
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] in XML_TAGS and element.text
    ]


def _read_pdf(path: Path) -> tuple[list[bytes], list[str]]:
    """The embedded XML files and the printed lines of a PDF."""
    import pypdfium2 as pdfium

    xml, lines = [], []
    document = pdfium.PdfDocument(path)
    try:
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            if attachment.get_name().lower().endswith(".xml"):
                xml.append(bytes(attachment.get_data()))
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            lines += textpage.get_text_range().splitlines()
            textpage.close()
            page.close()
    finally:
        document.close()
    return xml, lines


def _printed_runs(lines: list[str]) -> list[str]:
    runs = []
    for line in lines:
        for run in re.split(r"[^\w\s&'-]|\d|_", _fold(line)):
            run = " ".join(run.split()).strip("-' ")
            if len(run) >= PRINTED_MIN_LENGTH and len(run.split()) >= PRINTED_MIN_WORDS:
                runs.append(run)
    return runs


@cache
def corpus_literals() -> dict[str, str]:
    """Folded literal -> the corpus document it comes from (the first one found)."""
    literals: dict[str, str] = {}

    def add(values, where: str, *, single_word_ok: bool = False) -> None:
        for value in values:
            for variant in _variants(value):
                folded = _fold(variant)
                if _meaningful(folded, single_word_ok=single_word_ok):
                    literals.setdefault(folded, where)

    for expected in sorted(CORPUS.glob("*/expected.jsonl")):
        for line in expected.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            where = f"{expected.parent.name}/{row['file']}"
            parties, others = _row_literals(row)
            add(parties, where, single_word_ok=True)
            add(others, where)
            for key in ("amount", "amount_untaxed", "amount_tax", "amount_due"):
                for amount in _amounts(row.get(key)):  # decimals, so not through _meaningful
                    literals.setdefault(amount, where)
            path = expected.parent / row["file"]
            if path.suffix == ".pdf":
                xml, printed = _read_pdf(path)
                for attachment in xml:
                    add(_xml_literals(attachment), f"{where} (embedded XML)")
                add(_printed_runs(printed), f"{where} (printed)")
    for path in sorted(CORPUS.rglob("*.xml")):
        add(_xml_literals(path.read_bytes()), path.relative_to(CORPUS).as_posix())
    return literals


def code_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *CODE_FOLDERS],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # no git here: every file of the folders
        listed = [p.relative_to(PROJECT).as_posix() for folder in CODE_FOLDERS for p in (PROJECT / folder).rglob("*")]
    return [
        PROJECT / name
        for name in sorted(set(listed))
        if name.endswith(CODE_SUFFIXES) and name not in NOT_SCANNED and (PROJECT / name).is_file()
    ]


def find_literals(files: list[Path], literals: dict[str, str]) -> list[str]:
    """'file:line: literal (from document)' for every literal on every line where it occurs as a whole."""
    found = []
    for path in files:
        lines = [_fold(line) for line in path.read_text(errors="replace").splitlines()]
        text = " ".join(lines)  # a literal wrapped over two lines is found too, on the first
        starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        hits = set()
        for value in literals:
            at = text.find(value)
            while at != -1:
                end = at + len(value)
                # Not inside a longer word: "del name" is not in "model name".
                inside = (value[0].isalnum() and at > 0 and text[at - 1].isalnum()) or (
                    value[-1].isalnum() and end < len(text) and text[end].isalnum()
                )
                if not inside:
                    hits.add((bisect_right(starts, at), value))
                at = text.find(value, at + 1)
        name = path.relative_to(PROJECT) if path.is_relative_to(PROJECT) else path
        found += [f"{name}:{number}: {value!r} (from {literals[value]})" for number, value in sorted(hits)]
    return found


@pytest.mark.skipif(not CORPUS.exists(), reason=f"shared corpus not found at {CORPUS}")
def test_no_code_or_comment_quotes_a_corpus_document():
    literals = corpus_literals()
    files = code_files()
    # The guard must have something to look for and somewhere to look, or it passes vacuously.
    assert len(literals) > 1000, len(literals)
    for must in ("lieferant gmbh", "4304171000002", "de123456789", "471102", "197.65"):
        assert must in literals, must
    assert len(files) > 60, len(files)
    assert {"invoice_reader", "benchmarks", "job_runner", "ingest_api", "invoice_processor"} <= {
        p.relative_to(PROJECT).parts[0] for p in files
    }
    found = find_literals(files, literals)
    assert not found, "corpus literals in the code:\n" + "\n".join(found)


def test_the_guard_names_file_line_and_literal_and_skips_longer_words(tmp_path):
    source = tmp_path / "rule.py"
    source.write_text('x = 1\n# read the  ACME   Widgets Ltd footer\ny = "Model NAME"\n')
    literals = {"acme widgets ltd": "folder/doc.pdf", "del name": "folder/other.pdf"}
    assert find_literals([source], literals) == [f"{source}:2: 'acme widgets ltd' (from folder/doc.pdf)"]


def test_ordinary_values_are_not_literals():
    assert not _meaningful("f", single_word_ok=True)
    assert not _meaningful("2018-03-05", single_word_ok=False)
    assert not _meaningful("12345", single_word_ok=False)
    assert not _meaningful("529.87", single_word_ok=False) and "529.87" in _amounts(529.87)
    assert _amounts(50.0) == [] and _amounts(300.0) == []
    assert not _meaningful("invoice_number", single_word_ok=False)
    assert not _meaningful("vollkasko", single_word_ok=False)
    assert _meaningful("coolblue", single_word_ok=True)
    assert _meaningful("471102", single_word_ok=False)
    assert "4333741000005" in _variants("GLN 4333741000005 \nLief-Nr: 549910")
    assert "DE02 1203 0000 0000 2020 51" in _variants("DE02120300000000202051")
