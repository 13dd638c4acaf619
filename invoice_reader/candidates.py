"""The values on the page that could be a key-value field: every id-like token with a digit (an
invoice or order number) and every date, each with where it is printed.

The features that describe them are in features.py; the models that score them in key_fields.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .amounts import find_dates
from .provenance import PageLines

_ID_TOKEN_RE = re.compile(r"[A-Za-z0-9](?:[\w/.\-]*[A-Za-z0-9])?")
_GLUED_LABEL_RE = re.compile(r"^[^\d:#]{1,12}[:#]\s*(?=\w)")
"""'Nr:4711', 'No#12': a label glued to its value; the value is what follows."""
_MONEY_RE = re.compile(r"^-?\d{1,3}(?:[.,\s'’]\d{3})*[.,]\d{2}$|^-?\d+[.,]\d{2}$")
MAX_ID_LENGTH = 40
_DATE_SEPARATORS = frozenset("./-")
_PREFIX_WORD_RE = re.compile(r"^[A-Z]{1,4}$")


@dataclass(slots=True)
class Candidate:
    """A value printed on the page that could be a field."""

    kind: str
    """'number' (an id-like token) or 'date'."""
    value: str | date
    text: str
    """As printed."""
    line: int
    """Index in the document's lines (PageLines.lines)."""
    start: int
    end: int
    """Offsets in the line's layout text."""
    x0: float
    x1: float
    top: float
    bottom: float
    features: dict[str, float] = field(default_factory=dict)


def normalise_id(value: str) -> str:
    """An id compared as the scoring compares it: upper case, no spaces, dots or dashes."""
    return re.sub(r"[\s.\-]", "", value).upper()


def number_candidates(where: PageLines, indexes: Iterable[int] | None = None) -> list[Candidate]:
    """Every id-like token with a digit on the lines (all by default), except amounts with cents
    and dates."""
    found = []
    for index in range(len(where.lines)) if indexes is None else indexes:
        line = where.lines[index]
        text, spans = line.layout()
        if not any(c.isdigit() for c in text):
            continue
        for k, (word, (start, end)) in enumerate(zip(line.words, spans, strict=True)):
            token = text[start:end]
            if not any(c.isdigit() for c in token):
                continue
            glued = _GLUED_LABEL_RE.match(token)
            offset = glued.end() if glued else 0
            m = _ID_TOKEN_RE.search(token, offset)
            if m is None:
                continue
            value = m.group(0)
            if (
                not any(c.isdigit() for c in value)
                or len(value) > MAX_ID_LENGTH
                or _MONEY_RE.match(value)
                or (_DATE_SEPARATORS & set(value) and any(d.start == 0 and d.end == len(value) for d in find_dates(value)))
            ):
                continue
            found.append(
                Candidate("number", value, value, index, start + m.start(), start + m.end(), word.x0, word.x1,
                          word.top, word.bottom)
            )
            if value.isdigit() and not m.start() and not glued:
                grouped = _digit_groups(text, spans, k)
                if grouped is not None:  # "5871 7045 09": one number printed in groups
                    last = line.words[k + grouped[2]]
                    found.append(
                        Candidate("number", grouped[0], grouped[0], index, start, grouped[1], word.x0, last.x1,
                                  word.top, max(word.bottom, last.bottom))
                    )
            if glued or m.start() or k == 0:
                continue
            # "BC 525826": a short letter prefix printed apart from its digits is one id.
            prefix_start, prefix_end = spans[k - 1]
            prefix = text[prefix_start:prefix_end]
            if _PREFIX_WORD_RE.match(prefix) and text[prefix_end:start] == " ":
                before = line.words[k - 1]
                joined = text[prefix_start : start + m.end()]
                found.append(
                    Candidate("number", joined, joined, index, prefix_start, start + m.end(), before.x0, word.x1,
                              min(before.top, word.top), max(before.bottom, word.bottom))
                )
    return found


def _digit_groups(text: str, spans: list[tuple[int, int]], k: int) -> tuple[str, int, int] | None:
    """(text, end offset, words after the first) of the run of digit groups that starts at word k and goes
    on over single spaces ("5871 7045 09"), None when word k does not start such a run of two or more."""
    def digits(i: int) -> bool:
        return text[spans[i][0] : spans[i][1]].isdigit()

    if not digits(k) or (k > 0 and digits(k - 1) and text[spans[k - 1][1] : spans[k][0]] == " "):
        return None  # not a group of digits alone ("4,"), or inside a run, not at its start
    last = k
    while last + 1 < len(spans) and digits(last + 1) and text[spans[last][1] : spans[last + 1][0]] == " ":
        last += 1
    if last == k:
        return None
    joined = text[spans[k][0] : spans[last][1]]
    return (joined, spans[last][1], last - k) if len(joined) <= MAX_ID_LENGTH else None


def date_candidates(where: PageLines, day_first: bool, indexes: Iterable[int] | None = None) -> list[Candidate]:
    """Every date printed on the lines (all by default)."""
    found = []
    for index in range(len(where.lines)) if indexes is None else indexes:
        line = where.lines[index]
        text = line.layout_text()
        if not any(c.isdigit() for c in text):
            continue
        for match in find_dates(text, day_first):
            words = line.words_covering(match.start, match.end)
            if not words:
                continue
            found.append(
                Candidate(
                    "date",
                    match.value,
                    text[match.start : match.end],
                    index,
                    match.start,
                    match.end,
                    min(w.x0 for w in words),
                    max(w.x1 for w in words),
                    min(w.top for w in words),
                    max(w.bottom for w in words),
                )
            )
    return found
