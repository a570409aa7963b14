"""The ONNX backend runs the whole per-message path: the encoder's graph gives the lower states and
the asks' vectors, and the joint reader's two sides are graphs of their own. It must read as the
transformers backend does, refuse an export made from other weights, and need no torch."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.model  # the reference is the real model, and the export loads it

REPO = Path(__file__).resolve().parent.parent
LOGO = (
    "Logo for a bike repair shop: 3 concepts, then refine the chosen one. Final files SVG and "
    "PNG. Includes 2 rounds of revisions. $300, 2 weeks. Business cards not included."
)
CANDLES = "10 product photos of scented candles on a white background, JPG, delivered within a week, $250."
PAIRS = [
    (LOGO, "Could you also design business cards?"),
    (CANDLES, "Can I get 12 photos instead? And one of them with a dark background, please."),
    (LOGO, "ok"),
    (CANDLES, "The photos look great, thanks! Could you make the third one a little brighter?"),
    (LOGO, "Can we use the logo on our van and on t-shirts for the team as well? " * 6),
]


@pytest.fixture(scope="module")
def weights(tmp_path_factory, clf):
    """Joint reader weights of the shipped shape with a random top: the graphs must carry whatever
    values the weights hold, so the tests never depend on the shipped file's."""
    import torch

    from nlp.joint import build_module
    from nlp.train_joint import save

    base = clf.encoder.model
    module = build_module(base, 12)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # the top layers away from the base, so their deltas are exercised too
        for p in module.layers.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=gen))
        module.out.weight.copy_(0.2 * torch.randn(module.out.weight.shape, generator=gen))
    path = tmp_path_factory.mktemp("joint") / "joint.npz"
    save(module, base, path, calibration=(1.2, -0.1))
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory, weights):
    """One export for the module (about 20 s): it is checked against the transformers backend as it is made."""
    from nlp.onnx_export import export

    return export(tmp_path_factory.mktemp("onnx"), joint_path=weights)


@pytest.fixture(scope="module")
def torch_clf(clf, weights):
    """The transformers backend with the test weights, on the shared model."""
    from nlp.scope import ScopeClassifier

    return ScopeClassifier(clf.encoder, weights)


@pytest.fixture(scope="module")
def onnx_clf(exported, weights):
    from nlp.onnx_export import OnnxEncoder
    from nlp.scope import ScopeClassifier

    return ScopeClassifier(OnnxEncoder(str(exported)), weights)


def spans_of(text):
    """An ask per sentence (by character offsets), as the classifier hands the reader."""
    spans, at = [], 0
    for part in text.replace("? ", "?|").replace(". ", ".|").split("|"):
        spans.append((at, at + len(part)))
        at += len(part) + 1
    return spans


def test_the_onnx_reader_reads_like_the_transformers_reader(onnx_clf, torch_clf):
    from nlp.onnx_export import OnnxJointReader

    assert isinstance(onnx_clf.joint, OnnxJointReader)
    mine, ref = onnx_clf.joint, torch_clf.joint
    assert (mine.kinds, mine.calibration) == (ref.kinds, ref.calibration) and mine.calibration == (1.2, -0.1)
    briefs = [b for b, _ in PAIRS]
    requests = [r for _, r in PAIRS]
    spans = [spans_of(r) for r in requests]
    got, want = mine.read(requests, spans), ref.read(requests, spans)
    for g, w, s in zip(got, want, spans):
        assert g.states.shape == w.states.shape and np.allclose(g.states, w.states, atol=1e-4)
        assert len(g.ask_vecs) == len(s) and (g.ask_vecs * w.ask_vecs).sum(1).min() >= 0.999
    mine.clear_cache(), ref.clear_cache()
    together = ref.probs(briefs, want)
    assert np.abs(mine.probs(briefs, got) - together).max() <= 1e-4
    assert np.allclose(together.sum(1), 1, atol=1e-5) and together.std() > 0.01  # not a uniform answer
    for i in range(len(PAIRS)):  # alone, with a cold brief cache: the same as within a batch
        mine.clear_cache()
        (alone,) = mine.read([requests[i]], [spans[i]])
        assert np.allclose(alone.states, got[i].states, atol=1e-4)
        assert np.abs(mine.probs([briefs[i]], [alone])[0] - together[i]).max() <= 1e-4
    assert list(mine._sides) == [briefs[-1]]


