"""What one page costs in the Florence-2 stage (invoice_reader/vlm.py), without downloading any weights.

    .venv/bin/python benchmarks/vlm_stage.py [--max-new-tokens 64] [--pages 2] [--sizes tiny base]

Builds Florence-2 models with random weights offline: "base" has the shapes of florence-community/Florence-2-base
(DaViT vision tower 128-256-512-1024 with 1-1-9-1 blocks, a BART text model of d_model 768 with 6+6 layers, a
51k vocabulary, 768x768 input: about 0.23 B parameters), "tiny" is the one the tests use. Random weights write
garbage but cost what real ones cost per token, so the numbers are a bound on the stage's price per page for
--max-new-tokens tokens. Random weights may write </s> at any step, so every page is made to write exactly
--max-new-tokens (min_new_tokens), with greedy search; a real invoice page needs several hundred tokens for
<OCR_WITH_REGION> (each line is its text plus 8 loc tokens), so scale the per-token figure up.

Prints, per model and device: parameters, seconds per page (generate only, batch of one and batched), that time
divided by the tokens (the vision encoder included), pages/s, and on CUDA the peak GPU memory
(torch.cuda.max_memory_allocated).

`save_random_florence` is also what tests/test_vlm.py builds its tiny model with.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = ("tiny", "base")
# Words the tiny tokenizer knows; anything else in a prompt becomes <unk>, which a random model does not mind.
_WORDS = ["what", "is", "the", "text", "in", "image", ",", "with", "regions", "?"]  # the <OCR_WITH_REGION> prompt


def _tokenizer(vocab_size: int):
    """A word-level tokenizer with Florence-2's special, location and task tokens, made on the spot.

    Florence2Processor needs bos/eos/pad/unk, an `image_token`, and the `<loc_0>`..`<loc_999>` tokens that
    the model writes coordinates with. Filler words pad the vocabulary up to `vocab_size` so that the output
    layer has the real model's size. The image token is last, as in the real checkpoints.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    special = ["<s>", "<pad>", "</s>", "<unk>"]
    locs = [f"<loc_{i}>" for i in range(1000)]
    fixed = special + _WORDS + ["<OCR_WITH_REGION>"] + locs
    filler = [f"w{i}" for i in range(max(0, vocab_size - 1 - len(fixed)))]
    vocab = {token: index for index, token in enumerate(fixed + filler + ["<image>"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    # As special tokens they are never split and are kept by decode(skip_special_tokens=False).
    tok.add_special_tokens(special + ["<OCR_WITH_REGION>", "<image>"] + locs)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        extra_special_tokens={"image_token": "<image>"},
    )


def save_random_florence(folder: Path, size: str = "tiny", seed: int = 0) -> Path:
    """Save a randomly initialised Florence-2 (model, tokenizer, processor) to `folder`; return the folder.

    "tiny" takes 64x64 images and has about 0.1 M parameters (most of them the 1000 loc embeddings); "base"
    has Florence-2-base's shapes. Nothing is downloaded.
    """
    import torch
    from transformers import (
        BartConfig,
        CLIPImageProcessorPil,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        Florence2VisionConfig,
    )

    if size == "tiny":
        image_px, vocab_size = 64, 0
        vision = Florence2VisionConfig(
            depths=[1, 1, 1, 1],
            embed_dim=[8, 8, 16, 16],
            num_heads=[1, 1, 1, 1],
            num_groups=[1, 1, 1, 1],
            projection_dim=32,
            window_size=2,
            drop_path_rate=0.0,
        )
        text = {
            "d_model": 32,
            "encoder_layers": 1,
            "decoder_layers": 1,
            "encoder_attention_heads": 2,
            "decoder_attention_heads": 2,
            "encoder_ffn_dim": 64,
            "decoder_ffn_dim": 64,
            "max_position_embeddings": 256,
        }
    elif size == "base":
        image_px, vocab_size = 768, 51290
        vision = Florence2VisionConfig(
            depths=[1, 1, 9, 1],
            embed_dim=[128, 256, 512, 1024],
            num_heads=[4, 8, 16, 32],
            num_groups=[4, 8, 16, 32],
            projection_dim=768,
            window_size=12,
            drop_path_rate=0.0,
        )
        text = {
            "d_model": 768,
            "encoder_layers": 6,
            "decoder_layers": 6,
            "encoder_attention_heads": 12,
            "decoder_attention_heads": 12,
            "encoder_ffn_dim": 3072,
            "decoder_ffn_dim": 3072,
            "max_position_embeddings": 1024,
        }
    else:
        raise ValueError(f"size must be one of {SIZES}")

    tokenizer = _tokenizer(vocab_size)
    # The vision tower divides the side by 32; the projector adds one pooled token.
    image_tokens = (image_px // 32) ** 2 + 1
    image_processor = CLIPImageProcessorPil(
        size={"height": image_px, "width": image_px},
        do_center_crop=False,
        image_seq_length=image_tokens,
    )
    processor = Florence2Processor(image_processor=image_processor, tokenizer=tokenizer)
    text_config = BartConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        **text,
    )
    config = Florence2Config(vision_config=vision, text_config=text_config, image_token_id=tokenizer.image_token_id)
    torch.manual_seed(seed)
    model = Florence2ForConditionalGeneration(config)
    folder = Path(folder)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def a4_page(dpi: int = 150):
    """A rendered A4 invoice page: the test suite's born-digital invoice through pypdfium2."""
    import pypdfium2 as pdfium

    from tests import pdf_factory

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "invoice.pdf"
        pdf_factory.make_text_invoice(path)
        pdf = pdfium.PdfDocument(str(path))
        image = pdf[0].render(scale=dpi / 72).to_pil().convert("RGB")
        pdf.close()
    return image


def measure(folder: Path, device: str, page, pages: int, max_new_tokens: int, max_batch: int) -> dict:
    """Run `pages` pages one at a time, then all at once, through FlorenceModel; return the timings."""
    import torch

    from invoice_reader import vlm

    model = vlm.FlorenceModel(str(folder), device=device, max_batch=max_batch, num_beams=1)
    started = time.perf_counter()
    model.ocr_with_region([page], max_new_tokens=4)  # loads the model and warms up
    load_s = time.perf_counter() - started
    # Random weights may write </s> at any step; make every page cost exactly max_new_tokens.
    model._model.generation_config.min_new_tokens = max_new_tokens
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    single = [model.ocr_with_region([page], max_new_tokens=max_new_tokens)[0].generate_s for _ in range(pages)]
    started = time.perf_counter()
    batched = model.ocr_with_region([page] * pages, max_new_tokens=max_new_tokens)
    batched_wall_s = time.perf_counter() - started
    result = {
        "params_m": sum(p.numel() for p in model._model.parameters()) / 1e6,
        "load_s": load_s,
        "s_per_page": min(single),
        "s_per_token": min(single) / max_new_tokens,
        "batched_pages_per_s": pages / batched_wall_s,
        "batch_sizes": sorted({p.batch_size for p in batched}),
    }
    if device == "cuda":
        result["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    model.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--pages", type=int, default=2, help="pages per measurement (and batch size)")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=SIZES)
    args = parser.parse_args()

    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    page = a4_page()
    print(
        f"page {page.width}x{page.height} px (A4 at 150 dpi), max_new_tokens={args.max_new_tokens} "
        f"(forced), greedy, torch threads={torch.get_num_threads()}, torch {torch.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            started = time.perf_counter()
            folder = save_random_florence(Path(tmp) / size, size)
            build_s = time.perf_counter() - started
            for device in devices:
                r = measure(folder, device, page, args.pages, args.max_new_tokens, max_batch=args.pages)
                line = (
                    f"{size:5} {device:4} {r['params_m']:7.1f} M params  build {build_s:5.1f} s  "
                    f"load {r['load_s']:5.1f} s  {r['s_per_page']:6.2f} s/page  "
                    f"{1000 * r['s_per_token']:6.1f} ms/token incl. encoder  batched {r['batched_pages_per_s']:6.2f} pages/s "
                    f"(batches {r['batch_sizes']})"
                )
                if "peak_gpu_mib" in r:
                    line += f"  peak GPU {r['peak_gpu_mib']:.0f} MiB"
                print(line, flush=True)


if __name__ == "__main__":
    main()
