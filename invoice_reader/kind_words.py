"""The words that name a kind of document ('Invoice', 'Rechnungskorrektur', 'Lieferschein'), found in a line.

The vocabulary is data: lexicon/document_kinds.json lists, per kind and language, the titles a
document prints and the phrases its body uses. Matching is made robust the cheap way:
- case, accents and punctuation are folded ('Facture n°' and 'FACTURE N' read alike, 'ß' as 'ss');
- letter-spaced words are joined ('R E C H N U N G' reads 'rechnung');
- compound words match by their ending or start ('*rechnung' takes 'Stromrechnung');
- OCR confusions of shape are folded on both sides (l, 1 and i; 0 and o; 'rn' and 'm'), and a
  long title word may differ by one letter ('Rechnunq').
Where several entries could start at a word, the longest wins ('order confirmation' over 'order',
'this is not an invoice' over 'invoice').
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LEXICON = Path(__file__).with_name("lexicon") / "document_kinds.json"
FUZZY_MIN_LENGTH = 7
"""Title words at least this long are found with one letter wrong, added or missing."""
SPACED_MIN_LETTERS = 3
"""This many single letters in a row are one letter-spaced word."""

_TRANSLATE = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "º": " ", "°": " "})
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_SHAPES = str.maketrans({"l": "i", "1": "i", "0": "o"})


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of document in the lexicon."""

    name: str
    type: str
    """'invoice' or 'other'."""


@dataclass(frozen=True, slots=True)
class KindWord:
    """Words of a line that belong to the lexicon."""

    names: tuple[str, ...]
    """The kinds (or cues, e.g. 'not_invoice') the words name."""
    role: str
    """'title', 'body' or 'cue'."""
    start: int
    """First and past-last token of the line."""
    end: int
    letters: int
    """How many letters the words cover."""
    fuzzy: bool = False
    """Found only with one letter wrong."""


@dataclass(frozen=True)
class Lexicon:
    kinds: dict[str, Kind]
    phrases: dict[str, list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]]
    """First token -> (tokens, ((role, name), ...)), longest first."""
    suffixes: tuple[tuple[str, str, str], ...]
    """(ending, role, name) of compound entries, longest ending first."""
    prefixes: tuple[tuple[str, str, str], ...]
    fuzzy: dict[str, tuple[str, ...]]
    """One-deletion variant of a long single-word title -> the titles it may be."""
    not_compounds: tuple[str, ...]
    vocabulary: frozenset[str]
    """Every token of the lexicon, to split letter-spaced runs ('invoiceno')."""
    einvoice_kinds: dict[str, str]
    """UNTDID 1001 document type code -> kind."""

    def of_type(self, document_type: str) -> list[str]:
        return [name for name, kind in self.kinds.items() if kind.type == document_type]


def fold(text: str) -> str:
    """Lower case, without accents, 'ß' as 'ss', degree and ordinal signs as spaces."""
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
    return "".join(c for c in text if not unicodedata.combining(c))