def test_the_classifier_on_onnx_answers_as_on_transformers(onnx_clf, torch_clf):
    onnx_clf.reset_caches(), torch_clf.reset_caches()
    got, want = onnx_clf.check_many(PAIRS), torch_clf.check_many(PAIRS)
    for g, w in zip(got, want):
        assert max(abs(g.probabilities[k] - w.probabilities[k]) for k in w.probabilities) <= 1e-4
        assert (g.out_of_scope, g.kind, g.brief_match) == (w.out_of_scope, w.kind, w.brief_match)
        assert abs(g.confidence - w.confidence) <= 1e-3


def test_the_onnx_tokenizer_cuts_and_places_tokens_as_transformers_does(onnx_clf, clf):
    from nlp.joint import MAX_REQUEST_TOKENS

    texts = [r for _, r in PAIRS] + ["Ünïcödé café — 10×12 cm, 😀 emoji!", "x"]
    mine = onnx_clf.encoder.tokenize(texts, MAX_REQUEST_TOKENS)
    ref = clf.encoder.tokenizer(
        texts, padding=True, truncation=True, max_length=MAX_REQUEST_TOKENS, return_offsets_mapping=True
    )
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert mine[key].tolist() == ref[key]
    assert mine["offsets"].tolist() == [[list(o) for o in row] for row in ref["offset_mapping"]]
    assert mine["input_ids"].shape[1] == MAX_REQUEST_TOKENS  # the long request is cut at the reader's limit


def test_an_export_made_from_other_joint_weights_is_refused(exported, weights, tmp_path):
    from nlp.onnx_export import OnnxEncoder, OnnxJointReader, StaleExport

    encoder = OnnxEncoder(str(exported))
    same = tmp_path / "same.npz"
    shutil.copy(weights, same)
    assert OnnxJointReader(encoder, same).kinds  # the file's content counts, not where it lies
    data = dict(np.load(weights))
    data["out/bias"] = data["out/bias"] + 0.1  # retrained, say
    changed = tmp_path / "joint.npz"
    np.savez_compressed(changed, **data)
    with pytest.raises(StaleExport, match="mediator model export-onnx"):
        OnnxJointReader(encoder, changed)
    from nlp.scope import load_classifier

    with pytest.raises(StaleExport, match="changed since"):
        load_classifier(weights=str(changed), backend="onnx", onnx_path=str(exported))


def test_an_export_without_the_joint_graphs_is_refused(exported, weights, tmp_path):
    """An export made before the joint reader had graphs still gives sentence vectors, but the
    classifier does not fall back to anything: it says to export again."""
    from nlp.onnx_export import BRIEF_FILE, MANIFEST, REQUEST_FILE, OnnxEncoder, OnnxJointReader, StaleExport

    old = tmp_path / "old"
    old.mkdir()
    for f in exported.iterdir():
        if f.name not in (BRIEF_FILE, REQUEST_FILE, MANIFEST):
            os.symlink(f, old / f.name)
    encoder = OnnxEncoder(str(old))
    assert encoder.embed(["Could you also design business cards?"]).shape == (1, 384)
    with pytest.raises(StaleExport, match=r"no joint reader graphs.*mediator model export-onnx"):
        OnnxJointReader(encoder, weights)


def test_the_export_records_the_weights_it_was_made_from(exported, weights):
    from nlp.matching import DELTA
    from nlp.onnx_export import MANIFEST, file_digest

    record = json.loads((exported / MANIFEST).read_text())
    assert record["joint"]["sha256"] == file_digest(weights)
    assert record["matcher_delta"]["sha256"] == file_digest(DELTA)
    assert record["split"] == 4


def test_the_onnx_backend_answers_without_torch(exported, weights):
    """Cold start is the point of the backend: torch and transformers take seconds to import."""
    code = (
        "import sys; from nlp.scope import load_classifier;"
        "c = load_classifier(weights=sys.argv[1], backend='onnx', onnx_path=sys.argv[2]);"
        "r = c.check('Design 3 logo concepts as SVG, 2 revisions, $300.', 'Could you also design business cards?');"
        "print(type(c.joint).__name__, r.kind, sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers'}))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code, str(weights), str(exported)],
        cwd=str(REPO),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    name, _kind, imported = out.stdout.strip().splitlines()[-1].split(" ", 2)
    assert name == "OnnxJointReader" and imported == "[]"
