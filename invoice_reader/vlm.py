"""The Florence-2 model stage: page images in, text lines with boxes out.

One `FlorenceModel` per process holds the only copy of the model. Any thread may
call `ocr_with_region`; the requests go through a queue to a single model thread,
which loads the model on first use and runs up to `max_batch` waiting pages in
one `generate` call. A model copy per thread would multiply memory (about 1 GB
per copy of Florence-2-base in float32) and the copies would only fight over the
same cores or GPU.

torch and transformers are imported only when the model is used, so that a
runner without the `vlm` extra can still import this module and ask
`availability()`.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass

from PIL import Image

OCR_WITH_REGION = "<OCR_WITH_REGION>"
DEFAULT_MAX_BATCH = 4
DEFAULT_MAX_NEW_TOKENS = 1024
DEFAULT_NUM_BEAMS = None
"""None: 3 beams on a GPU, as in the Florence-2 model cards, and greedy search (1) on the CPU, where each beam
costs nearly its full share of a step and a page already takes minutes."""
DEFAULT_BATCH_WAIT_S = 0.01  # how long the model thread waits for more pages once one has come

# Florence-2 quantises coordinates into 1000 bins per axis.
LOC_BINS = 1000
# Tokens the model (or a bad decode) can leave between a text and its boxes; none is text.
_STRAY_TOKENS = re.compile(r"</?s>|<pad>|<unk>|<image>|<OCR_WITH_REGION>")
_LOC = re.compile(r"<loc_(\d+)>")

INSTALL_HINT = "install it with `pip install -e '.[vlm]'` (torch==2.13.0 is the CPU build)"


class VlmError(Exception):
    """The Florence-2 stage failed."""


class DeviceUnavailable(VlmError):
    """CUDA was requested but torch sees no CUDA device: set the device to "auto" or "cpu", or install a CUDA build
    of torch."""


@dataclass(frozen=True)
class VlmLine:
    """One text region that Florence-2 read."""

    text: str
    """The text, stripped of surrounding spaces; never empty."""
    box: tuple[float, float, float, float]
    """(x0, top, x1, bottom) in the pixels of the image given to the model: the axis-aligned box around its quad."""


@dataclass(frozen=True)
class VlmPage:
    """What Florence-2 read on one page image."""

    lines: list[VlmLine]
    """The text regions in the order the model wrote them (roughly reading order)."""
    raw_text: str
    """The decoded output with special tokens, kept to debug the parser."""
    generate_s: float
    """Seconds of the `generate` call this page was part of (shared by every page of the batch)."""
    batch_size: int
    """How many pages that `generate` call ran together."""


@dataclass
class _Request:
    image: Image.Image
    max_new_tokens: int
    future: Future


def availability(model: str | None) -> tuple[bool, str]:
    """Say whether the Florence-2 stage can run, and why not.

    Returns (True, a sentence naming the model) or (False, a sentence saying what to do). Imports torch only when a
    model is configured, and never touches the network: whether the model itself can be found shows on first use.
    """
    if not model:
        return False, "VLM off: FLORENCE_MODEL is not set"
    try:
        import torch  # noqa: F401
    except ImportError:
        return False, f"VLM off: torch cannot be imported; {INSTALL_HINT}"
    try:
        from transformers import Florence2ForConditionalGeneration  # noqa: F401
    except ImportError:
        return False, f"VLM off: transformers 5 (with Florence-2) cannot be imported; {INSTALL_HINT}"
    return True, f"VLM on: {model}"


def choose_device(device: str) -> tuple[str, object]:
    """Return (torch device name, torch dtype) for a device setting: "auto", "cuda" or "cpu".

    "auto" takes CUDA when torch sees it. float16 on CUDA halves memory and is what the GPUs are fast at; the CPU
    kernels for float16 are slow, so the CPU gets float32. Raises DeviceUnavailable for "cuda" without CUDA, and
    ValueError for anything else.
    """
    import torch

    if device not in ("auto", "cuda", "cpu"):
        raise ValueError(f'Unknown device {device!r}: use "auto", "cuda" or "cpu"')
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable(DeviceUnavailable.__doc__)
    return device, (torch.float16 if device == "cuda" else torch.float32)


def parse_ocr_with_region(text: str, image_size: tuple[int, int]) -> list[VlmLine]:
    """Parse Florence-2 `<OCR_WITH_REGION>` output into lines with boxes in the image's pixels.

    The model writes each text followed by 8 `<loc_N>` tokens, the 4 corners (x, y) of a quadrilateral, N a bin of
    1000 over the width or height: x = (N + 0.5) * width / 1000. `image_size` is (width, height).

    Never raises on garbage. Where this differs from transformers' `Florence2Processor.post_process_generation`
    (which uses the regex `(.+?)` followed by exactly 8 locs):
    - A text with fewer than 8 locs is dropped here. There the regex carries the text and its partial locs
      into the next line's text, e.g. "A<loc_1><loc_2>B" + 8 locs becomes one line "A<loc_1><loc_2>B".
    - A text with no characters (8 locs right after another group) is dropped here; there `(.+?)` swallows a
      `<loc_N>` as text and the rest of the groups shift by one.
    - Any stray `<s>`, `</s>`, `<pad>`, `<unk>`, `<image>` or task token is removed anywhere; there only the
      first three are.
    - Coordinates stay floats; there they are cut to int. Bins over 999 are clamped to the last bin.
    - We return the axis-aligned box (x0, top, x1, bottom), which is what the pipeline matches words against;
      there it is the quad. Rotated text gets a box around it.
    - Text may span newlines; there `.` stops at a newline and such a line is lost.
    It also needs no tokenizer and no torch, so it can be tested (and used) without them.
    """
    width, height = image_size
    cleaned = _STRAY_TOKENS.sub("", text or "")
    # re.split with one group gives text, bin, text, bin, ..., text.
    parts = _LOC.split(cleaned)
    lines = []
    for index in range(0, len(parts), 2):
        chunk = parts[index].strip()
        bins = []
        # The locs that follow this chunk run until the next non-blank text.
        for follow in range(index + 1, len(parts), 2):
            bins.append(min(int(parts[follow]), LOC_BINS - 1))
            after = parts[follow + 1] if follow + 1 < len(parts) else ""
            if after.strip():
                break
        if not chunk or len(bins) < 8:
            continue
        xs = [(n + 0.5) * width / LOC_BINS for n in bins[0:8:2]]
        ys = [(n + 0.5) * height / LOC_BINS for n in bins[1:8:2]]
        lines.append(VlmLine(text=chunk, box=(min(xs), min(ys), max(xs), max(ys))))
    return lines


class FlorenceModel:
    """One Florence-2 model shared by every thread of the process.

    `model` is a hub id or a local folder, loaded with `from_pretrained` on first use. `trust_remote_code` is
    only for the original microsoft/Florence-2-* repos, whose code predates transformers' own Florence-2; the
    florence-community ones load without it. `max_batch` pages at most go into one `generate` call.
    """

    def __init__(
        self,
        model: str,
        device: str = "auto",
        trust_remote_code: bool = False,
        max_batch: int = DEFAULT_MAX_BATCH,
        num_beams: int | None = DEFAULT_NUM_BEAMS,
        batch_wait_s: float = DEFAULT_BATCH_WAIT_S,
    ):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.model_name = model
        self.requested_device = device
        self.trust_remote_code = trust_remote_code
        self.max_batch = max_batch
        self.num_beams = num_beams
        self.batch_wait_s = batch_wait_s
        self.device: str | None = None
        """The torch device, known once the model is loaded."""
        self.loads = 0
        """How many times the model was loaded: 0 before first use, then 1."""
        self.batch_sizes: deque[int] = deque(maxlen=1000)
        """The sizes of the recent `generate` calls, to see how well batching works."""
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._processor = None
        self._model = None
        self._dtype = None
        self._load_error: Exception | None = None

    def submit(self, image: Image.Image, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> Future:
        """Queue one page image; the Future gives its VlmPage, or raises what loading or generating raised."""
        self._ensure_thread()
        future: Future = Future()
        self._queue.put(_Request(image=image, max_new_tokens=max_new_tokens, future=future))
        return future

    def ocr_with_region(self, images: list[Image.Image], max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> list[VlmPage]:
        """Read each image with the `<OCR_WITH_REGION>` task; blocks until all are done.

        Returns one VlmPage per image, in order. Raises DeviceUnavailable, or whatever loading the model raised
        (e.g. OSError for a model that cannot be found).
        """
        futures = [self.submit(image, max_new_tokens) for image in images]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the model thread after the requests already queued; the model is freed with this object."""
        with self._start_lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="florence-model", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        """The model thread: take requests, batch them, run them. The only thread that touches the model."""
        held: list[_Request] = []
        while True:
            batch, stop = self._next_batch(held)
            if batch:
                self._run_batch(batch)
            if stop:
                for request in held:
                    request.future.set_exception(VlmError("The Florence-2 model was closed"))
                return

    def _next_batch(self, held: list[_Request]) -> tuple[list[_Request], bool]:
        """Return (up to max_batch requests with the same max_new_tokens, whether close() was called).

        Requests with another max_new_tokens are kept in `held` for a later batch, first in line.
        """
        waiting = list(held)
        held.clear()
        stop = False
        if not waiting:
            first = self._queue.get()
            if first is None:
                return [], True
            waiting.append(first)
        # Give the other callers of a burst a moment to arrive, so that they share one generate call.
        deadline = time.monotonic() + self.batch_wait_s
        while len(waiting) < self.max_batch:
            try:
                request = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if request is None:
                stop = True
                break
            waiting.append(request)
        tokens = waiting[0].max_new_tokens
        batch = [r for r in waiting if r.max_new_tokens == tokens][: self.max_batch]
        held.extend(r for r in waiting if r not in batch)
        return batch, stop

    def _load(self) -> None:
        """Load processor and model once; remember a failure so that every later request gets the same error."""
        if self._model is not None or self._load_error is not None:
            return
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoProcessor, Florence2ForConditionalGeneration

            self.device, self._dtype = choose_device(self.requested_device)
            if self.trust_remote_code:
                processor = AutoProcessor.from_pretrained(self.model_name, trust_remote_code=True)
                model = AutoModelForCausalLM.from_pretrained(self.model_name, trust_remote_code=True, dtype=self._dtype)
            else:
                processor = AutoProcessor.from_pretrained(self.model_name)
                model = Florence2ForConditionalGeneration.from_pretrained(self.model_name, dtype=self._dtype)
            self._processor = processor
            self._model = model.to(self.device).eval()
            self.loads += 1
        except Exception as e:  # noqa: BLE001 - whatever it is, every waiting caller must get it
            self._load_error = e

    def _run_batch(self, batch: list[_Request]) -> None:
        self._load()
        if self._load_error is not None:
            for request in batch:
                request.future.set_exception(self._load_error)
            return
        try:
            pages = self._generate(batch)
        except Exception as e:  # noqa: BLE001 - the model thread must outlive one bad batch
            for request in batch:
                request.future.set_exception(e)
            return
        for request, page in zip(batch, pages):
            request.future.set_result(page)

    def _token_limit(self) -> int:
        """The most tokens the model's decoder can write: its learned positions (1024 for Florence-2-base) hold
        the start token and each new one; asking for more fails with an IndexError at the last step."""
        positions = getattr(getattr(self._model.config, "text_config", None), "max_position_embeddings", None)
        return positions - 1 if positions else DEFAULT_MAX_NEW_TOKENS

    def _generate(self, batch: list[_Request]) -> list[VlmPage]:
        import torch

        images = [request.image.convert("RGB") for request in batch]
        inputs = self._processor(text=[OCR_WITH_REGION] * len(images), images=images, return_tensors="pt")
        started = time.perf_counter()
        with torch.inference_mode():
            generated = self._model.generate(
                input_ids=inputs["input_ids"].to(self.device),
                attention_mask=inputs["attention_mask"].to(self.device),
                pixel_values=inputs["pixel_values"].to(self.device, self._dtype),
                max_new_tokens=min(batch[0].max_new_tokens, self._token_limit()),
                num_beams=self.num_beams or (3 if self.device == "cuda" else 1),
                do_sample=False,
            )
            # .cpu() waits for the GPU, so the time below is the model's and not only the launch.
            generated = generated.cpu()
        generate_s = time.perf_counter() - started
        self.batch_sizes.append(len(batch))
        texts = self._processor.batch_decode(generated, skip_special_tokens=False)
        return [
            VlmPage(
                lines=parse_ocr_with_region(text, image.size),
                raw_text=text,
                generate_s=generate_s,
                batch_size=len(batch),
            )
            for text, image in zip(texts, images)
        ]