def tokens(text: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """The folded words of text, letter-spaced runs joined (and split again at lexicon words),
    OCR shapes folded."""
    raw = _TOKEN_RE.findall(fold(text))
    out: list[str] = []
    i = 0
    while i < len(raw):
        j = i
        while j < len(raw) and len(raw[j]) == 1 and raw[j].isalpha():
            j += 1
        if j - i >= SPACED_MIN_LETTERS:
            out += _segment("".join(raw[i:j]), vocabulary)
            i = j
        else:
            out.append(raw[i])
            i += 1
    return [_shape(token) for token in out]


def _shape(token: str) -> str:
    if token.isdigit():
        return token
    letters = sum(c.isalpha() for c in token)
    if letters < 2:
        return token
    return token.translate(_SHAPES).replace("rn", "m")


def _segment(run: str, vocabulary: frozenset[str]) -> list[str]:
    """A joined letter-spaced run cut into lexicon words where it starts with one ('invoiceno')."""
    parts: list[str] = []
    while run:
        cut = next((n for n in range(len(run), 1, -1) if _shape(run[:n]) in vocabulary), 0)
        if not cut or cut == len(run):
            parts.append(run)
            break
        parts.append(run[:cut])
        run = run[cut:]
    return parts


def find_kind_words(text: str, fuzzy: bool = False) -> tuple[list[str], list[KindWord]]:
    """The line's folded tokens and the lexicon entries found in them, left to right, without
    overlaps. fuzzy: also take a long title word with one letter wrong (the title zone only)."""
    lexicon = load_lexicon()
    words = tokens(text, lexicon.vocabulary)
    found: list[KindWord] = []
    i = 0
    while i < len(words):
        match = _match_at(lexicon, words, i, fuzzy)
        if match is None:
            i += 1
            continue
        found.append(match)
        i = match.end
    return words, found


def _match_at(lexicon: Lexicon, words: list[str], i: int, fuzzy: bool) -> KindWord | None:
    word = words[i]
    for phrase, entries in lexicon.phrases.get(word, ()):
        if tuple(words[i : i + len(phrase)]) == phrase:
            return _word(entries, i, i + len(phrase), sum(map(len, phrase)))
    if len(word) < 4 or word.endswith(lexicon.not_compounds):
        return None
    for ending, role, name in lexicon.suffixes:
        if len(word) > len(ending) and word.endswith(ending):
            return KindWord((name,), role, i, i + 1, len(word))
    for start, role, name in lexicon.prefixes:
        if len(word) > len(start) and word.startswith(start):
            return KindWord((name,), role, i, i + 1, len(word))
    if fuzzy and len(word) >= FUZZY_MIN_LENGTH:
        for variant in (word, *(word[:k] + word[k + 1 :] for k in range(len(word)))):
            for title in lexicon.fuzzy.get(variant, ()):
                entries = dict(lexicon.phrases[title])[(title,)]
                return _word(entries, i, i + 1, len(word), fuzzy=True)
    return None


def _word(entries: tuple[tuple[str, str], ...], start: int, end: int, letters: int, fuzzy: bool = False) -> KindWord:
    # An entry may be a title of one kind and a body phrase of another: the title counts.
    roles = [role for role, _ in entries]
    role = "title" if "title" in roles else roles[0]
    return KindWord(tuple(name for r, name in entries if r == role), role, start, end, letters, fuzzy)


@cache
def load_lexicon(path: Path = LEXICON) -> Lexicon:
    """The lexicon, compiled once per process. Raises ValueError when an entry folds to the same
    words for two kinds in the same role (the file would say two things)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    kinds = {name: Kind(name, spec["type"]) for name, spec in data["kinds"].items()}
    entries: dict[tuple[str, ...], dict[str, set[str]]] = {}
    suffixes, prefixes = [], []

    def add(role: str, name: str, by_language: dict[str, list[str]]) -> None:
        for phrases in by_language.values():
            for phrase in phrases:
                if phrase.startswith("*") or phrase.endswith("*"):
                    stem = _shape("".join(tokens(phrase.strip("*"))))
                    (suffixes if phrase.startswith("*") else prefixes).append((stem, role, name))
                    continue
                key = tuple(tokens(phrase))
                if key:
                    entries.setdefault(key, {}).setdefault(role, set()).add(name)

    for name, spec in data["kinds"].items():
        add("title", name, spec.get("title", {}))
        add("body", name, spec.get("body", {}))
    for name, by_language in data.get("cues", {}).items():
        add("cue", name, by_language)
    clashes = [(key, role, names) for key, roles in entries.items() for role, names in roles.items() if len(names) > 1]
    if clashes:
        raise ValueError(f"{path.name}: entries naming two kinds: {clashes[:5]}")
    phrases: dict[str, list] = {}
    for key, roles in entries.items():
        flat = tuple((role, name) for role, names in sorted(roles.items(), key=lambda r: r[0] != "title") for name in names)
        phrases.setdefault(key[0], []).append((key, flat))
    for options in phrases.values():
        options.sort(key=lambda option: -len(option[0]))
    fuzzy: dict[str, set[str]] = {}
    for key, roles in entries.items():
        if len(key) == 1 and "title" in roles and len(key[0]) >= FUZZY_MIN_LENGTH:
            word = key[0]
            for variant in (word, *(word[:k] + word[k + 1 :] for k in range(len(word)))):
                fuzzy.setdefault(variant, set()).add(word)
    vocabulary = frozenset(token for key in entries for token in key) | {stem for stem, _, _ in suffixes + prefixes}
    return Lexicon(
        kinds=kinds,
        phrases=phrases,
        suffixes=tuple(sorted(suffixes, key=lambda s: -len(s[0]))),
        prefixes=tuple(sorted(prefixes, key=lambda s: -len(s[0]))),
        fuzzy={variant: tuple(sorted(titles)) for variant, titles in fuzzy.items()},
        not_compounds=tuple(_shape("".join(tokens(word))) for word in data.get("not_compounds", [])),
        vocabulary=vocabulary,
        einvoice_kinds=dict(data.get("einvoice_type_codes", {})),
    )
