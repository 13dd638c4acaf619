"""The tiny random Florence-2 the model tests build on the spot (no weights can be downloaded)."""

from __future__ import annotations

from pathlib import Path

MIN_NEW_TOKENS = 12
"""Random weights may write </s> first; this makes every page produce tokens for the parser."""


def save_tiny_florence(folder: Path) -> Path:
    """benchmarks.vlm_stage's tiny random Florence-2 saved to folder, writing at least MIN_NEW_TOKENS a page.
    Load it with HF_HUB_OFFLINE=1 to prove that nothing is fetched."""
    from transformers import GenerationConfig

    from benchmarks.vlm_stage import save_random_florence

    save_random_florence(folder, "tiny")
    generation = GenerationConfig.from_pretrained(folder)
    generation.min_new_tokens = MIN_NEW_TOKENS
    generation.save_pretrained(folder)
    return folder
