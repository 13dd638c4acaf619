"""Which language a document is written in, from its words: to choose the Tesseract languages a
scan is read with, and to say the document's language in the result.

Each language has a short list of common words (function words and general invoice vocabulary,
lexicon/stopwords.json). A text's words are folded (lower case, accents dropped, ß as ss, so
that a reading by the English model, which has no umlauts, still counts) and each word found
in k of the lists counts 1/k for each of them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

AUTO = "auto"
"""The OCR_LANGUAGES value that means: every installed language of AUTO_ORDER."""
AUTO_ORDER = ("fra", "eng", "deu", "nld", "ita", "spa")
"""The languages 'auto' picks from, in this order when evidence is too weak to choose (the first
two installed are then used: fra+eng, as the setting's default was before 'auto')."""
MIN_EVIDENCE = 6.0
"""Weighted lexicon words a text needs before its languages are chosen from it; with fewer (a
page with a handful of words, a probe of an upside-down page) the fallback is used."""
SECOND_LANGUAGE_SHARE = 0.4
"""A second language that scores at least this share of the first is read too (a bilingual
invoice); otherwise the second is COMPANION."""
COMPANION = "eng"
"""The second language of a document whose words show only one: invoices in any language carry
English words (IBAN, product and service names, e-mail), and Tesseract reads a page better with a
second model to fall back on. On the 24 dev scans the mean word confidence was 82.4 with eng
alone, 84.6 with fra alone and 79.9 with deu alone against 86.3 with fra+eng, and German pages
read with deu alone lost up to 15 points where deu+eng did not."""
MAX_CHOSEN = 2

_LEXICON_PATH = Path(__file__).with_name("lexicon") / "stopwords.json"
_WORD_RE = re.compile(r"[a-z]{2,}")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    data = json.loads(_LEXICON_PATH.read_text(encoding="utf-8"))
    return {lang: frozenset(words) for lang, words in data["words"].items()}, data["iso639_1"]


def lexicon_languages() -> frozenset[str]:
    """The Tesseract languages that have a word list."""
    return frozenset(_lexicon()[0])


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Every word of the word lists, all languages together (folded, see fold)."""
    return frozenset().union(*_lexicon()[0].values())


def iso_code(language: str) -> str | None:
    """The ISO 639-1 code of a Tesseract language ('deu' -> 'de'), None when unknown."""
    return _lexicon()[1].get(language)


def fold(text: str) -> str:
    """Lower case without accents, ß as ss: 'Fällig über Straße' -> 'fallig uber strasse'."""
    text = text.lower().replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def score_languages(text: str, languages: list[str] | tuple[str, ...] | None = None) -> dict[str, float]:
    """Each language's weighted count of lexicon words in text (languages without a word list
    score nothing). A word in the lists of k of the languages counts 1/k for each."""
    words, _ = _lexicon()
    langs = [lang for lang in (languages or list(words)) if lang in words]
    scores = dict.fromkeys(langs, 0.0)
    for token in _WORD_RE.findall(fold(text)):
        owners = [lang for lang in langs if token in words[lang]]
        for lang in owners:
            scores[lang] += 1 / len(owners)
    return {lang: round(score, 2) for lang, score in scores.items()}


@dataclass(frozen=True)
class LanguageChoice:
    """The languages chosen for a text among candidates, and why."""

    languages: tuple[str, ...]
    """Tesseract languages, the likeliest first; empty when the evidence is too weak."""
    scores: dict[str, float]

    @property
    def decided(self) -> bool:
        return bool(self.languages)


def choose_languages(text: str, candidates: list[str] | tuple[str, ...]) -> LanguageChoice:
    """The two candidates to read a text with: the best scoring, then the second best when it
    scores at least SECOND_LANGUAGE_SHARE of the first, else COMPANION (else the next candidate).
    Undecided (no languages) when the text holds fewer than MIN_EVIDENCE weighted lexicon words."""
    candidates = list(candidates)
    scores = score_languages(text, candidates)
    ranked = sorted(scores, key=lambda lang: (-scores[lang], candidates.index(lang)))
    if not ranked or sum(scores.values()) < MIN_EVIDENCE:
        return LanguageChoice((), scores)
    first = ranked[0]
    others = [lang for lang in candidates if lang != first]
    if len(ranked) > 1 and scores[ranked[1]] >= SECOND_LANGUAGE_SHARE * scores[first]:
        second = ranked[1]
    elif COMPANION in others:
        second = COMPANION
    else:
        second = others[0] if others else None
    return LanguageChoice((first, second) if second else (first,), scores)


def guess_language(text: str) -> str | None:
    """The ISO 639-1 code of the language text is written in ('de'), among those with a word
    list; None when the text holds too few of their words."""
    choice = choose_languages(text, sorted(lexicon_languages(), key=_auto_rank))
    return iso_code(choice.languages[0]) if choice.decided else None


def candidate_languages(setting: str, installed: frozenset[str] | set[str]) -> list[str]:
    """The Tesseract languages a setting lets OCR choose from: 'auto' means the installed
    languages of AUTO_ORDER, in that order; otherwise the '+'-separated list as written."""
    setting = setting.strip()
    if setting.lower() == AUTO:
        return [lang for lang in AUTO_ORDER if lang in installed]
    return [lang for lang in re.split(r"[+,\s]+", setting) if lang]


def can_choose(candidates: list[str]) -> bool:
    """Whether a document's languages are to be chosen among candidates: more than MAX_CHOSEN
    of them, all with a word list. Otherwise the candidates are all used, as given."""
    return len(candidates) > MAX_CHOSEN and all(lang in lexicon_languages() for lang in candidates)


def fallback_languages(candidates: list[str]) -> tuple[str, ...]:
    """What a document is read with when its words cannot tell: the first MAX_CHOSEN candidates."""
    return tuple(candidates[:MAX_CHOSEN])


def _auto_rank(language: str) -> int:
    return AUTO_ORDER.index(language) if language in AUTO_ORDER else len(AUTO_ORDER)
