"""Can rule phrases be lemmatised without the neural pipeline? Compares the two routes.

For every lemma phrase of a rule pack, the norms the matcher uses (the reading pipeline:
tok2vec + tagger + attribute ruler + lemmatizer + fcr_norm, one `nlp.pipe` pass over all phrases)
against the cheap route (tokenizer + the same attribute ruler and rule lemmatizer, with no tags,
+ fcr_norm). Also checks that one pass over all phrases gives what one pass per label gave.
Prints one JSON line: counts, and the most frequent (cheap, neural) token pairs that differ.

Run: python benchmarks/phrase_lemmas.py [--rubric DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections import Counter
from typing import Any

os.environ["FCR_AUDITOR_CACHE_DIR"] = "off"  # always the real lemmatisation


def main(argv: list[str] | None = None) -> None:
    """Compare the routes on the pack and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rubric", default=None, help="rule pack (default: bundled rules/)")
    args = parser.parse_args(argv)

    from auditor.config import load_ruleset
    from auditor.nlp import components, matching, pipeline

    nlp = pipeline.load_model()
    nlp.add_pipe("fcr_norm")
    seen: dict[str, Any] = {}

    def spy(phrases: Any, ident: Any, build: Any) -> Any:
        seen["phrases"] = phrases
        return build(phrases)

    matching.phrase_norms = spy
    components.FcrTagger(nlp, load_ruleset(args.rubric))
    phrases = seen["phrases"]
    neural = matching.lemmatise(nlp, phrases)
    per_label = [
        [[t.norm_ for t in doc] for doc in nlp.pipe(p.lower() for p in ps)] for _, ps in phrases
    ]
    lookup, norm = nlp.get_pipe("fcr_attributes"), nlp.get_pipe("fcr_norm")
    differ, pairs = 0, Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W108: no POS for the rule lemmatizer (the point)
        for (_, ps), seqs in zip(phrases, neural, strict=True):
            for phrase, seq in zip(ps, seqs, strict=True):
                doc = norm(lookup(nlp.make_doc(phrase.lower())))
                cheap = [t.norm_ for t in doc]
                if cheap != seq:
                    differ += 1
                    pairs.update(f"{a} -> {b}" for a, b in zip(cheap, seq, strict=False) if a != b)
    result = {
        "phrases": sum(len(ps) for _, ps in phrases),
        "labels": len(phrases),
        "one_pass_equals_per_label": neural == per_label,
        "cheap_route_differs": differ,
        "most_frequent_differences (cheap -> neural)": dict(pairs.most_common(15)),
    }
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
