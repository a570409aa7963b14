"""Reading the request and the brief together: the encoder's top layers over both texts at once.

A bi-encoder compares two sentence vectors made apart, so it cannot see that "the brand book" is
the very item a clause excludes, or that "ten more" counts against "8 pictures". A cross-encoder
reads both texts in one pass but must re-read the brief for every message. This sits between the
two (as in PreTTR, MacAvaney et al., SIGIR 2020): the lower layers of all-MiniLM-L6-v2 run on the
brief and on the request apart, so the brief's token states are computed once and cached with the
brief, and the top layers, fine-tuned on labelled cases (`python -m nlp.train_joint`), attend
across both. A linear layer over the pooled states gives the twelve kinds' probabilities.

What ships is the change to the top layers plus the output layer (fp16, nlp/weights/joint.npz); the
base weights come from the model package and are never copied.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).parent / "weights" / "joint.npz"
SPLIT = 4  # layers 0..SPLIT-1 run on each text alone; the rest run on both
MAX_BRIEF_TOKENS = 192
MAX_REQUEST_TOKENS = 96
BATCH = 16
# the matcher's scores (nlp.matching) beside the pooled states: how near the asks come to a
# promising clause and to an excluded item, by the sentence vectors tuned for exactly that
EXTRA = ("sim_in", "sim_in_mean", "sim_out", "sim_gap")


def load_base(model_path: str | None = None):
    """The base model, frozen, and its tokenizer, from local files only."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from nlp.model import _offline_env, default_model_path

    _offline_env()
    hf_logging.set_verbosity_error()
    path = model_path or default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    base = AutoModel.from_pretrained(path, add_pooling_layer=False).eval()
    for p in base.parameters():
        p.requires_grad_(False)
    return base, tokenizer


def masked_mean(h, m):
    w = m.unsqueeze(-1).to(h.dtype)
    return (h * w).sum(1) / w.sum(1).clamp(min=1e-9)


def extra_of(values: dict) -> list[float]:
    return [float(values.get(name, 0.0)) for name in EXTRA]


def build_module(base, n_out: int, split: int = SPLIT):
    """The trainable part: copies of the base model's top layers and an output layer."""
    import copy

    import torch

    class Joint(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(copy.deepcopy(layer) for layer in base.encoder.layer[split:])
            for p in self.layers.parameters():  # the base is frozen; its copies train
                p.requires_grad_(True)
            self.config = base.config
            self.drop = torch.nn.Dropout(0.1)
            self.out = torch.nn.Linear(4 * base.config.hidden_size + len(EXTRA), n_out)

        def forward(self, hr, mr, hb, mb, extra):
            from transformers.masking_utils import create_bidirectional_mask

            h = torch.cat([hr, hb], 1)
            m = torch.cat([mr, mb], 1)
            mask = create_bidirectional_mask(config=self.config, inputs_embeds=h, attention_mask=m)
            for layer in self.layers:
                out = layer(h, attention_mask=mask)
                h = out[0] if isinstance(out, tuple) else out
            n = hr.shape[1]
            r, b = masked_mean(h[:, :n], mr), masked_mean(h[:, n:], mb)
            x = torch.cat([h[:, 0], r, b, r * b, extra], -1)
            return self.out(self.drop(x))

    return Joint()


class LowerStates:
    """Token states after the lower layers, per text, cached (a brief's are reused by every
    message checked against it)."""

    def __init__(self, base, tokenizer, split: int = SPLIT, cache_size: int = 256, model_lock=None):
        self.base, self.tokenizer, self.split = base, tokenizer, split
        self._cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the cache
        # the model's: one call at a time on two cores (shared with the encoder when the model is)
        self.model_lock = model_lock or threading.Lock()

    def compute(self, texts: list[str], max_tokens: int) -> list[np.ndarray]:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result: dict[int, np.ndarray] = {}
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            batch = self.tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
            )
            with self.model_lock, torch.inference_mode():
                hidden = lower_forward(self.base, batch, self.split)
            lengths = batch["attention_mask"].sum(1).tolist()
            for j, i in enumerate(idx):
                result[i] = hidden[j, : lengths[j]].numpy().astype(np.float32)
        return [result[i] for i in range(len(texts))]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def get(self, texts: list[str], max_tokens: int, keep: bool = True) -> list[np.ndarray]:
        """States per text; keep=False computes without caching (a message is seen once, its
        brief many times)."""
        if not keep:
            return self.compute(texts, max_tokens)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if (t, max_tokens) not in self._cache))
            if missing:
                for t, h in zip(missing, self.compute(missing, max_tokens)):
                    self._cache[(t, max_tokens)] = h
            found = [self._cache[(t, max_tokens)] for t in texts]
            for t in texts:
                self._cache.move_to_end((t, max_tokens))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found


