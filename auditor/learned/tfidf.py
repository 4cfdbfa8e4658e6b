"""TF-IDF features of a trained vocabulary, computed without importing scikit-learn.

`TfidfVectorizer.transform` is all the sentence-role model needs at prediction time, but
importing scikit-learn takes ~0.8 s (it pulls in scipy.stats), a quarter of a cold
`auditor check`. `Tfidf` reproduces that transform step by step, for the settings the model
uses (word 1-2-grams with the default token pattern, or `char_wb` n-grams; lower-casing;
sublinear tf; idf; l2 norm): the same analyzers, counts in sorted column order, `log(tf) + 1`,
times idf, rows divided by the square root of their sum of squares added left to right as
scikit-learn's Cython loop does. The result is equal bit for bit (tests/test_tfidf.py); other
settings go through scikit-learn itself (`supports`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")
#: Parameters and values `Tfidf` reproduces; anything else needs scikit-learn.
_FIXED = {"lowercase": True, "sublinear_tf": True}
_FREE = {"analyzer", "ngram_range", "min_df"}  # min_df only matters when fitting


def supports(params: dict[str, Any]) -> bool:
    """Whether `Tfidf` computes exactly what scikit-learn would for these vectorizer params."""
    return (
        set(params) <= _FREE | set(_FIXED)
        and all(params.get(k) == v for k, v in _FIXED.items())
        and params.get("analyzer") in ("word", "char_wb")
        and len(params.get("ngram_range", ())) == 2
    )


def _word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    tokens = _TOKEN.findall(text.lower())
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
        out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


def _char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    out: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        w = f" {word} "
        for n in range(lo, hi + 1):
            out += [w[i : i + n] for i in range(max(1, len(w) - n + 1))]
            if len(w) <= n:  # a short word is counted once
                break
    return out


class Tfidf:
    """`TfidfVectorizer(**params, vocabulary=...)` with `idf_` set, for `transform` only."""

    def __init__(self, params: dict[str, Any], vocabulary: Sequence[str], idf: Sequence[float]):
        if not supports(params):
            raise ValueError(f"unsupported TF-IDF settings: {params}")
        lo, hi = params["ngram_range"]
        grams = _word_ngrams if params["analyzer"] == "word" else _char_wb_ngrams
        # A partial, not a lambda: worker processes receive the model pickled.
        self._analyze: Callable[[str], list[str]] = partial(grams, lo=lo, hi=hi)
        self._index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=float)
        if self.idf.shape != (len(self._index),):
            raise ValueError("idf and vocabulary differ in length")

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """The l2-normalised TF-IDF rows of `texts`, as scikit-learn's transform returns them."""
        index, indices, counts, indptr = self._index, [], [], [0]
        for text in texts:
            counter: dict[int, int] = {}
            for gram in self._analyze(text):
                j = index.get(gram)
                if j is not None:
                    counter[j] = counter.get(j, 0) + 1
            row = sorted(counter)
            indices += row
            counts += [counter[j] for j in row]
            indptr.append(len(indices))
        cols = np.asarray(indices, dtype=np.int32)
        data = np.asarray(counts, dtype=np.float64)
        np.log(data, data)
        data += 1.0
        data *= self.idf[cols]
        for start, end in zip(indptr, indptr[1:], strict=False):
            if end > start:
                row_data = data[start:end]
                total = np.cumsum(row_data * row_data)[-1]  # sequential, like sklearn's loop
                if total != 0.0:
                    row_data /= np.sqrt(total)
        shape = (len(texts), len(index))
        return csr_matrix((data, cols, np.asarray(indptr, dtype=np.int32)), shape=shape)
