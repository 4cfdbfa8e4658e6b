"""Project configuration: discovery from the current directory upwards, precedence, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli

from auditor.project import find_config, load_project

TEXT = (
    "Rode with Sam to Dr Patel's clinic. You asked two open questions about her newly "
    "diagnosed patients; she agreed to try it. By 15 May, ask for a follow-up date."
)


def _settings(cli: Cli, *args: str) -> dict[str, tuple[object, str]]:
    result = cli(*args, "config", "--format", "json")
    assert result.exit_code == 0, result.output
    return {r["setting"]: (r["value"], r["source"]) for r in json.loads(result.stdout)["settings"]}


def test_nearest_file_wins_and_pyproject_needs_a_tool_auditor_table(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "auditor.toml").write_text('preset = "veeva"\n', encoding="utf-8")
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert find_config(deep) == tmp_path / "auditor.toml"  # pyproject without [tool.auditor]
    (tmp_path / "a" / "pyproject.toml").write_text(
        "[tool.auditor]\nworkers = 2\n", encoding="utf-8"
    )
    assert find_config(deep) == tmp_path / "a" / "pyproject.toml"
    assert load_project(start=deep).options() == {"workers": 2}


def test_config_command_shows_values_and_sources(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "auditor.toml").write_text(
        'rubric = "packs/acme"\nignore = ["NUM001"]\nworkers = 2\n'
        '[map]\nregion = "Territory_vod__c"\ntext = ["Comments__c", "Notes__c"]\n',
        encoding="utf-8",
    )
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    settings = _settings(cli)
    source = str(tmp_path / "auditor.toml")
    assert settings["rubric"] == (str(tmp_path / "packs" / "acme"), source)  # relative to file
    assert settings["workers"] == (2, source)
    assert settings["map"] == ("region=Territory_vod__c, text=Comments__c, text=Notes__c", source)
    assert settings["batch_size"] == (32, "default")


def test_settings_apply_and_the_command_line_wins(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "export.csv").write_text(
        f"Ref;Area;Body\nr-1;EMEA;{TEXT.replace(';', ',')}\n", encoding="utf-8"
    )
    (tmp_path / "auditor.toml").write_text(
        '[map]\nid = "Ref"\nregion = "Area"\ntext = "Body"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    result = cli("audit", "export.csv", "--out", "out", "--quiet", *RULES_ONLY)
    assert result.exit_code == 0, result.output
    first = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[0])
    assert (first["id"], first["metadata"]) == ("r-1", {"region": "EMEA"})
    # --map on the command line replaces the file's [map] as a whole.
    result = cli(
        "audit",
        "export.csv",
        "--out",
        "out2",
        "--quiet",
        "--map",
        "id=Ref",
        "--map",
        "text=Body",
        *RULES_ONLY,
    )
    assert result.exit_code == 0, result.output
    first = json.loads((tmp_path / "out2" / "results.jsonl").read_text().splitlines()[0])
    assert first["metadata"] == {"Area": "EMEA"}


def test_an_invalid_file_exits_2_naming_file_and_key(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "auditor.toml").write_text("workers = 0\ncolour = 'red'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("config")
    assert result.exit_code == 2
    assert str(tmp_path / "auditor.toml") in result.stderr
    assert "workers" in result.stderr and "colour" in result.stderr
    (tmp_path / "auditor.toml").write_text("workers = [", encoding="utf-8")
    result = cli("config")
    assert result.exit_code == 2 and "not valid TOML" in result.stderr


def test_serve_table_sets_serve_limits(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "auditor.toml"
    config.write_text("[serve]\nheader_timeout = 3\nmax_connections = 50\n", encoding="utf-8")
    assert load_project(config).options() == {"header_timeout": 3.0, "max_connections": 50}
    settings = _settings(cli, "--config", str(config))
    assert settings["serve.header_timeout"] == (3.0, str(config))
    assert settings["serve.body_timeout"] == (30.0, "default")
    config.write_text("[serve]\nheader_timeout = 0\n", encoding="utf-8")
    result = cli("--config", str(config), "config")
    assert result.exit_code == 2 and "header_timeout" in result.output
