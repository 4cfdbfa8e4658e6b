"""Throughput, peak memory and draft-check latency of the full audit on one core.

Audits N reports drawn with replacement from the corpus (or built from corpus sentences) and,
on the same texts in the same run, times the spaCy tokenizer alone and the spaCy model
components alone, so the cost of our own code shows as `ratio_to_model`. Then times
`Auditor.audit` on one 300-word draft. Prints one JSON line. `--stream N` instead feeds N
reports from a generator (never a list) to `audit_stream` and reports throughput and peak RSS.

`--cold-start` instead times fresh `auditor check` and `auditor serve` processes against loading
spaCy's model (benchmarks/coldstart.py).

Run: python benchmarks/throughput.py [--n 2000] [--stream 100000] [--cold-start]
(see benchmarks/README.md)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from corpus import CORPUS, corpus_texts

# One core: BLAS/OpenMP pools must be single-threaded before numpy or spaCy are imported (they
# are imported inside the functions below, after this).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

DRAFT_WORDS = 300
LATENCY_RUNS = 200
WARMUP = 20
BATCH = 32


def corpus_sentences() -> list[str]:
    """Annotated sentences of the corpus (sentences_*.jsonl)."""
    out = []
    for path in sorted(CORPUS.glob("sentences_*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            out += [json.loads(line)["text"] for line in fh if line.strip()]
    if not out:
        raise SystemExit(f"{CORPUS}: no sentences_*.jsonl")
    return out


def draw(source: str, rng: random.Random) -> Callable[[], str]:
    """A function returning one report text: a corpus report, or 4-12 corpus sentences."""
    if source == "corpus":
        texts = corpus_texts()
        return lambda: rng.choice(texts)
    sentences = corpus_sentences()
    return lambda: " ".join(rng.choices(sentences, k=rng.randint(4, 12)))


def words(text: str) -> int:
    """Whitespace-separated words (the unit of every words_per_s)."""
    return len(text.split())


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rate(n: float, seconds: float) -> float:
    """n per second, rounded."""
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def timed(run: Callable[[], Any]) -> float:
    """Seconds one call of `run` takes."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def consume(items: Iterable[Any]) -> None:
    """Exhaust an iterator without keeping its items."""
    for _ in items:
        pass


def pipe_seconds(nlp: Any, texts: list[str]) -> float:
    """Seconds a spaCy pipeline (or tokenizer) takes over `texts`, after a warm-up."""
    consume(nlp.pipe(texts[:WARMUP]))
    return timed(lambda: consume(nlp.pipe(texts, batch_size=BATCH)))


def percentile(ms: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    xs = sorted(ms)
    return round(xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))], 2)


def draft_of(n_words: int, texts: list[str]) -> str:
    """A draft of exactly `n_words` words: corpus reports joined in order and cut."""
    taken: list[str] = []
    for text in texts:
        taken += text.split()
        if len(taken) >= n_words:
            return " ".join(taken[:n_words])
    raise SystemExit(f"the corpus has fewer than {n_words} words")


def build_auditor(sentence_model: str) -> Any:
    """The Auditor `auditor audit` runs: the bundled rules with the learned pieces enabled in
    models/defaults.json (sentence model, focus model, calibration), or the rules alone."""
    from auditor.engine import Auditor

    if sentence_model != "default":
        return Auditor()
    from auditor.learned.loading import load_learned

    learned = load_learned(None, None, None)
    return Auditor(
        sentence_model=learned.sentence_model,
        calibration=learned.calibration,
        focus_model=learned.focus_model,
    )


