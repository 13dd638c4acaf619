"""Labelled documents read as the runners read them, and the fitting of the reader's logistic models.

    docs = read_documents(document_specs("reportlab", "dev", invoices=300, scans=40, others=60))
    weights, bias = fit_logistic(feature_rows, targets)

A document spec names a generator family, a seed and a kind; reading it renders the PDF and runs
`invoice_reader.read_pages` (text layer, OCR for scans), in a pool of worker processes. The pages are
cached under .cache/reader-training/ (keyed by family, seed, kind, the generator's source, the source of
the word types pickled and, for scans, the OCR languages and the source of the OCR code), so
training again after a feature change costs seconds, not the OCR.

Families: 'reportlab' (benchmarks/synthetic.py) and 'html' (benchmarks/synthetic_html, printed by
Chromium). Seeds: 'train' (10000..99999) is what the weights are fitted on; 'dev' (0..999) is what
benchmarks/evaluate.py reads by default, to look at and debug on without scoring the training set;
'held-out' (100000..) is for reporting only, never for fitting or tuning.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "reader-training"
GENERATORS = {"reportlab": "benchmarks.synthetic", "html": "benchmarks.synthetic_html"}
SEED_START = {"dev": 0, "train": 10_000, "held-out": 100_000}
T = TypeVar("T")
OCR_LANGUAGES = os.environ.get("OCR_LANGUAGES", "auto")
"""What scans are read with: the service's default (each document in its own language), so that the
weights learn from the words the runners read."""


@dataclass(frozen=True)
class DocumentSpec:
    family: str
    """'reportlab' or 'html' (a generator), or 'corpus' (a real PDF; seed unused, path set)."""
    seed: int
    kind: str
    """'invoice', 'scanned' or 'lookalike'."""
    path: str | None = None


@dataclass
class ReadDocument:
    """A labelled document as the reader sees it: its pages' words and what is right."""

    spec: DocumentSpec
    labels: dict
    pages: list = field(default_factory=list)
    """invoice_reader.text_lines.PageText, one per page."""
    ocr_pages: frozenset[int] = frozenset()
    error: str | None = None

    @property
    def layout(self) -> str:
        """The layout family within the generator (e.g. 'classic', 'html-utility'), for leave-one-out."""
        return self.labels.get("layout") or self.labels.get("template") or self.spec.family


def document_specs(family: str, seeds: str, *, invoices: int = 0, scans: int = 0, others: int = 0) -> list[DocumentSpec]:
    start = SEED_START[seeds]
    return [
        DocumentSpec(family, start + i, kind)
        for kind, count in (("invoice", invoices), ("scanned", scans), ("lookalike", others))
        for i in range(count)
    ]


def corpus_documents(half: str = "dev", workers: int = 2) -> list[ReadDocument]:
    """The real PDFs of one half of the corpus split (benchmarks/corpus.py), with their annotations as
    labels in the generators' shape. Annotations are incomplete (labels['complete'] is False: a None
    means 'not annotated'), and e-invoice fields that are not printed on the page are left out, since
    the page is what these documents teach. Only the 'dev' half may be trained on."""
    from benchmarks.corpus import load_corpus
    from benchmarks.evaluate import _CORPUS_FIELD, CORPUS_SKIPS, _corpus_expected

    rows = [
        r for r in load_corpus(half)
        if r["path"].endswith(".pdf") and not r.get("visual_xml_mismatch")
        and CORPUS_SKIPS.get(r["file"], ("",))[0] != "*"
    ]
    documents = read_documents([DocumentSpec("corpus", 0, "invoice", path=r["path"]) for r in rows], workers)
    for document, row in zip(documents, rows):
        skipped = CORPUS_SKIPS.get(row["file"], ("",))[0].split()
        fields = _corpus_expected(row)
        printed = row.get("text_layer_check") or {}
        for key, ours in _CORPUS_FIELD.items():
            if printed.get(key) is False or ours in skipped:
                fields[ours] = None
        if "lines" in skipped:
            fields["lines"] = []
        document.labels = {
            "document_type": "other" if "fields" in skipped else "invoice",
            "subtype": fields.get("subtype"),
            "fields": fields,
            "complete": False,
            "scanned": False,
            "family": "corpus",
            "layout": f"corpus-{row['folder']}",
            "pages": len(document.pages),
        }
    return documents


def read_documents(specs: list[DocumentSpec], workers: int = 2) -> list[ReadDocument]:
    """Each spec read (from the cache when it is there), in the order given."""
    if workers <= 1:
        return [read_document(spec) for spec in specs]
    with ProcessPoolExecutor(workers, initializer=_one_thread) as pool:
        return list(pool.map(read_document, specs, chunksize=4))


