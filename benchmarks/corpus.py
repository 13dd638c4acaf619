"""The shared real-document corpus (../shared/corpus) and its fixed split into a development half
and a held-out half.

    .venv/bin/python benchmarks/corpus.py [--write]

prints the split recomputed from the corpus and the counts per half; `--write` records it in
benchmarks/corpus_split.json. tests/test_corpus_split.py fails when the recorded file and the
recomputation differ, so no document moves between halves without a visible commit.

How the split is made (docs/evaluation.md):
- The unit is a split group, not a file. The ~55 stylesheet renderings in zugferd/ repeat ~20
  example invoices, and the renderings of one invoice do not always agree on the issuer string
  (one profile prints a global id before the name) or on the amounts (profiles that compute the
  tax differently), so the group is the pair (invoice number, invoice date): coarser than the
  distinct-invoice key used for weighting (`invoice_key`), never finer. Every rendering of an
  invoice, and its CII / UBL / JSON / PNG companions, falls in the same half as the invoice.
- Groups are put in strata so that both halves keep each kind of document: invoice2data
  (born-digital PDFs of real vendors), e-invoice stylesheet renderings, e-invoices in their
  issuer's own layout, and XML files with no PDF. Within a stratum the groups are ordered by the
  SHA-256 of `SALT + group` and dealt alternately: even rank -> dev, odd rank -> held-out.
  Nothing about a document's content or score enters the ordering.

The held-out half is for reporting only: no rule, feature, wording or weight may be tuned on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.scoring import normalise_name

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FOLDERS = ("invoice2data", "zugferd", "akretion-factur-x", "horstoeko-zugferd")
SPLIT_FILE = Path(__file__).with_name("corpus_split.json")
SPLIT_VERSION = 1
SALT = "corpus-split-v1:"
HALVES = ("dev", "held-out")
COMPANION_SUFFIXES = (".cii.xml", ".ubl.xml", ".xml", ".json", ".png")
"""A corpus file with one of these endings and no row of its own belongs to the document of its stem."""
NOT_DOCUMENTS = {"README.md", "expected.jsonl", "LICENSE", "LICENSE.md", "LICENSE.txt"}


def read_rows(corpus: Path = CORPUS) -> list[dict]:
    """Every expected.jsonl row, with `folder`, `path` (absolute) and `key` (folder/file) added."""
    rows = []
    for folder in FOLDERS:
        for line in (corpus / folder / "expected.jsonl").read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                row["folder"], row["path"] = folder, str(corpus / folder / row["file"])
                row["key"] = f"{folder}/{row['file']}"
                rows.append(row)
    return rows


def source(row: dict) -> str:
    return "invoice2data" if row["folder"] == "invoice2data" else "e-invoice"


def invoice_key(row: dict) -> tuple:
    """One distinct invoice (the unit of weighting in benchmarks/evaluate.py): its renderings share it."""
    return (normalise_name(row.get("issuer") or ""), row.get("invoice_number"), row.get("amount"), row.get("date"))


def split_group(row: dict) -> str:
    """The unit of the split: invoice number and date (see the module docstring for why not invoice_key)."""
    if row.get("invoice_number") is None or row.get("date") is None:
        return f"file {row['key']}"
    return f"{row['invoice_number']} {row['date']}"


def stratum(row: dict) -> str:
    if row["folder"] == "invoice2data":
        return "invoice2data"
    if row.get("layout") == "xml-stylesheet-rendering":
        return "e-invoice, stylesheet rendering"
    return "e-invoice, issuer layout"


def _stem(name: str) -> str:
    for suffix in COMPANION_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name.rsplit(".", 1)[0]


def _companions(corpus: Path, rows: list[dict]) -> list[tuple[str, dict | None]]:
    """Corpus files without a row of their own -> the row of the document they go with (None: none)."""
    listed = {row["key"] for row in rows}
    by_stem: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        by_stem[(row["folder"], _stem(Path(row["file"]).name))].append(row)
    out = []
    for folder in FOLDERS:
        for path in sorted((corpus / folder).rglob("*")):
            key = f"{folder}/{path.relative_to(corpus / folder).as_posix()}"
            if not path.is_file() or path.name in NOT_DOCUMENTS or key in listed:
                continue
            owners = by_stem.get((folder, _stem(path.name)), [])
            out.append((key, owners[0] if len(owners) == 1 else None))
    return out


def _rank(group: str) -> str:
    return hashlib.sha256((SALT + group).encode()).hexdigest()


def compute_split(corpus: Path = CORPUS) -> dict:
    """The split recomputed from the corpus: {"version", "method", "files": {folder/file: {...}}}."""
    rows = read_rows(corpus)
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)  # group -> [(file key, role)]
    strata: dict[str, str] = {}
    for row in rows:
        group = split_group(row)
        members[group].append((row["key"], "document"))
        strata[group] = min(strata.get(group, stratum(row)), stratum(row))
    for key, owner in _companions(corpus, rows):
        if owner is not None:
            members[split_group(owner)].append((key, "companion"))
        else:  # an XML invoice with no PDF: its CII and UBL forms share a stem, and a group
            group = f"xml {_stem(Path(key).name)}"
            members[group].append((key, "xml"))
            strata[group] = "e-invoice, XML without PDF"
    half_of: dict[str, str] = {}
    for name in sorted(set(strata.values())):
        groups = sorted((g for g, s in strata.items() if s == name), key=_rank)
        for rank, group in enumerate(groups):
            half_of[group] = HALVES[rank % 2]
    files = {
        key: {"half": half_of[group], "group": group, "stratum": strata[group], "role": role}
        for group, keys in members.items()
        for key, role in keys
    }
    return {
        "version": SPLIT_VERSION,
        "method": (
            "group = invoice number + date; strata = invoice2data, e-invoice stylesheet rendering, "
            "e-invoice issuer layout, XML without PDF; within a stratum groups sorted by "
            f"sha256('{SALT}' + group), even rank dev, odd rank held-out (benchmarks/corpus.py)"
        ),
        "files": dict(sorted(files.items())),
    }


def load_split(path: Path = SPLIT_FILE) -> dict:
    return json.loads(path.read_text())


def load_corpus(half: str | None = None, corpus: Path = CORPUS, split_file: Path = SPLIT_FILE) -> list[dict]:
    """The expected.jsonl rows of the corpus, each with `folder`, `path`, `half` and `group`; only
    one half's when `half` is "dev" or "held-out" (None or "all": every row). The halves come from
    the recorded split file; a row it does not list is an error, not a silent dev document."""
    if half not in (None, "all", *HALVES):
        raise ValueError(f"half must be one of {HALVES} or None/'all', not {half!r}")
    files = load_split(split_file)["files"]
    rows = []
    for row in read_rows(corpus):
        entry = files.get(row["key"])
        if entry is None:
            raise LookupError(f"{row['key']} is not in {split_file.name}: run benchmarks/corpus.py --write")
        row["half"], row["group"] = entry["half"], entry["group"]
        if half in (None, "all") or row["half"] == half:
            rows.append(row)
    return rows


def summary(split: dict, corpus: Path = CORPUS) -> list[dict]:
    """Counts per half and source: PDFs, distinct invoices (invoice_key), split groups."""
    files = split["files"]
    counts: dict[tuple[str, str], dict] = defaultdict(lambda: {"pdfs": 0, "invoices": set(), "groups": set()})
    for row in read_rows(corpus):
        entry = files.get(row["key"])
        if entry is None:
            continue
        c = counts[(entry["half"], source(row))]
        c["pdfs"] += row["file"].endswith(".pdf")
        c["invoices"].add(invoice_key(row))
        c["groups"].add(entry["group"])
    return [
        {"half": h, "source": s, "pdfs": c["pdfs"], "invoices": len(c["invoices"]), "groups": len(c["groups"])}
        for (h, s), c in sorted(counts.items())
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"record the recomputed split in {SPLIT_FILE.name}")
    args = parser.parse_args(argv)
    split = compute_split()
    print("| half | source | PDFs | distinct invoices | split groups |\n|---|---|---|---|---|")
    for c in summary(split):
        print(f"| {c['half']} | {c['source']} | {c['pdfs']} | {c['invoices']} | {c['groups']} |")
    if args.write:
        SPLIT_FILE.write_text(json.dumps(split, indent=1, ensure_ascii=False) + "\n")
        print(f"written: {SPLIT_FILE}")
    elif not SPLIT_FILE.exists() or load_split() != split:
        print(f"{SPLIT_FILE.name} differs from the recomputation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
