"""The Florence-2 stage (invoice_reader/vlm.py) on a tiny random-weight model built here, offline.

Random weights write garbage, so the model tests check structure (loading, devices, threads, batching, timing);
the parser is checked for exact texts and boxes on hand-written Florence-style output.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the vlm extra is not installed: pip install -e '.[vlm]'")
transformers = pytest.importorskip("transformers", reason="the vlm extra is not installed: pip install -e '.[vlm]'")

from PIL import Image
from transformers import Florence2ForConditionalGeneration

from invoice_reader import vlm
from invoice_reader.vlm import DeviceUnavailable, FlorenceModel, VlmLine, VlmPage, parse_ocr_with_region

REPO = Path(__file__).resolve().parents[1]



@pytest.fixture
def from_pretrained_calls(monkeypatch):
    """Count the model objects made by from_pretrained."""
    calls = []
    original = Florence2ForConditionalGeneration.from_pretrained.__func__

    def counting(cls, *args, **kwargs):
        calls.append(args)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Florence2ForConditionalGeneration, "from_pretrained", classmethod(counting))
    return calls


@pytest.fixture
def florence(florence_folder):
    model = FlorenceModel(str(florence_folder), max_batch=4)
    yield model
    model.close()


def page(width=120, height=170):
    return Image.new("RGB", (width, height), "white")


# -- the model -----------------------------------------------------------------------------------------------


def test_model_loads_on_first_use_and_only_once(florence, from_pretrained_calls):
    assert florence.loads == 0
    assert from_pretrained_calls == []

    florence.ocr_with_region([page()], max_new_tokens=16)
    florence.ocr_with_region([page(), page()], max_new_tokens=16)

    assert florence.loads == 1
    assert len(from_pretrained_calls) == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_auto_device_is_cpu_in_float32_without_cuda(florence):
    assert vlm.choose_device("auto") == ("cpu", torch.float32)

    florence.ocr_with_region([page()], max_new_tokens=16)

    assert florence.device == "cpu"
    assert {p.dtype for p in florence._model.parameters()} == {torch.float32}
    assert florence._model.training is False


def test_cuda_requested_without_cuda_is_a_clear_error(florence_folder, monkeypatch, from_pretrained_calls):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = FlorenceModel(str(florence_folder), device="cuda")
    try:
        with pytest.raises(DeviceUnavailable, match='set the device to "auto" or "cpu"'):
            model.ocr_with_region([page()], max_new_tokens=16)
        # The error is remembered: the next page fails the same way without trying to load again.
        with pytest.raises(DeviceUnavailable):
            model.ocr_with_region([page()], max_new_tokens=16)
    finally:
        model.close()
    assert model.loads == 0
    assert from_pretrained_calls == []


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match='use "auto", "cuda" or "cpu"'):
        vlm.choose_device("tpu")


def test_eight_threads_share_one_model_and_are_batched(florence, from_pretrained_calls):
    start = threading.Barrier(8)
    results: dict[int, list[VlmPage]] = {}
    errors = []

    def call(index):
        try:
            start.wait()
            results[index] = florence.ocr_with_region([page(100 + index, 150)], max_new_tokens=16)
        except Exception as e:  # noqa: BLE001 - a failure would otherwise vanish with the thread
            errors.append(e)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results) == list(range(8))
    assert all(len(pages) == 1 and isinstance(pages[0], VlmPage) for pages in results.values())
    assert florence.loads == 1
    assert len(from_pretrained_calls) == 1
    assert sum(florence.batch_sizes) == 8
    assert max(florence.batch_sizes) > 1
    assert max(florence.batch_sizes) <= florence.max_batch


def test_generated_garbage_goes_through_the_parser_with_timing(florence):
    images = [page(120, 170), page(300, 200), page(64, 64)]

    pages = florence.ocr_with_region(images, max_new_tokens=16)

    assert len(pages) == 3
    for image, result in zip(images, pages):
        assert "<loc_" in result.raw_text or result.raw_text.strip()
        assert result.lines == parse_ocr_with_region(result.raw_text, image.size)
        for line in result.lines:
            assert isinstance(line, VlmLine) and line.text
            x0, top, x1, bottom = line.box
            assert 0 <= x0 <= x1 <= image.width and 0 <= top <= bottom <= image.height
        assert result.generate_s > 0
        assert 1 <= result.batch_size <= florence.max_batch


def test_pages_asking_for_different_token_limits_are_all_answered(florence):
    futures = [florence.submit(page(), max_new_tokens=n) for n in (16, 20, 16, 20, 16)]

    assert all(isinstance(future.result(timeout=60), VlmPage) for future in futures)
    assert sum(florence.batch_sizes) == 5


def test_more_tokens_than_the_decoder_has_positions_is_capped_not_an_error(florence, florence_folder):
    """The stage asks for up to 1024 tokens a page; the tiny model's decoder has 256 positions (base: 1024)."""
    florence.ocr_with_region([page()], max_new_tokens=4)  # loads the model
    florence._model.generation_config.min_new_tokens = 400  # no early </s>: the decoder runs to its last position
    [read] = florence.ocr_with_region([page()], max_new_tokens=5000)
    assert isinstance(read, VlmPage)
    assert florence._model.config.text_config.max_position_embeddings == 256


# -- the parser ----------------------------------------------------------------------------------------------