def lower_forward(base, batch, split: int):
    """Token states after the first `split` layers (the rest of the stack is not run)."""
    from transformers.masking_utils import create_bidirectional_mask

    h = base.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
    mask = create_bidirectional_mask(config=base.config, inputs_embeds=h, attention_mask=batch["attention_mask"])
    for layer in base.encoder.layer[:split]:
        out = layer(h, attention_mask=mask)
        h = out[0] if isinstance(out, tuple) else out
    return h


def pad(states: list[np.ndarray]):
    """A batch of variable-length token states, zero-padded, with its mask."""
    import torch

    n = max(len(s) for s in states)
    d = states[0].shape[1]
    h = np.zeros((len(states), n, d), dtype=np.float32)
    m = np.zeros((len(states), n), dtype=np.int64)
    for i, s in enumerate(states):
        h[i, : len(s)] = s
        m[i, : len(s)] = 1
    return torch.from_numpy(h), torch.from_numpy(m)


class JointReader:
    """The trained joint reader: P(kind) for (brief, request) pairs. It shares the encoder's
    transformers model when there is one (its lower layers are the base weights; the matcher tunes
    only the last layer, whose change `model_delta` names) and loads the base model itself
    otherwise (the ONNX backend)."""

    def __init__(
        self,
        model=None,
        tokenizer=None,
        path: str | Path | None = None,
        model_path: str | None = None,
        model_delta: str | Path | None = None,
        model_lock=None,
    ):
        import torch

        from nlp.matching import TUNED_LAYERS

        path = Path(path) if path else WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"joint reader weights not found: {path} (run python -m nlp.train)")
        data = np.load(path, allow_pickle=False)
        self.split = int(data["split"])
        if model is None or min(TUNED_LAYERS) < self.split:
            model, tokenizer = load_base(model_path)
        self.kinds = [str(k) for k in data["kinds"]]
        a, b = (float(x) for x in data["calibration"])
        self.calibration: tuple[float, float] = (a, b)
        self.module = build_module(model, len(self.kinds), self.split)
        params = dict(self.module.named_parameters())
        with torch.no_grad():
            if model_delta:  # the shared model carries the matcher's change to its last layer: undo it here
                tuned = np.load(model_delta, allow_pickle=False)
                for name in tuned.files:
                    i, rest = name[len("encoder.layer.") :].split(".", 1)
                    if int(i) >= self.split:
                        params[f"layers.{int(i) - self.split}.{rest}"].sub_(
                            torch.from_numpy(tuned[name].astype(np.float32))
                        )
            for key in data.files:
                if key.startswith("delta/encoder.layer."):
                    i, rest = key[len("delta/encoder.layer.") :].split(".", 1)
                    params[f"layers.{int(i) - self.split}.{rest}"].add_(torch.from_numpy(data[key].astype(np.float32)))
            self.module.out.weight.copy_(torch.from_numpy(data["out/weight"]))
            self.module.out.bias.copy_(torch.from_numpy(data["out/bias"]))
        self.module.eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.states = LowerStates(model, tokenizer, self.split, model_lock=model_lock)

    def probs(self, briefs: list[str], requests: list[str], extra: np.ndarray) -> np.ndarray:
        """One row of kind probabilities per pair (briefs' token states are cached); `extra` holds
        each pair's EXTRA scores."""
        import torch

        hb = self.states.get(briefs, MAX_BRIEF_TOKENS)
        hr = self.states.get(requests, MAX_REQUEST_TOKENS, keep=False)
        extra = np.asarray(extra, dtype=np.float32).reshape(len(briefs), len(EXTRA))
        out = np.zeros((len(briefs), len(self.kinds)), dtype=np.float32)
        # length-sorted batches padded to their longest: attention over one padded batch of
        # everything costs memory quadratic in the longest pair
        order = sorted(range(len(briefs)), key=lambda i: len(hb[i]) + len(hr[i]))
        with self.states.model_lock, torch.inference_mode():
            for start in range(0, len(order), BATCH):
                idx = order[start : start + BATCH]
                r, mr = pad([hr[i] for i in idx])
                b, mb = pad([hb[i] for i in idx])
                logits = self.module(r, mr, b, mb, torch.from_numpy(extra[idx]))
                out[idx] = torch.softmax(logits, -1).numpy()
        return out

    def clear_cache(self) -> None:
        self.states.clear()
