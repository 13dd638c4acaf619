"""The words around a party's name: role words that head its block ("Bill to", "Lieferadresse",
"Vendeur"), keys before a value ("Name:", "Nummer:"), and the names a cell can hold.

The words are data, per role and language: invoice_reader/lexicon/party_roles.json.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from functools import cache, lru_cache
from pathlib import Path

from .kind_words import LEXICON as KINDS_FILE
from .labels import COLUMN_LABELS, FIELD_LABELS, TOTAL_LABELS
from .language import fold as fold_word
from .parties import _CONTACT_RE, _LEGAL_FORM_RE, _NAME_PREFIX_RE, company_names
from .table_rows import TABLE_LEXICON
from .text_lines import PageText, TextLine

ROLES_FILE = Path(__file__).with_name("lexicon") / "party_roles.json"
HEADING_ROLES = ("bill_to", "ship_to", "remit_to", "seller")
"""Roles whose word heads a block or a cell ("Bill to", "Lieferadresse:"), saying whose block it is."""
MENTION_ROLES = ("reference", "legal", "registration")
"""Roles whose words count anywhere in a cell."""

_WORD_END = r"(?:(?<![\w])|(?![\w]))"
_TRAILING_RE = re.compile(r"[\s,;:/(–-]+$")
_LEADING_RE = re.compile(r"^[\s:,;#*.–-]+")
_KEY_RE = re.compile(r"^([^\W\d][\w .'’/()-]{0,38}?)\s?:(?:\s|$)")
_PIECE_SPLIT_RE = re.compile(r"\s[|•●·–—-]\s|\s*[|•●·]\s*")
_LETTER_RE = re.compile(r"[^\W\d_]")
_DIGIT_RE = re.compile(r"\d")
_DIGIT_OR_COLON_RE = re.compile(r"[\d:]")
FUNCTION_WORDS = frozenset(
    "au aux bei bij con d de degli dei del della des di du el en et for fur het in la le les met mit "
    "of on op par para per por pour the to und van vom von voor zu zum zur whose which who".split()
)
"""Articles, prepositions and conjunctions of the languages read: a name never ends with one."""


@cache
def vocabulary() -> dict[str, re.Pattern[str]]:
    """One pattern per role, its longer words tried first."""
    data = json.loads(ROLES_FILE.read_text(encoding="utf-8"))["roles"]
    compiled = {}
    for role, by_language in data.items():
        words = sorted({w for words in by_language.values() for w in words}, key=len, reverse=True)
        alternatives = "|".join(_one_cell(w) for w in words)
        compiled[role] = re.compile(rf"(?<![\w])(?:{alternatives}){_WORD_END}", re.IGNORECASE)
    return compiled


def _one_cell(pattern: str) -> str:
    """Spaces in a role word never span two cells (two spaces, see TextLine.layout_text)."""
    return pattern.replace(r"\s*", r"(?:\s(?!\s))?").replace(r"\s+", r"\s(?!\s)")


@lru_cache(maxsize=8192)
def heading(text: str) -> tuple[str, int] | None:
    """The role the cell's first words announce (bill_to, ship_to, remit_to, seller) and where
    those words end; None when the cell starts otherwise, or when a reference word starting
    there is as long ("Customer No."). A word of up to four letters ("To", "An", "From") counts
    only alone or before a colon."""
    best: tuple[str, int] | None = None
    for role in HEADING_ROLES:
        m = vocabulary()[role].match(text)
        if m and (best is None or m.end() > best[1]):
            best = (role, m.end())
    if best is None:
        return None
    reference = vocabulary()["reference"].match(text)
    if reference and reference.end() >= best[1]:
        return None
    rest = text[best[1] :].lstrip()
    if best[1] <= 4 and rest and not rest.startswith(":"):
        return None
    return best


@lru_cache(maxsize=8192)
def heading_cell(text: str) -> str | None:
    """The role of a cell that heads a block: the role word alone ("Bill to", "Käufer:"), or
    followed by the first key of the block ("Verkäufer / Nummer:"); None otherwise."""
    found = heading(text)
    if found is None:
        return None
    rest = _LEADING_RE.sub("", text[found[1] :]).strip()
    if rest == "" or (rest.endswith(":") and not any(c.isdigit() for c in rest)):
        return found[0]
    return None


def is_key(text: str) -> bool:
    """Whether the cell is a key whose value follows in the next cell ("Name:", "Anschrift :")."""
    stripped = text.rstrip()
    return stripped.endswith(":") and len(stripped) <= 40 and not any(c.isdigit() for c in stripped)


@lru_cache(maxsize=8192)
def key_kind(key: str) -> str:
    """'name' for a key that announces a name ("Name", "Raison sociale"), else 'other'."""
    m = vocabulary()["name_key"].search(key)
    return "name" if m else "other"


def mentions(text: str) -> list[str]:
    """The MENTION_ROLES whose words the cell holds anywhere."""
    return [role for role in MENTION_ROLES if vocabulary()[role].search(text)]


def names_in(text: str) -> list[tuple[str, int, str, str | None]]:
    """(name, offset in the cell, how it was found, key kind) for each name the cell could hold:
    after its role word ("Bill to: ACME") or its key ("Name: ACME"), the cell itself, a company
    name with a legal form inside it, the first piece of a "Name · Street · Town" line. A key
    cell alone ("Anschrift:") holds none."""
    found: list[tuple[str, int, str, str | None]] = []
    role = heading(text)
    key = None if role else _KEY_RE.match(text)
    keyed = None if role or key else _name_key_before(text)
    if role is not None or key is not None:
        end = role[1] if role else key.end(1)
        rest = text[end:]
        value = _LEADING_RE.sub("", rest)
        named = vocabulary()["name_key"].match(value) if role else None
        if named:  # "Seller trade name: ACME", "Name of the buyer: ACME"
            value = _LEADING_RE.sub("", value[named.end() :])
        name = name_text(value)
        if name:
            kind = key_kind(key.group(1)) if key else None
            found.append((name, end + len(rest) - len(value), "after_heading" if role else "after_key", kind))
    elif keyed is not None:  # "Trade name ACME Ltd", "DENOMINAZIONE ACME S.r.l."
        name = name_text(text[keyed:])
        if name:
            found.append((name, text.find(name, keyed), "after_key", "name"))
    elif not is_key(text) and not is_salutation(text) and not is_label_only(text):
        name = name_text(text)
        if name:
            found.append((name, text.find(name), "cell", None))
            titled = vocabulary()["salutation"].match(name)
            bare = name_text(name[titled.end() :]) if titled else None
            if bare and bare != name:
                found.append((bare, text.find(bare), "after_salutation", None))
    pieces = _PIECE_SPLIT_RE.split(text)
    if len(pieces) >= 3:
        name = name_text(pieces[0])
        if name and all(name != n[0] for n in found):
            found.append((name, text.find(name), "first_piece", None))
    for name in company_names(text):
        name = name.rstrip(",")
        start = text.find(name)
        if keyed is not None and start < keyed:
            continue  # the key read as the first word of the name
        if start >= 0 and all(name != n[0] for n in found):
            found.append((name, start, "legal_form", None))
    return found


LABEL_ONLY_ROLES = ("name_key", "reference", "address_key")
"""Roles whose words, alone in a cell without a colon, are a label and never a name: a key announcing a name
("Trade name", "HANDELSNAME": e-invoice viewers and forms print them so), the label of a reference or number
("Vos références", "Your order"), the label of an address ("Anschrift")."""


@lru_cache(maxsize=8192)
def is_label_only(text: str) -> bool:
    """Whether the cell is only a label of LABEL_ONLY_ROLES."""
    stripped = _TRAILING_RE.sub("", text.strip())
    return any(_fills(role, stripped) for role in LABEL_ONLY_ROLES)


def _fills(role: str, text: str) -> bool:
    """Whether a word of the role is the whole text."""
    m = vocabulary()[role].match(text)
    return m is not None and m.end() == len(text)


def _name_key_before(text: str) -> int | None:
    """Where the name starts in a cell that begins with a key announcing it, without a colon, the two run
    together ("Trade name ACME Ltd"); None otherwise. The key must be followed by a name with its own capital
    (or digit): "Name" in "Namestone Ltd" is not a key, nor is a key word that starts a sentence. Only the keys
    that never begin a name themselves count (name_key_bare: not "Société Générale")."""
    m = vocabulary()["name_key_bare"].match(text)
    if m is None or m.end() >= len(text) or not text[m.end()].isspace():
        return None
    start = len(text) - len(text[m.end():].lstrip())
    return start if text[start:start + 1].isupper() or text[start:start + 1].isdigit() else None


KEY_REPAIR_ROLES = (*HEADING_ROLES, "name_key", "name_key_bare")
"""Roles whose words, misread by OCR at the start of a cell, repair_key_words puts right."""
_REPAIR_MIN_LETTERS = 7
"""Shorter words are left as read: one letter off, they are too often another word (a name: "Keller", "seller")."""
_REPAIR_WORDS = 4
"""Words at the start of a cell that may be a key."""
_CHAR_CLASS_RE = re.compile(r"\[([^\]\\])[^\]]*\]")
_WORD_RE = re.compile(r"[^\W\d_]+")


@cache
def _key_words() -> dict[int, tuple[str, ...]]:
    """The lexicon's words of KEY_REPAIR_ROLES with at least _REPAIR_MIN_LETTERS letters, folded,
    by length ("rechnung", "intestatario")."""
    data = json.loads(ROLES_FILE.read_text(encoding="utf-8"))["roles"]
    found: set[str] = set()
    for role in KEY_REPAIR_ROLES:
        for patterns in data[role].values():
            for pattern in patterns:
                # A character class stands for its first letter ("k[äa]ufer": "käufer"); what is
                # left of the regular expression's syntax separates words.
                plain = _CHAR_CLASS_RE.sub(r"\1", pattern.replace("\\s", " "))
                found.update(fold(w) for w in _WORD_RE.findall(plain) if len(w) >= _REPAIR_MIN_LETTERS)
    by_length: dict[int, list[str]] = {}
    for word in sorted(found):
        by_length.setdefault(len(word), []).append(word)
    return {n: tuple(words) for n, words in by_length.items()}


def _closest_key_word(word: str) -> str | None:
    """The key word the OCR'd word differs from in one letter (two from ten letters on), when
    just one is that close; None for a word that is a key word already or none is."""
    folded = fold(word)
    if len(folded) != len(word):
        return None  # a letter folding changes the length of ("ß"): compared as read, not repaired
    candidates = _key_words().get(len(folded), ())
    if folded in candidates:
        return None
    allowed = 1 if len(folded) < 10 else 2
    close = [k for k in candidates if sum(a != b for a, b in zip(folded, k, strict=True)) <= allowed]
    return close[0] if len(close) == 1 else None


@lru_cache(maxsize=8192)
def repair_key_words(text: str) -> str:
    """The cell with the key words OCR misread at its start put right, where the repaired start
    then reads as a role word or a name key ("RECHNUNC AN ACME" -> "RECHNUNG AN ACME"); otherwise
    the cell as read. Same length as the cell, so offsets into it still hold; case is kept."""
    repaired = text
    last_end = 0
    for m in list(_WORD_RE.finditer(text))[:_REPAIR_WORDS]:
        key = _closest_key_word(m.group())
        if key is None:
            continue
        word = "".join(k.upper() if c.isupper() else k for c, k in zip(m.group(), key, strict=True))
        repaired = repaired[: m.start()] + word + repaired[m.end() :]
        last_end = m.end()
    if not last_end:
        return text
    role = heading(repaired)
    named = vocabulary()["name_key"].match(repaired) or vocabulary()["name_key_bare"].match(repaired)
    reach = max(role[1] if role else 0, named.end() if named else 0)
    return repaired if reach >= last_end else text


def with_key_words_repaired(page: PageText) -> PageText:
    """The page with the key words OCR misread at the start of its cells put right
    (repair_key_words), word by word, so that every reader of the page sees them right; the page
    itself when nothing changed. Only words OCR read (with a confidence) are touched."""
    lines = []
    for line in page.lines:
        text, spans = line.layout()
        words = line.words
        for first, last in line.cell_words():
            start, end = spans[first][0], spans[last - 1][1]
            if any(w.confidence is not None for w in words[first:last]):
                fixed = repair_key_words(text[start:end])
                if fixed != text[start:end]:
                    words = [
                        replace(w, text=fixed[s - start : e - start]) if first <= j < last else w
                        for j, (w, (s, e)) in enumerate(zip(words, spans, strict=True))
                    ]
        lines.append(line if words is line.words else TextLine(words))
    if all(new is old for new, old in zip(lines, page.lines, strict=True)):
        return page
    return replace(page, lines=lines)


@lru_cache(maxsize=8192)
def is_salutation(text: str) -> bool:
    """Whether the cell is only a title before the name on the next line ("Herrn", "Firma", "Mme")."""
    return _fills("salutation", text.strip())


def names_a_street(text: str) -> bool:
    """Whether the text holds a word of a street address ("Rue", "Keizersgracht", "Schillerstraße")."""
    return vocabulary()["street"].search(text) is not None


def starts_with_salutation(name: str) -> bool:
    m = vocabulary()["salutation"].match(name)
    return m is not None and m.end() < len(name)


def without_salutation(name: str) -> str | None:
    """The name after its leading title ("Herrn Max Muster": "Max Muster"), None when it has none."""
    m = vocabulary()["salutation"].match(name)
    return name_text(name[m.end() :]) if m and m.end() < len(name) else None


def two_line_name(first: str, second: str) -> str | None:
    """A name printed over two lines ("Musterhafte Versicherung" / "Verein Musterstadt a.G.",
    "Herrn" / "Max Muster"), or None when either line holds a digit or a colon."""
    joined = f"{first.strip()} {second.strip()}"
    if _DIGIT_OR_COLON_RE.search(joined) or _CONTACT_RE.search(joined):
        return None
    return joined if len(joined.split()) <= 8 and name_text(joined) == joined else None


@lru_cache(maxsize=8192)
def name_text(text: str) -> str | None:
    """The text as a name, or None when it cannot be one (no letters, a long sentence)."""
    text = _TRAILING_RE.sub("", _NAME_PREFIX_RE.sub("", text.strip()))
    if len(text) < 2 or text.count(" ") > 7 or not (text[0].isalnum() or text[0] in "&'\"("):
        return None
    letters = len(_LETTER_RE.findall(text))
    if letters < 2 or len(_DIGIT_RE.findall(text)) > 2 * letters:
        return None
    if len(_LETTER_RE.findall(_LEGAL_FORM_RE.sub("", text))) < 3:
        return None  # a legal form alone ("GmbH & Co.")
    if fold(text.split()[-1]) in FUNCTION_WORDS and " " in text:
        return None  # a label cut by a line break ("N° de", "Period of"): names end in a noun
    return text


def pieces(text: str) -> int:
    """How many " · "-separated pieces the cell has (a one-line address or legal line has several)."""
    return len(_PIECE_SPLIT_RE.findall(text)) + 1


@lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    """The name as compared across the page: case, accents, punctuation and a trailing legal form
    ignored ("ACME S.A.R.L." and "Acme" are one key)."""
    stripped = name
    for _ in range(2):
        forms = list(_LEGAL_FORM_RE.finditer(stripped))
        if forms and forms[-1].end() >= len(stripped.rstrip(" .,")) and forms[-1].start() > 0:
            stripped = stripped[: forms[-1].start()]
    return " ".join(re.findall(r"[a-z0-9]+", fold(stripped).replace("&", " ")))


@cache
def label_words() -> frozenset[str]:
    """The words of the reader's labels and headings (invoice_reader/lexicon: field, total and
    column labels, party headings and reference words, document titles), folded, of three letters
    or more. A name is seldom made of them; a label, a heading or a sentence is ("Vos références",
    "Suivi par", "Factura simplificada")."""
    variants = [label.pattern.pattern for label in (*FIELD_LABELS, *TOTAL_LABELS, *COLUMN_LABELS)]
    columns = json.loads(TABLE_LEXICON.read_text(encoding="utf-8"))["columns"]
    variants += [v for entry in columns for v in entry["variants"]]
    roles = json.loads(ROLES_FILE.read_text(encoding="utf-8"))["roles"]
    for role in (*HEADING_ROLES, *LABEL_ONLY_ROLES):
        variants += [w for by_language in roles[role].values() for w in by_language]
    kinds = json.loads(KINDS_FILE.read_text(encoding="utf-8"))["kinds"]
    variants += [w for kind in kinds.values() for by_language in kind["title"].values() for w in by_language]
    found = set()
    for variant in variants:
        plain = re.sub(r"\[([^\]])[^\]]*\]", r"\1", variant)  # a class: its first letter ("d[ée]signation")
        plain = re.sub(r"\\[a-zA-Z]|\{[^}]*\}", " ", plain)  # escapes and counts
        # Folded as names' words are compared with them (party_candidates._name_shape): ß as ss.
        found.update(w for w in re.findall(r"[^\W\d_]{3,}", fold_word(plain)))
    return frozenset(found)


def fold(text: str) -> str:
    """Lower case without accents."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def is_legal_form(text: str) -> bool:
    """Whether the text is a legal form alone ("GmbH", "S.A.S.", "OG")."""
    return _LEGAL_FORM_RE.fullmatch(text.strip()) is not None


def has_legal_form(name: str) -> bool:
    return _LEGAL_FORM_RE.search(name) is not None
