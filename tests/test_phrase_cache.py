"""The compiled rule-pack cache: phrase lemmas stored on disk, trusted only when they fit.

Behaviour only (timings belong in benchmarks/throughput.py --cold-start): a changed pack, a
corrupt, truncated, stale or wrongly shaped file are rebuilt; a disabled or unwritable cache
works; matches are the same cold, warm and without a cache.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from cli_support import small_pack

from auditor.config import RuleSpec, load_ruleset
from auditor.nlp import compiled, matching
from auditor.nlp.components import FcrTagger
from auditor.nlp.pipeline import load_model
from auditor.schema import Report

TEXTS = [
    "You asked open questions and she agreed to a follow-up on the formulary data.",
    "The rep's attitude is lazy; as I told you, the KOLs were not engaged.",
    "Next visit by 12 March: present the PA criteria to two HCPs.",
]
SPECS = [
    ("t:ask", RuleSpec(exact=("pa",), phrases=("ask open question", "agree to a follow-up"))),
    ("t:data", RuleSpec(phrases=("formulary data", "pa criteria", "not engaged"))),
    ("t:pattern", RuleSpec(patterns=(({"LOWER": "rep"},),))),
]


@pytest.fixture(scope="module")
def nlp():
    """The model as the rule tagger sees it while it is built (no rules yet)."""
    base = load_model()
    base.add_pipe("fcr_norm")
    return base


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(compiled.CACHE_ENV, str(directory))
    return directory


def _hits(nlp, matcher) -> list[tuple[str, int, int, str]]:
    return sorted((m.label, m.start, m.end, m.source) for t in TEXTS for m in matcher(nlp(t)))


def _no_lemmatising(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(matching, "lemmatise", fail)


def test_warm_cache_cold_cache_and_no_cache_match_the_same(nlp, cache, monkeypatch) -> None:
    cold = _hits(nlp, matching.RuleMatcher(nlp, SPECS))
    assert len(cold) >= 4 and len(list(cache.glob("phrases-*.json"))) == 1
    with monkeypatch.context() as m:
        _no_lemmatising(m)
        warm = _hits(nlp, matching.RuleMatcher(nlp, SPECS))
    monkeypatch.setenv(compiled.CACHE_ENV, "off")
    assert cold == warm == _hits(nlp, matching.RuleMatcher(nlp, SPECS))


def _corrupt(path: Path) -> None:
    path.write_bytes(b"\x80\x00 not json")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _wrong_shape(path: Path) -> None:
    data = json.loads(path.read_text())
    data["norms"][0].pop()
    path.write_text(json.dumps(data))


def _bad_token(path: Path) -> None:
    data = json.loads(path.read_text())
    data["norms"][1][0] = [1, 2]
    path.write_text(json.dumps(data))


def _stale_key(path: Path) -> None:
    data = json.loads(path.read_text())
    data["key"] = "0" * 64
    data["norms"][0][0] = ["never", "matches"]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage", [_corrupt, _truncate, _wrong_shape, _bad_token, _stale_key])
def test_a_damaged_cache_file_is_rebuilt_not_trusted(nlp, cache, caplog, damage) -> None:
    expected = _hits(nlp, matching.RuleMatcher(nlp, SPECS))
    (path,) = cache.glob("phrases-*.json")
    good = path.read_text()
    damage(path)
    with caplog.at_level(logging.DEBUG, logger=compiled.__name__):
        assert _hits(nlp, matching.RuleMatcher(nlp, SPECS)) == expected
    assert "rebuilding" in caplog.text
    assert path.read_text() == good  # rewritten


def test_a_changed_pack_is_recompiled_and_its_new_phrase_matches(nlp, cache, tmp_path) -> None:
    pack = small_pack(tmp_path / "pack")
    text = "Honestly, your grumpy hedgehog routine was lazy."
    before = FcrTagger(nlp, load_ruleset(pack)).matcher(nlp(text))
    assert not [m for m in before if "hedgehog" in m.source]
    path = pack / "lexicons" / "judgemental.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["phrases"][0] = "grumpy hedgehog"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    after = FcrTagger(nlp, load_ruleset(pack)).matcher(nlp(text))
    assert [m.label for m in after if m.source == "phrase:grumpy hedgehog"] == ["lex:judgmental"]
    assert len(list(cache.glob("phrases-*.json"))) == 2


def test_unwritable_cache_dir_works_with_one_warning(nlp, tmp_path, monkeypatch, caplog) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(compiled.CACHE_ENV, str(blocker / "cache"))
    monkeypatch.setattr(compiled, "_warned", False)
    with caplog.at_level(logging.WARNING, logger=compiled.__name__):
        first = _hits(nlp, matching.RuleMatcher(nlp, SPECS))
        second = _hits(nlp, matching.RuleMatcher(nlp, SPECS))
    assert first == second and len(first) >= 4
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize("value", ["off", "none", "0", ""])
def test_disabled_cache_writes_nothing(nlp, tmp_path, monkeypatch, value) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(compiled.CACHE_ENV, value)
    assert compiled.cache_dir() is None
    assert len(_hits(nlp, matching.RuleMatcher(nlp, SPECS))) >= 4
    assert not (tmp_path / "xdg").exists()


def test_cache_dir_follows_xdg_then_home(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(compiled.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compiled.cache_dir() == tmp_path / "xdg" / "fcr-auditor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert compiled.cache_dir() == tmp_path / "home" / ".cache" / "fcr-auditor"


def test_the_key_changes_with_the_phrases_and_the_pipeline() -> None:
    ident = {"model": "m-1", "pipes": ["a"]}
    key = compiled.cache_key([("x", ["one"])], ident)
    assert key == compiled.cache_key([("x", ["one"])], dict(ident))
    assert key != compiled.cache_key([("x", ["one", "two"])], ident)
    assert key != compiled.cache_key([("y", ["one"])], ident)
    assert key != compiled.cache_key([("x", ["one"])], {**ident, "model": "m-2"})


_COMMANDS = {
    "rules list": ["rules", "list"],
    "rules explain": ["rules", "explain", "STAR001"],
    "regions": ["regions", "RESULTS", "--format", "text"],
}


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_commands_without_reports_load_neither_spacy_nor_sklearn(
    name: str, tmp_path, engine
) -> None:
    results = tmp_path / "results.jsonl"
    audits = [
        engine.audit(Report(id=f"r{i}", text=text, metadata={"region": "North"}))
        for i, text in enumerate(TEXTS)
    ]
    results.write_text("".join(a.model_dump_json() + "\n" for a in audits))
    args = [str(results) if a == "RESULTS" else a for a in _COMMANDS[name]]
    code = (
        "import sys\nfrom auditor.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'spacy', 'thinc', 'sklearn'})\n"
        "print('LOADED', loaded, code, file=sys.stderr)\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "", "HOME": str(tmp_path)},
        cwd=tmp_path,
        check=True,
    )
    assert "LOADED [] 0" in out.stderr, out.stderr


def test_only_the_newest_compiled_packs_are_kept(nlp, cache, monkeypatch) -> None:
    monkeypatch.setattr(compiled, "KEEP_FILES", 2)
    for word in ("alpha", "beta", "gamma"):
        matching.RuleMatcher(nlp, [("t:x", RuleSpec(phrases=(word,)))])
    assert len(list(cache.glob("phrases-*.json"))) == 2
    assert not list(cache.glob(".*.tmp"))


def test_a_compile_in_progress_is_waited_for_and_its_file_read(cache: Path) -> None:
    phrases = [("t:data", ("formulary data",))]
    pipeline = {"name": "test"}
    built_elsewhere = [[["formulary", "datum"]]]
    calls: list[object] = []

    def build(_: object) -> list[list[list[str]]]:
        calls.append(_)
        return [[["never", "used"]]]

    result: list[object] = []
    with compiled._compiling(cache):  # another process is compiling this pack
        waiting = threading.Thread(
            target=lambda: result.append(compiled.phrase_norms(phrases, pipeline, build))
        )
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive(), "did not wait for the compile in progress"
        key = compiled.cache_key(phrases, pipeline)
        compiled._write(cache, cache / f"phrases-{key[:40]}.json", key, built_elsewhere)
    waiting.join(timeout=30)
    assert result == [built_elsewhere] and calls == []
