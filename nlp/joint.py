"""Reading the request and the brief together: the encoder's top layers over both texts at once.

A bi-encoder compares two sentence vectors made apart, so it cannot see that "the brand book" is
the very item a clause excludes, or that "ten more" counts against "8 pictures". A cross-encoder
reads both texts in one pass but must re-read the brief for every message. This sits between the
two (as in PreTTR, MacAvaney et al., SIGIR 2020): the lower layers of all-MiniLM-L6-v2 run on the
brief and on the request apart, and the top layers, fine-tuned on labelled cases
(`python -m nlp.train`), let the request's tokens attend to the brief's. The brief's tokens attend
only to the brief, so everything on its side (each top layer's keys and values, its pooled state)
is computed once and cached with the brief: a message costs one pass of the encoder over its own
tokens. A linear layer over the pooled states gives the twelve kinds' probabilities.

What ships is the change to the top layers plus the output layer (fp16, nlp/weights/joint.npz); the
base weights come from the model package and are never copied.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).parent / "weights" / "joint.npz"
SPLIT = 4  # layers 0..SPLIT-1 run on each text alone; the rest let the request read the brief
MAX_BRIEF_TOKENS = 192
MAX_REQUEST_TOKENS = 96
BATCH = 16


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


def encoder_layer(layer, h, m, kv=None, training: bool = False):
    """One BERT layer over tokens h (batch, n, d) with mask m (batch, n); with kv = (keys, values,
    mask) of other tokens, h's tokens attend to those as well as to themselves. Returns the new
    states and this call's own (keys, values), which is what the other side reads."""
    import torch
    import torch.nn.functional as F

    sa = layer.attention.self
    b, n, _ = h.shape
    heads, size = sa.num_attention_heads, sa.attention_head_size

    def split(x):
        return x.view(b, n, heads, size).transpose(1, 2)

    q, k, v = split(sa.query(h)), split(sa.key(h)), split(sa.value(h))
    keys, values, mask = k, v, m
    if kv is not None:
        keys, values, mask = torch.cat([k, kv[0]], 2), torch.cat([v, kv[1]], 2), torch.cat([m, kv[2]], 1)
    ctx = F.scaled_dot_product_attention(
        q, keys, values, attn_mask=mask.bool()[:, None, None, :], dropout_p=sa.dropout.p if training else 0.0
    )
    ctx = ctx.transpose(1, 2).reshape(b, n, heads * size)
    out = layer.attention.output
    a = out.LayerNorm(out.dropout(out.dense(ctx)) + h)
    ff = layer.output
    return ff.LayerNorm(ff.dropout(ff.dense(layer.intermediate(a))) + a), (k, v)


@dataclass
class BriefSide:
    """What the request reads of one brief: each top layer's keys and values, and the pooled state."""

    kv: list[tuple[np.ndarray, np.ndarray]]  # per top layer: (keys, values), each (1, heads, tokens, head size)
    pooled: np.ndarray  # (1, d)


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
            self.drop = torch.nn.Dropout(0.1)
            self.out = torch.nn.Linear(4 * base.config.hidden_size, n_out)

        def brief_side(self, hb, mb):
            """The brief through the top layers on its own: keys and values per layer, pooled state."""
            kv = []
            for layer in self.layers:
                hb, own = encoder_layer(layer, hb, mb, training=self.training)
                kv.append(own)
            return kv, masked_mean(hb, mb)

        def request_side(self, hr, mr, kv, mb, pooled_b):
            for layer, (k, v) in zip(self.layers, kv):
                hr, _ = encoder_layer(layer, hr, mr, (k, v, mb), training=self.training)
            r = masked_mean(hr, mr)
            return self.out(self.drop(torch.cat([hr[:, 0], r, pooled_b, r * pooled_b], -1)))

        def forward(self, hr, mr, hb, mb):
            kv, pooled_b = self.brief_side(hb, mb)
            return self.request_side(hr, mr, kv, mb, pooled_b)

    return Joint()


class LowerStates:
    """Token states after the lower layers, per text."""

    def __init__(self, base, tokenizer, split: int = SPLIT, cache_size: int = 0, model_lock=None):
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

    def get(self, texts: list[str], max_tokens: int) -> list[np.ndarray]:
        """States per text, cached when the cache has room (training reads every text many times)."""
        if not self._cache_size:
            return self.compute(texts, max_tokens)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if (t, max_tokens) not in self._cache))
            if missing:
                for t, h in zip(missing, self.compute(missing, max_tokens)):
                    self._cache[(t, max_tokens)] = h
            found = [self._cache[(t, max_tokens)] for t in texts]
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found


