"""Who sells and who buys. Every name printed in the page's blocks is a candidate
(invoice_reader/party_candidates.py); two logistic models score it as the seller
(`party_provider`) and as the buyer (`party_customer`); the pair of two different names whose
probabilities multiply to the most wins.

    parties = find_parties(pages)
    parties.provider.name, parties.provider.line   # the name and the line it was read on

The weights come from benchmarks/train.py (benchmarks/train_parties.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .learned import best_pair, load_model
from .parties import _same_party, company_names
from .party_candidates import PAGES_READ, Candidate, party_candidates
from .party_words import has_legal_form, name_key, without_salutation
from .text_lines import PageText

PROVIDER_MODEL, CUSTOMER_MODEL = "party_provider", "party_customer"
TOP_NAMES = 6
"""Names per role considered for the best pair."""
MIN_PROBABILITY = {"provider": 0.01, "customer": 0.05}
"""A role's name must score at least this; no name at all weighs as a name that scores this. Every
invoice has a seller, so its floor is low (0.02 until the models of 2026-12-05 scored a seller named only
as the account holder 0.018); till receipts and some bills name no buyer (chosen on the dev documents)."""


@dataclass(frozen=True, slots=True)
class PartyName:
    """A name chosen for a role, and where it was printed."""

    name: str
    line: int
    """Index of its line in the document's lines (all pages, in order)."""
    start: int
    """Offsets of the name in the line's layout_text() (a name over two lines: from its first line)."""
    end: int
    probability: float


@dataclass(frozen=True, slots=True)
class Parties:
    provider: PartyName | None
    customer: PartyName | None


def find_parties(pages: list[PageText]) -> Parties:
    """The seller and the buyer of the document, each None when no name scores well enough.
    Raises learned.ModelMissing when the model files are not there."""
    parties = choose_parties(party_candidates(pages))
    later = _later_company_names(pages)
    return Parties(_registered_later(parties.provider, later), _registered_later(parties.customer, later))


def choose_parties(candidates: list[Candidate]) -> Parties:
    """The best pair of different names by the product of their two probabilities; a name's
    probability for a role is its best candidate's."""
    provider_model, customer_model = load_model(PROVIDER_MODEL), load_model(CUSTOMER_MODEL)
    best: dict[str, dict[str, tuple[float, Candidate]]] = {"provider": {}, "customer": {}}
    for candidate in candidates:
        for role, model in (("provider", provider_model), ("customer", customer_model)):
            p = model.score(candidate.features)
            held = best[role].get(candidate.key)
            if held is None or p > held[0]:
                best[role][candidate.key] = (p, candidate)
    ranked = {role: sorted(by_key.values(), key=lambda pc: -pc[0])[:TOP_NAMES] for role, by_key in best.items()}
    chosen = best_pair(
        ranked["provider"],
        ranked["customer"],
        (MIN_PROBABILITY["provider"], MIN_PROBABILITY["customer"]),
        lambda seller, buyer: seller.key == buyer.key or _same_party(seller.name, buyer.name),
    )
    provider = _registered(chosen[0], candidates, chosen[1])
    customer = _registered(chosen[1], candidates, chosen[0])
    return Parties(_party(provider), _party(customer))


def _registered(
    option: tuple[float, Candidate] | None, candidates: list[Candidate], other: tuple[float, Candidate] | None
) -> tuple[float, Candidate] | None:
    """The chosen name as the page prints it in full with its legal form, where it does: the
    registered name. "Acme" in the address and "Acme S.L." in the footer; a shop's trade name at
    the top and "Acme Bakery Smith Ltd" at the foot (the name begins the registered one). Never
    the other party's name."""
    if option is None:
        return option
    chosen = option[1]
    taken = other[1].key if other else None
    if has_legal_form(chosen.name):
        return option
    words = chosen.key.split()
    fuller = []
    for candidate in candidates:
        if not has_legal_form(candidate.name):
            continue
        if candidate.key == chosen.key:
            return (option[0], candidate)
        longer = candidate.key.split()
        if len(longer) > len(words) and longer[: len(words)] == words and candidate.key != taken:
            fuller.append(candidate)
    if not fuller:
        return option
    return (option[0], min(fuller, key=lambda c: (len(c.key), c.segment.line)))


def _later_company_names(pages: list[PageText]) -> list[tuple[str, int, int]]:
    """(name, line, offset) of each company name with its legal form printed on the pages that hold no
    candidates (after PAGES_READ): a legal footer on the last page."""
    found = []
    line = sum(len(page.lines) for page in pages[:PAGES_READ])
    for page in pages[PAGES_READ:]:
        for text_line in page.lines:
            text = text_line.layout_text()
            for name in company_names(text):
                name = name.rstrip(",")
                start = text.find(name)
                if start >= 0:
                    found.append((name, line, start))
            line += 1
    return found


def _registered_later(party: PartyName | None, later: list[tuple[str, int, int]]) -> PartyName | None:
    """The chosen name as a later page prints it with its legal form ("Acme" on the first page, "Acme Ltd" in
    the legal footer of the last), where one does and the first pages did not."""
    if party is None or has_legal_form(party.name):
        return party
    key = name_key(party.name)
    for name, line, start in later:
        if name_key(name) == key:
            return PartyName(name, line, start, start + len(name), party.probability)
    return party


def _party(option: tuple[float, Candidate] | None) -> PartyName | None:
    if option is None:
        return None
    p, candidate = option
    name, start = candidate.name, candidate.start
    bare = without_salutation(name)
    if bare:  # the person, not their title: "Sig.ra Francesca Conti" is Francesca Conti
        start += name.index(bare)
        name = bare
    return PartyName(name, candidate.segment.line, start, start + len(name), p)