def read_document(spec: DocumentSpec) -> ReadDocument:
    if spec.path:
        cache = CACHE / f"corpus-{_words_version()}-{hashlib.sha256(spec.path.encode()).hexdigest()[:16]}.pickle"
    else:
        ocr = f"-{OCR_LANGUAGES.replace('+', '_')}-{_ocr_version()}" if spec.kind == "scanned" else ""
        version = f"{_generator_version(spec.family)}-{_words_version()}"
        cache = CACHE / f"{spec.family}-{version}-{spec.kind}{ocr}-{spec.seed}.pickle"
    if cache.exists():
        try:
            return pickle.loads(cache.read_bytes())
        except Exception:  # noqa: BLE001 - a stale or broken cache entry is read again
            pass
    document = _read(spec)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(document))
    tmp.replace(cache)
    return document


def _read(spec: DocumentSpec) -> ReadDocument:
    from invoice_reader import ReadOptions, read_pages
    from invoice_reader.pdf_text import PdfFile

    if spec.path:
        pdf_path, labels, tmp = Path(spec.path), {}, None
    else:
        pdf_bytes, labels = importlib.import_module(GENERATORS[spec.family]).make_document(spec.seed, spec.kind)
        tmp = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)
        tmp.write(pdf_bytes)
        tmp.close()
        pdf_path = Path(tmp.name)
    try:
        with PdfFile.open(pdf_path) as pdf:
            pages, ocr = read_pages(pdf, ReadOptions(ocr_languages=OCR_LANGUAGES))
        return ReadDocument(spec, labels, pages, frozenset(ocr.pages))
    except Exception as e:  # noqa: BLE001 - a document the reader refuses is kept, with why
        return ReadDocument(spec, labels, error=f"{type(e).__name__}: {e}")
    finally:
        if tmp is not None:
            os.unlink(tmp.name)


@functools.cache
def _generator_version(family: str) -> str:
    """A digest of the generator's source files, so that a changed generator is read again: the
    benchmarks/synthetic*.py modules (the reportlab generator and what generators share) and, for a
    generator that is a package (synthetic_html), its own files. One family's edits do not make the
    other's pages be read (and OCR'd) again."""
    source = Path(inspect.getfile(importlib.import_module(GENERATORS[family])))
    files = sorted(Path(__file__).parent.glob("synthetic*.py"))
    if source.name == "__init__.py":
        files += sorted(source.parent.rglob("*.py"))
    return _digest(files)


@functools.cache
def _words_version() -> str:
    """A digest of the word and line types the cache pickles, so that a changed type (a new
    attribute) is read again rather than unpickled without it."""
    return _digest([ROOT / "invoice_reader" / "text_lines.py"])


@functools.cache
def _ocr_version() -> str:
    """A digest of the OCR code (how page images are prepared and read, and the key words
    read_pages puts right on them), so that scans are read again when it changes."""
    names = ("ocr.py", "ocr_engine.py", "scan_cleanup.py", "party_words.py", "lexicon/party_roles.json")
    return _digest([ROOT / "invoice_reader" / name for name in names])


def _digest(files: list[Path]) -> str:
    """The first 12 hex digits of the SHA-256 of the files' bytes, in the order given."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def once_per_document(compute: Callable[[ReadDocument], T]) -> Callable[[ReadDocument], T]:
    """compute(document), remembered for each document object, for what the examples of several
    models (or stages) of one trainer all need."""
    known: dict[int, tuple[ReadDocument, T]] = {}

    @functools.wraps(compute)
    def cached(document: ReadDocument) -> T:
        found = known.get(id(document))
        if found is not None and found[0] is document:
            return found[1]
        value = compute(document)
        known[id(document)] = (document, value)
        return value

    return cached


def _one_thread() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def fit_logistic(
    rows: list[dict[str, float]], targets: list[int], *, l2: float = 1.0, iterations: int = 30
) -> tuple[dict[str, float], float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method), by feature name.

    Deterministic: the same rows give the same weights. Raises ValueError without both classes."""
    import numpy as np

    if not rows or len(set(targets)) < 2:
        raise ValueError("training needs examples of both classes")
    names = sorted({name for row in rows for name in row})
    column = {name: i for i, name in enumerate(names)}
    x = np.zeros((len(rows), len(names) + 1))
    x[:, -1] = 1.0  # bias
    for i, row in enumerate(rows):
        for name, value in row.items():
            x[i, column[name]] = value
    y = np.asarray(targets, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 1e-6  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return {name: float(w[column[name]]) for name in names}, float(w[-1])
