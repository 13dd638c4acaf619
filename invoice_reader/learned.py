"""Learned weights: logistic models over named features, one JSON file each in invoice_reader/models/.

A model scores one candidate (a value on the page that could be a field, a document that could be
an invoice) from its features, a mapping of feature name to number. The weights are written by
`benchmarks/train.py` from labelled documents; nothing here is set by hand. Scoring is a sparse dot
product in plain Python, so the runners need neither numpy nor the training tools.

INVOICE_READER_MODELS names another folder of model files (the evaluation trains on some families
and reads with models that never saw the others).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
MODELS_DIR = Path(__file__).with_name("models")
MODELS_ENV = "INVOICE_READER_MODELS"


class ModelMissing(RuntimeError):
    """A model file of the reader is missing: reinstall the package, or run `benchmarks/train.py`."""


@dataclass(frozen=True)
class LinearModel:
    """P(candidate is right) = logistic(bias + sum of weight x feature value)."""

    name: str
    weights: dict[str, float]
    bias: float
    info: dict = field(default_factory=dict)
    """What it was trained on and when: families, document and example counts, training accuracy."""

    def score(self, features: Mapping[str, float]) -> float:
        """The probability, 0..1, that the candidate with these features is right. Features the
        model has no weight for count for nothing."""
        total = self.bias
        weights = self.weights
        for name, value in features.items():
            weight = weights.get(name)
            if weight is not None and value:
                total += weight * value
        if total >= 0:
            return 1.0 / (1.0 + math.exp(-total))
        exp = math.exp(total)
        return exp / (1.0 + exp)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "bias": round(self.bias, 6),
            "weights": {k: round(v, 6) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-6},
            "info": self.info,
        }

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(json.dumps(self.as_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


_loaded: dict[tuple[str, str], LinearModel] = {}
_lock = threading.Lock()


def models_dir() -> Path:
    """Where the models are read from: INVOICE_READER_MODELS if set, else the package's own."""
    override = os.environ.get(MODELS_ENV)
    return Path(override) if override else MODELS_DIR


def load_model(name: str) -> LinearModel:
    """The model called name, read once per process and folder. Raises ModelMissing."""
    directory = models_dir()
    key = (str(directory), name)
    model = _loaded.get(key)
    if model is not None:
        return model
    path = directory / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelMissing(
            f"The reader's model file {path} is missing: reinstall the package, or build it with "
            "`.venv/bin/python benchmarks/train.py`."
        ) from None
    model = LinearModel(data["name"], {k: float(v) for k, v in data["weights"].items()}, float(data["bias"]),
                        data.get("info", {}))
    with _lock:
        _loaded[key] = model
    return model


def best_pair(
    seller: list[tuple[float, T]],
    buyer: list[tuple[float, T]],
    floors: tuple[float, float],
    same: Callable[[T, T], bool],
) -> tuple[tuple[float, T] | None, tuple[float, T] | None]:
    """The seller's and the buyer's choice that together score the most (the product of their
    probabilities), never the same thing twice. Each list holds (probability, choice), ranked; a
    choice below its role's floor is not taken, and taking none weighs as a choice at the floor."""
    options = [[*(o for o in ranked if o[0] >= floor), None] for ranked, floor in zip((seller, buyer), floors)]

    def log(option: tuple[float, T] | None, floor: float) -> float:
        return math.log(max(option[0] if option else floor, 1e-12))

    chosen, chosen_score = (None, None), -math.inf
    for first in options[0]:
        for second in options[1]:
            if first and second and same(first[1], second[1]):
                continue
            score = log(first, floors[0]) + log(second, floors[1])
            if score > chosen_score:
                chosen, chosen_score = (first, second), score
    return chosen
