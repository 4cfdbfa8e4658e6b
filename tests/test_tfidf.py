"""The sentence model's TF-IDF without scikit-learn equals scikit-learn's, bit for bit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from auditor.learned import tfidf
from auditor.learned.artefacts import default_model_dir

ROOT = Path(__file__).resolve().parent.parent
ODD = ["", "  ", "a", "I I I", "Ünïcode  ÉTÉ\tx\n\ny", "x" * 3, "don't—stop!! 12 mg/kg", "ǅ ﬁ İ"]


def _texts() -> list[str]:
    out = list(ODD)
    for path in sorted((ROOT / "corpus" / "sample_reports").glob("*.jsonl"))[:3]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text") or ""
                out += [text, *text.split(". ")]
    return out


@pytest.mark.parametrize("part", ["word", "char"])
def test_equals_scikit_learn_bit_for_bit(part: str) -> None:
    artefact = json.loads((default_model_dir("sentence_model") / "model.json").read_text())
    params, vocabulary, idf = (artefact[part][k] for k in ("params", "vocabulary", "idf"))
    assert tfidf.supports(params)
    kwargs = {**params, "ngram_range": tuple(params["ngram_range"])}
    kwargs.pop("min_df")
    ref_vec = TfidfVectorizer(**kwargs, vocabulary={t: i for i, t in enumerate(vocabulary)})
    ref_vec.idf_ = np.asarray(idf, dtype=float)
    texts = _texts()
    assert len(texts) > 1000
    ref = ref_vec.transform(texts)
    ours = tfidf.Tfidf(params, vocabulary, idf).transform(texts)
    assert ref.shape == ours.shape
    assert np.array_equal(ref.indptr, ours.indptr) and np.array_equal(ref.indices, ours.indices)
    assert ref.data.tobytes() == ours.data.tobytes()


@pytest.mark.parametrize(
    "params",
    [
        {"analyzer": "char", "lowercase": True, "ngram_range": [2, 3], "sublinear_tf": True},
        {"analyzer": "word", "lowercase": False, "ngram_range": [1, 2], "sublinear_tf": True},
        {"analyzer": "word", "ngram_range": [1, 2], "sublinear_tf": True, "stop_words": "english"},
    ],
)
def test_other_settings_are_left_to_scikit_learn(params) -> None:
    assert not tfidf.supports(params)


def test_checking_a_draft_does_not_import_scikit_learn(tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("You asked open questions. Next visit by Friday: agree two objectives.\n")
    code = (
        "import sys\nfrom auditor.cli import main\n"
        f"try:\n    main(['check', {str(draft)!r}])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & {'sklearn'}),"
        " 'auditor.learned.sentence_model' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "",
            "HOME": str(tmp_path),
            "FCR_AUDITOR_CACHE_DIR": os.environ.get("FCR_AUDITOR_CACHE_DIR", "off"),
        },
        check=True,
    )
    assert "LOADED [] True" in out.stderr, out.stderr


def test_a_loaded_sentence_model_survives_pickling_for_worker_processes() -> None:
    import pickle

    from auditor.learned.artefacts import default_model_dir
    from auditor.learned.sentence_model import SentenceRoleModel

    model = SentenceRoleModel.load(default_model_dir("sentence_model", False))  # type: ignore[arg-type]
    texts = ["You asked Dr Lee two open questions.", "Next ride-along: book the nurse in-service."]
    copy = pickle.loads(pickle.dumps(model))
    assert (copy.predict_proba(texts) == model.predict_proba(texts)).all()