def lower_forward(base, batch, split: int):
    """Token states after the first `split` layers (the rest of the stack is not run)."""
    h = base.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
    for layer in base.encoder.layer[:split]:
        h, _ = encoder_layer(layer, h, batch["attention_mask"])
    return h


@dataclass
class RequestRead:
    """One request after the shared pass: its lower token states (what the top layers read) and a
    vector per ask from the encoder's own top layers (what the matcher compares with clauses)."""

    states: np.ndarray  # (tokens, d)
    ask_vecs: np.ndarray  # (asks, d), L2-normalised


def read_requests(
    model, tokenizer, texts: list[str], spans: list[list[tuple[int, int]]], split: int = SPLIT, model_lock=None
) -> list[RequestRead]:
    """One pass of the encoder over each request: the lower layers' states are kept for the joint
    reader, and the encoder's top layers (the matcher's) run on from them, each ask's vector being
    the mean of its tokens' states in the context of the whole message. spans: per text, the
    (start, end) characters of each ask; an ask past the token limit gets the whole message's mean."""
    import contextlib

    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    result: dict[int, RequestRead] = {}
    for start in range(0, len(order), 32):
        idx = order[start : start + 32]
        batch = tokenizer(
            [texts[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=MAX_REQUEST_TOKENS,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = batch.pop("offset_mapping").tolist()
        with model_lock or contextlib.nullcontext(), torch.inference_mode():
            lower = lower_forward(model, batch, split)
            top, mask = lower, batch["attention_mask"]
            for layer in model.encoder.layer[split:]:
                top, _ = encoder_layer(layer, top, mask)
        for j, i in enumerate(idx):
            n = int(mask[j].sum())
            result[i] = RequestRead(
                lower[j, :n].numpy().astype(np.float32),
                ask_vectors(top[j, :n].numpy(), offsets[j][:n], spans[i], len(texts[i])),
            )
    return [result[i] for i in range(len(texts))]


def ask_vectors(top: np.ndarray, offsets, spans: list[tuple[int, int]], length: int) -> np.ndarray:
    """Each ask's vector from one text's token states (tokens, d) and their character offsets: the
    mean of the tokens that overlap the ask's span, L2-normalised (the whole text's span without
    asks; all tokens when none overlaps, as for an ask past the token limit)."""
    n = len(top)
    tokens = [t for t in range(n) if offsets[t][1] > offsets[t][0]]  # not [CLS]/[SEP]
    vecs = []
    for a, z in spans or [(0, length)]:
        inside = [t for t in tokens if offsets[t][0] < z and offsets[t][1] > a] or list(range(n))
        v = top[inside].astype(np.float32).mean(0)
        vecs.append(v / max(float(np.linalg.norm(v)), 1e-12))
    return np.stack(vecs).astype(np.float32)


def pad_arrays(states: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A batch of variable-length token states, zero-padded, with its mask (numpy)."""
    n = max(len(s) for s in states)
    d = states[0].shape[1]
    h = np.zeros((len(states), n, d), dtype=np.float32)
    m = np.zeros((len(states), n), dtype=np.int64)
    for i, s in enumerate(states):
        h[i, : len(s)] = s
        m[i, : len(s)] = 1
    return h, m


def pad(states: list[np.ndarray]):
    """A batch of variable-length token states, zero-padded, with its mask (torch)."""
    import torch

    h, m = pad_arrays(states)
    return torch.from_numpy(h), torch.from_numpy(m)


def pad_sides(sides: list[BriefSide]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Several briefs' cached sides as one batch: per layer keys and values (flat: k0, v0, k1, ...)
    zero-padded, the brief tokens' mask, and the pooled states."""
    n = max(s.kv[0][0].shape[2] for s in sides)
    mb = np.zeros((len(sides), n), dtype=np.int64)
    for i, s in enumerate(sides):
        mb[i, : s.kv[0][0].shape[2]] = 1
    flat = []
    for layer in range(len(sides[0].kv)):
        for part in (0, 1):
            first = sides[0].kv[layer][part]
            x = np.zeros((len(sides), first.shape[1], n, first.shape[3]), dtype=np.float32)
            for i, s in enumerate(sides):
                p = s.kv[layer][part]
                x[i, :, : p.shape[2]] = p[0]
            flat.append(x)
    return flat, mb, np.concatenate([s.pooled for s in sides], 0)


class BriefSides(OrderedDict):
    """Brief sides by brief text, the least recently used dropped first; `get` computes the missing
    ones in one call (several threads serve chats)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def get_all(self, briefs: list[str], compute) -> list[BriefSide]:
        with self.lock:
            missing = list(dict.fromkeys(b for b in briefs if b not in self))
            if missing:
                self.update(zip(missing, compute(missing)))
            found = [self[b] for b in briefs]
            for b in briefs:
                self.move_to_end(b)
            while len(self) > self.size:
                self.popitem(last=False)
        return found

    def clear(self) -> None:
        with self.lock:
            super().clear()


class JointReader:
    """The trained joint reader: P(kind) for (brief, request) pairs. It shares the encoder's
    transformers model when there is one and loads the model itself otherwise. (The ONNX backend
    has its own, nlp.onnx_export.OnnxJointReader, on graphs exported from this one.)
    The lower layers are the base weights, so one pass over a request serves both the reader and
    the matcher, whose change to the last layer (`model_delta`) is undone in the reader's copy."""

    def __init__(
        self,
        model=None,
        tokenizer=None,
        path: str | Path | None = None,
        model_path: str | None = None,
        model_delta: str | Path | None = None,
        model_lock=None,
        brief_cache: int = 128,
    ):
        import torch

        path = Path(path) if path else WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"joint reader weights not found: {path} (run python -m nlp.train)")
        data = np.load(path, allow_pickle=False)
        self.split = int(data["split"])
        if model is None:  # a model of its own, with the matcher's layer as the encoder has it
            from nlp.matching import DELTA, apply_delta

            model, tokenizer = load_base(model_path)
            model_delta = DELTA if apply_delta(model) else None
        self.model = model  # lower layers shared, top layers the matcher's
        self.kinds = [str(k) for k in data["kinds"]]
        a, b = (float(x) for x in data["calibration"])
        self.calibration: tuple[float, float] = (a, b)
        self.module = build_module(model, len(self.kinds), self.split)
        params = dict(self.module.named_parameters())
        if tuple(data["out/weight"].shape) != tuple(self.module.out.weight.shape):
            raise ValueError(f"{path} was trained for another reader; retrain it (python -m nlp.train)")
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
        self._sides = BriefSides(brief_cache)

    def sides(self, briefs: list[str]) -> list[BriefSide]:
        """Each brief's side, computed once and cached (a brief is read by every message against it)."""
        import torch

        def compute(missing: list[str]) -> list[BriefSide]:
            found = []
            hb = self.states.compute(missing, MAX_BRIEF_TOKENS)
            with self.states.model_lock, torch.inference_mode():
                for h in hb:
                    kv, pooled = self.module.brief_side(*pad([h]))
                    found.append(BriefSide([(k.numpy(), v.numpy()) for k, v in kv], pooled.numpy()))
            return found

        return self._sides.get_all(briefs, compute)

    def read(self, requests: list[str], spans: list[list[tuple[int, int]]]) -> list[RequestRead]:
        return read_requests(self.model, self.states.tokenizer, requests, spans, self.split, self.states.model_lock)

    def probs(self, briefs: list[str], requests: list[RequestRead]) -> np.ndarray:
        """One row of kind probabilities per (brief, request read) pair."""
        import torch

        sides = self.sides(briefs)
        hr = [r.states for r in requests]
        out = np.zeros((len(briefs), len(self.kinds)), dtype=np.float32)
        order = sorted(range(len(briefs)), key=lambda i: len(hr[i]))
        with self.states.model_lock, torch.inference_mode():
            for start in range(0, len(order), BATCH):
                idx = order[start : start + BATCH]
                r, mr = pad([hr[i] for i in idx])
                flat, mb, pooled = pad_sides([sides[i] for i in idx])
                kv = [(torch.from_numpy(flat[i]), torch.from_numpy(flat[i + 1])) for i in range(0, len(flat), 2)]
                logits = self.module.request_side(r, mr, kv, torch.from_numpy(mb), torch.from_numpy(pooled))
                out[idx] = torch.softmax(logits, -1).numpy()
        return out

    def clear_cache(self) -> None:
        self._sides.clear()
