"""The words invoices print before their fields, in English, French, German, Dutch, Italian and Spanish.

The vocabulary is data: invoice_reader/lexicon/labels.toml lists, per field kind and language, the
label variants and their weight (how surely the label announces that field: "Total TTC" surely is
the total with VAT; a bare "Total" usually is). It is read once, when this module is imported, into
four vocabularies: TOTAL_LABELS, FIELD_LABELS, COLUMN_LABELS and AMOUNT_DUE_LABELS. Phrases that must
not be read as a field (a VAT *number*, a customer *number*) have the kind 'ignore' so that, being
longer, they win over the shorter label; their `announces` says what they do announce.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

LEXICON = Path(__file__).with_name("lexicon") / "labels.toml"
LANGUAGES = ("en", "fr", "de", "nl", "it", "es")
"""The languages the lexicon covers; its entries say 'any' for words shared by several."""


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    weight: float
    pattern: re.Pattern[str]
    announces: str | None = None
    """For an 'ignore' label, what it announces instead (customer_number, vat_id...)."""
    lang: str = "any"
    anchors: frozenset[str] | None = None
    """Lower-case strings one of which every match contains; None when the pattern has none. A
    line without any is not searched (most lines hold no label, and searching is the cost)."""

    @property
    def field(self) -> str:
        """What the label announces: its kind, or for an 'ignore' label what it names instead."""
        return self.announces or self.kind


@dataclass(frozen=True, slots=True)
class LabelMatch:
    kind: str
    weight: float
    start: int
    end: int
    announces: str | None = None

    @property
    def field(self) -> str:
        """What the label announces: its kind, or for an 'ignore' label what it names instead."""
        return self.announces or self.kind


_WORD_END = r"(?:(?<![\w])|(?![\w]))"


class LexiconError(ValueError):
    """The label lexicon (invoice_reader/lexicon/labels.toml) is malformed: fix the entry named."""


def _one_cell(pattern: str) -> str:
    """The pattern with its spaces limited to one: two spaces separate table cells (see
    TextLine.layout_text), and a label never spans two cells."""
    return pattern.replace(r"\s*", r"(?:\s(?!\s))?").replace(r"\s+", r"\s(?!\s)")


def _expand(pattern: str, pieces: dict[str, str]) -> str:
    return re.sub(r"<([A-Z_]+)>", lambda m: pieces[m.group(1)], pattern)


def load_vocabulary(lexicon: dict, name: str) -> tuple[Label, ...]:
    """The labels of one vocabulary of the lexicon (its [[name]] entries), in file order: one Label
    per entry, its variants tried in order. Raises LexiconError for a malformed entry."""
    pieces = lexicon.get("patterns", {})
    labels = []
    for number, entry in enumerate(lexicon.get(name, ()), 1):
        try:
            variants = "|".join(_expand(v, pieces) for v in entry["variants"])
            # Whole words only; a label ending in punctuation ("n°", "Nr.") may touch its value.
            pattern = re.compile(rf"(?<![\w])(?:{_one_cell(variants)}){_WORD_END}", re.I)
            lang = entry.get("lang", "any")
            if lang not in (*LANGUAGES, "any"):
                raise ValueError(f"unknown language {lang!r}")
            labels.append(
                Label(entry["kind"], float(entry["weight"]), pattern, entry.get("announces"), lang, _anchors(pattern))
            )
        except (KeyError, ValueError, re.error) as e:
            raise LexiconError(f"{LEXICON.name}: [[{name}]] entry {number} ({entry.get('kind')}): {e}") from e
    return tuple(labels)


def _anchors(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of the pattern contains (lower-cased), read from its
    parse tree: the longest literal run that every match must print, or None."""
    try:
        from re import _constants as c
        from re import _parser

        found = _required(_parser.parse(pattern.pattern, pattern.flags), c)
    except Exception:  # noqa: BLE001 - another Python's parser: search every line, as before
        return None
    return frozenset(found) if found else None