# With a 2000 x 1000 image, bin N is x = (N + 0.5) * 2 and y = N + 0.5.
SIZE = (2000, 1000)


def locs(*bins):
    return "".join(f"<loc_{n}>" for n in bins)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            "</s><s>TOTAL"
            + locs(100, 200, 300, 200, 300, 250, 100, 250)
            + "INVOICE 42"
            + locs(10, 20, 400, 20, 400, 60, 10, 60)
            + "</s>",
            [VlmLine("TOTAL", (201.0, 200.5, 601.0, 250.5)), VlmLine("INVOICE 42", (21.0, 20.5, 801.0, 60.5))],
            id="two lines",
        ),
        pytest.param(
            # As batch_decode writes it: a space between tokens.
            "</s> <s> Net 1 200,00 <loc_0> <loc_0> <loc_999> <loc_0> <loc_999> <loc_999> <loc_0> <loc_999> </s>",
            [VlmLine("Net 1 200,00", (1.0, 0.5, 1999.0, 999.5))],
            id="spaces between tokens",
        ),
        pytest.param(
            "<s>Date" + locs(1, 2, 3, 4) + "VAT 19%" + locs(500, 100, 600, 100, 600, 120, 500, 120) + "</s>",
            [VlmLine("VAT 19%", (1001.0, 100.5, 1201.0, 120.5))],
            id="missing half of a loc group",
        ),
        pytest.param(
            "<s><pad>Due<unk>"
            + locs(5, 5, 6, 5, 6, 6, 5, 6)
            + locs(7, 7, 8, 7, 8, 8, 7, 8)
            + "  "
            + locs(9, 9, 9, 9, 9, 9, 9, 9)
            + "IBAN</s><pad><pad>",
            [VlmLine("Due", (11.0, 5.5, 13.0, 6.5))],
            id="stray tokens, empty texts, text without locs",
        ),
        pytest.param(
            "Stamp" + locs(100, 50, 200, 100, 150, 200, 50, 150),
            [VlmLine("Stamp", (101.0, 50.5, 401.0, 200.5))],
            id="rotated quad",
        ),
        pytest.param(
            "Paid\nin full" + locs(0, 0, 5000, 0, 5000, 1, 0, 1),
            [VlmLine("Paid\nin full", (1.0, 0.5, 1999.0, 1.5))],
            id="newline in text, bin past 999 clamped",
        ),
    ],
)
def test_parser_gives_exact_texts_and_boxes(text, expected):
    assert parse_ocr_with_region(text, SIZE) == expected


@pytest.mark.parametrize(
    "text",
    ["", "</s>", "<loc_5>", "<loc_>x<loc_abc>", "<<<>>>", "\x00\ufffd", "a" + locs(1, 2, 3), locs(*range(8)), None],
)
def test_parser_returns_nothing_for_garbage(text):
    assert parse_ocr_with_region(text, SIZE) == []


def test_parser_never_raises_on_token_soup():
    pieces = ["<s>", "</s>", "<pad>", "<loc_3>", "<loc_999>", "<loc_12345>", "A", " ", "<", ">", "loc_", "\n"]
    rng = random.Random(7)
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        for line in parse_ocr_with_region(text, (10, 10)):
            assert line.text.strip() == line.text != ""


def test_parser_agrees_with_transformers_on_clean_output(florence_folder):
    from transformers import AutoProcessor
    from transformers.models.florence2.processing_florence2 import Florence2PostProcessor

    # The shipped processors configure the "ocr" parse task; ours has none, so give it the same.
    tokenizer = AutoProcessor.from_pretrained(florence_folder).tokenizer
    theirs_parser = Florence2PostProcessor(config={"ocr": {}}, tokenizer=tokenizer)
    text = (
        "</s><s>TOTAL"
        + locs(100, 200, 300, 200, 300, 250, 100, 250)
        + "Stamp"
        + locs(100, 50, 200, 100, 150, 200, 50, 150)
        + "</s>"
    )

    theirs = theirs_parser(text=text, image_size=(1234, 987), parse_tasks=["ocr"])["ocr"]
    ours = parse_ocr_with_region(text, (1234, 987))

    assert [line.text for line in ours] == [instance["text"] for instance in theirs]
    for line, instance in zip(ours, theirs):
        quad = instance["quad_box"]
        # They cut coordinates to int; we keep floats.
        assert tuple(int(v) for v in line.box) == (min(quad[0::2]), min(quad[1::2]), max(quad[0::2]), max(quad[1::2]))


# -- availability --------------------------------------------------------------------------------------------


def test_availability_without_a_model_does_not_import_torch():
    script = (
        "import sys\n"
        "from invoice_reader.vlm import availability\n"
        "print(availability(None))\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, cwd=REPO, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(False, 'VLM off: FLORENCE_MODEL is not set')"


def test_availability_with_a_model_and_the_extra_installed():
    assert vlm.availability("florence-community/Florence-2-base") == (
        True,
        "VLM on: florence-community/Florence-2-base",
    )


def test_availability_without_torch_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError

    ok, reason = vlm.availability("florence-community/Florence-2-base")

    assert ok is False
    assert reason == (
        "VLM off: torch cannot be imported; install it with `pip install -e '.[vlm]'` (torch==2.13.0 is the CPU build)"
    )
