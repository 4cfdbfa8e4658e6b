"""The compiled rule pack: lemma sequences of the pack's phrases, cached on disk.

Lemmatising the ~3,300 phrases of a rule pack through the neural pipeline is most of a cold
start; the result depends only on the phrases and the pipeline. So it is stored as JSON in a
per-user cache directory, in a file named by a key that hashes everything it depends on: the
phrases themselves (label by label, in order), the format version, the versions of this package,
spaCy, thinc and numpy, the model's name, version and components, and the source of the modules
that compute the norms. A file is trusted only when it parses, carries the same key and has
exactly the expected shape; anything else is rebuilt (logged at debug level) and rewritten
atomically. The cache never holds pickles, and it is optional: see `cache_dir`.

Directory: `$FCR_AUDITOR_CACHE_DIR` if set (`off`, `none`, `0` or empty disable the cache), else
`$XDG_CACHE_HOME/fcr-auditor`, else `~/.cache/fcr-auditor`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.atomic import replace_durably

log = logging.getLogger(__name__)

#: Bump when the file layout or the way norms are computed changes.
FORMAT_VERSION = 1
CACHE_ENV = "FCR_AUDITOR_CACHE_DIR"
_DISABLED = {"", "0", "off", "none", "false", "no"}
#: Older cache files beyond this many are removed when a new one is written.
KEEP_FILES = 16
#: Modules whose code decides the norms (the key changes when they do).
_CODE = ("components.py", "matching.py", "compiled.py", "pipeline.py")

Norms = list[list[list[str]]]  # per label, per phrase, the norm of each token
Phrases = Sequence[tuple[str, Sequence[str]]]  # (label, phrases) in matcher order

_warned = False


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is disabled (see the module doc)."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return None if env.strip().lower() in _DISABLED else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fcr-auditor"


def cache_key(phrases: Phrases, pipeline: dict[str, Any]) -> str:
    """sha256 over the phrases, the pipeline's identity, library versions and our code."""
    import numpy
    import spacy
    import thinc

    here = Path(__file__).parent
    code = hashlib.sha256(b"".join((here / name).read_bytes() for name in _CODE)).hexdigest()
    ident = {
        "format": FORMAT_VERSION,
        "package": __version__,
        "python": sys.version_info[:2],
        "spacy": spacy.__version__,
        "thinc": thinc.__version__,
        "numpy": numpy.__version__,
        "pipeline": pipeline,
        "code": code,
        "phrases": [[label, list(ps)] for label, ps in phrases],
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()


def _valid(data: Any, key: str, phrases: Phrases) -> Norms | None:
    """`data["norms"]` when `data` is a cache file for `key` of exactly the expected shape."""
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    norms = data.get("norms")
    if not isinstance(norms, list) or len(norms) != len(phrases):
        return None
    for per_label, (_, ps) in zip(norms, phrases, strict=True):
        if not isinstance(per_label, list) or len(per_label) != len(ps):
            return None
        for seq in per_label:
            if not isinstance(seq, list) or not all(isinstance(t, str) and t for t in seq):
                return None
    return norms


def _read(path: Path, key: str, phrases: Phrases) -> Norms | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.debug("phrase cache %s: not built yet", path)
        return None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON, truncated
        log.debug("phrase cache %s: unreadable (%s); rebuilding", path, exc)
        return None
    norms = _valid(data, key, phrases)
    if norms is None:
        log.debug("phrase cache %s: stale key or wrong shape; rebuilding", path)
    return norms


def _write(directory: Path, path: Path, key: str, norms: Norms) -> None:
    global _warned
    # A temporary name of this process's own: worker processes may compile the same pack at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": FORMAT_VERSION, "key": key, "norms": norms}) + "\n"
        with tmp.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        replace_durably(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if not _warned:
            _warned = True
            log.warning("phrase cache not written (%s); set %s=off to skip it", exc, CACHE_ENV)
        return
    with contextlib.suppress(OSError):  # another process may be pruning too
        old = sorted(directory.glob("phrases-*.json"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-KEEP_FILES]:
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _compiling(directory: Path) -> Iterator[None]:
    """Hold the cache's compile lock: one process builds, others compiling at once wait.

    Without a usable lock file (an unwritable directory) nothing is held and each builds.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / ".compile.lock", os.O_CREAT | os.O_RDWR, 0o644)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def phrase_norms(
    phrases: Phrases, pipeline: dict[str, Any], build: Callable[[Phrases], Norms]
) -> Norms:
    """The norms of every phrase: from the cache when it holds them, else `build` (and store)."""
    directory = cache_dir()
    if directory is None:
        return build(phrases)
    key = cache_key(phrases, pipeline)
    path = directory / f"phrases-{key[:40]}.json"
    norms = _read(path, key, phrases)
    if norms is None:
        # Worker processes starting together on an empty cache: the first builds, the others
        # wait for its file instead of all lemmatising the pack at once.
        with _compiling(directory):
            norms = _read(path, key, phrases)
            if norms is None:
                norms = build(phrases)
                _write(directory, path, key, norms)
    return norms