def _required(items, c) -> set[str] | None:
    """One set of strings, one of which must occur in any match of this sequence of regex
    items; the set whose shortest string is longest. None when no such set is known."""
    choices: list[set[str]] = []
    run = {""}

    def close_run() -> None:
        nonlocal run
        if min(map(len, run)) > 0:
            choices.append(run)
        run = {""}

    for op, value in items:
        if op is c.LITERAL:
            run = {r + chr(value).lower() for r in run}
        elif op is c.IN and len(value) <= 4 and all(o is c.LITERAL for o, _ in value) and len(run) <= 8:
            run = {r + chr(v).lower() for r in run for _, v in value}
        elif op in (c.ASSERT, c.ASSERT_NOT, c.AT):
            continue  # matches no characters
        else:
            close_run()
            if op is c.SUBPATTERN:
                inner = _required(value[-1], c)
            elif op is c.BRANCH:
                alternatives = [_required(branch, c) for branch in value[1]]
                inner = set().union(*alternatives) if all(alternatives) else None
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and value[0] >= 1:
                inner = _required(value[2], c)
            else:
                inner = None
            if inner:
                choices.append(inner)
    close_run()
    return max(choices, key=lambda s: (min(map(len, s)), -len(s)), default=None)


def _load() -> dict:
    with LEXICON.open("rb") as f:
        return tomllib.load(f)


_LEXICON = _load()

TOTAL_LABELS = load_vocabulary(_LEXICON, "totals")
"""Labels of the three totals; kinds total_without_vat, total_vat, total_with_vat."""

FIELD_LABELS = load_vocabulary(_LEXICON, "fields")
"""Labels of the identity fields: invoice_number, date, due_date, customer, seller, currency; and,
as 'ignore', the other references printed the same way (customer and order numbers, VAT ids...)."""

COLUMN_LABELS = load_vocabulary(_LEXICON, "columns")
"""Column headings of a line-item table."""

AMOUNT_DUE_LABELS = load_vocabulary(_LEXICON, "amount_due")
"""Labels of the amount left to pay (after prepayments), which may differ from the total, and of
what is deducted before it (kinds prepaid, discount)."""


def find_labels(text: str, labels: tuple[Label, ...]) -> list[LabelMatch]:
    """The labels in text, left to right, without overlaps: where two overlap, the longer wins
    (so "Total HT" is not read as "Total"), then the heavier. Matches of kind 'ignore' are
    kept: they end the value of the label before them."""
    key = (id(labels), text)
    cached = _FOUND.get(key)
    if cached is None:
        if len(_FOUND) >= LABEL_CACHE_SIZE:
            _FOUND.clear()
        cached = _FOUND[key] = tuple(_find_labels(text, labels))
    return list(cached)


def _anchors_of(labels: tuple[Label, ...]) -> tuple[str, ...]:
    """Every anchor of the vocabulary, each once: looked for once per line."""
    known = _ANCHORS.get(id(labels))
    if known is None or known[0] is not labels:
        if len(_ANCHORS) >= 64:
            _ANCHORS.clear()  # vocabularies joined on the fly ("FIELD_LABELS + TOTAL_LABELS")
        known = _ANCHORS[id(labels)] = (labels, tuple({a for label in labels for a in label.anchors or ()}))
    return known[1]


_ANCHORS: dict[int, tuple[tuple[Label, ...], tuple[str, ...]]] = {}
LABEL_CACHE_SIZE = 50_000
"""Lines whose labels are kept: several stages label the same lines with the same vocabulary."""
_FOUND: dict[tuple[int, str], tuple[LabelMatch, ...]] = {}


def _find_labels(text: str, labels: tuple[Label, ...]) -> list[LabelMatch]:
    lower = text.lower()
    anchors = _anchors_of(labels)
    present = {a for a in anchors if a in lower}
    found = [
        LabelMatch(label.kind, label.weight, m.start(), m.end(), label.announces)
        for label in labels
        if label.anchors is None or not present.isdisjoint(label.anchors)
        for m in label.pattern.finditer(text)
        if m.end() > m.start() and "  " not in m.group(0)  # a label never spans two cells
    ]
    found.sort(key=lambda m: (-(m.end - m.start), -m.weight, m.start))
    chosen: list[LabelMatch] = []
    for match in found:
        if all(match.end <= c.start or c.end <= match.start for c in chosen):
            chosen.append(match)
    chosen.sort(key=lambda m: m.start)
    return chosen
