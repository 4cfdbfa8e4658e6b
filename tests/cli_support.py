"""Run the `auditor` command in-process (click's CliRunner) and copy rule packs for tests.

Every CLI invocation builds its own Auditor, as a real run does; only the spaCy pipeline of a
rule pack is built once per test session (conftest.py's `shared_pipelines`: it takes seconds
and depends on nothing but the pack), so many invocations stay affordable.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from auditor.cli import main
from auditor.config import DEFAULT_RULES_DIR

#: Model flags that keep a CLI run on the rules alone, like the session `engine` fixture.
RULES_ONLY = ("--sentence-model", "none", "--calibration", "none")

Cli = Callable[..., Result]


def cli_runner() -> Cli:
    """A function `cli(*args, input=None)` that runs `auditor ARGS` and returns the Result."""

    def run(*args: str, input: str | bytes | None = None) -> Result:  # noqa: A002 (click's name)
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def copy_pack(dest: Path, edit: Callable[[dict[str, Any]], None] | None = None,
              file: str = "rubric.yaml") -> Path:
    """Copy the bundled rules/ to `dest` and apply `edit` to the parsed `file` (if given)."""
    shutil.copytree(DEFAULT_RULES_DIR, dest)
    if edit is not None:
        path = dest / file
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
    return dest