def measure_batch(n: int, source: str, sentence_model: str, seed: int) -> dict[str, Any]:
    """Full audit, tokenizer only and model only on the same N texts; then draft latency."""
    import spacy

    from auditor.nlp.pipeline import load_model
    from auditor.schema import Report

    rng = random.Random(seed)
    one = draw(source, rng)
    texts = [one() for _ in range(n)]
    n_words = sum(map(words, texts))

    t_tok = pipe_seconds(spacy.blank("en").tokenizer, texts)
    model = load_model()
    model.add_pipe("fcr_norm")  # the model's components, none of our rules
    t_model = pipe_seconds(model, texts)

    engine = build_auditor(sentence_model)
    reports = [Report(id=f"b-{i}", text=t) for i, t in enumerate(texts)]
    consume(engine.audit_stream(reports[:WARMUP]))
    t_full = timed(lambda: consume(engine.audit_stream(reports, BATCH)))

    draft = Report(id="draft", text=draft_of(DRAFT_WORDS, corpus_texts()))
    for _ in range(WARMUP):
        engine.audit(draft)
    latencies = []
    for _ in range(LATENCY_RUNS):
        start = time.perf_counter()
        engine.audit(draft)
        latencies.append((time.perf_counter() - start) * 1000)

    words_per_s = rate(n_words, t_full)
    model_words_per_s = rate(n_words, t_model)
    return {
        "mode": "batch",
        "n": n,
        "words": n_words,
        "source": source,
        "sentence_model": sentence_model,
        "words_per_s": words_per_s,
        "reports_per_s": rate(n, t_full),
        "peak_rss_mb": peak_rss_mb(),
        "tokenizer_words_per_s": rate(n_words, t_tok),
        "model_words_per_s": model_words_per_s,
        "ratio_to_model": round(words_per_s / model_words_per_s, 3),
        "check_latency_p50_ms": percentile(latencies, 50),
        "check_latency_p95_ms": percentile(latencies, 95),
        "draft_words": DRAFT_WORDS,
    }


def measure_stream(n: int, source: str, sentence_model: str, seed: int) -> dict[str, Any]:
    """Audit N reports fed by a generator; memory must not grow with N."""
    from auditor.schema import Report

    rng = random.Random(seed)
    one = draw(source, rng)
    counted = {"words": 0}

    def reports() -> Iterator[Report]:
        for i in range(n):
            # A unique reference per report, as CRM exports carry, so the vocabulary grows
            # the way it does on real data instead of seeing the same strings again.
            text = f"Ref CR-{seed}-{i:07d}. {one()}"
            counted["words"] += words(text)
            yield Report(id=f"s-{i}", text=text)

    engine = build_auditor(sentence_model)
    consume(engine.audit_stream((Report(id="w", text=one()) for _ in range(WARMUP)), BATCH))
    rss_loaded = peak_rss_mb()
    audited = 0
    start = time.perf_counter()
    for audit in engine.audit_stream(reports(), BATCH):
        audit.model_dump_json()  # serialised as `auditor audit` does, then dropped
        audited += 1
    elapsed = time.perf_counter() - start
    return {
        "mode": "stream",
        "n": audited,
        "words": counted["words"],
        "source": source,
        "sentence_model": sentence_model,
        "words_per_s": rate(counted["words"], elapsed),
        "reports_per_s": rate(audited, elapsed),
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb(),
        "elapsed_s": round(elapsed, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="reports for the batch run")
    parser.add_argument(
        "--stream",
        type=int,
        default=None,
        metavar="N",
        help="instead, stream N reports from a generator (memory run)",
    )
    parser.add_argument(
        "--source",
        choices=["corpus", "sentences"],
        default="corpus",
        help="draw whole corpus reports, or join 4-12 corpus sentences",
    )
    parser.add_argument(
        "--sentence-model",
        choices=["default", "none"],
        default="default",
        help="as `auditor audit`: the models enabled in models/defaults.json",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cold-start",
        action="store_true",
        help="instead, time fresh `auditor check` (empty and warm cache) and `auditor serve`",
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds of the cold-start run")
    args = parser.parse_args(argv)
    if args.cold_start:
        from coldstart import measure_cold_start

        result = measure_cold_start(draft_of(DRAFT_WORDS, corpus_texts()), args.runs)
        result["load_avg_1m"] = round(os.getloadavg()[0], 2)
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
        return
    if args.stream:
        result = measure_stream(args.stream, args.source, args.sentence_model, args.seed)
    else:
        result = measure_batch(args.n, args.source, args.sentence_model, args.seed)
    result["threads"] = 1
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)  # the machine may be shared
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
