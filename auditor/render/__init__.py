"""HTML outputs: a jinja2 environment (autoescape on) over the bundled templates."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from auditor import __version__

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    """The one jinja2 environment: autoescaping everywhere, undefined names are errors."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def draft_page(max_chars: int) -> str:
    """The draft page `auditor serve` answers GET / with."""
    return environment().get_template("draft.html").render(max_chars=max_chars, version=__version__)


def embed_script(max_chars: int) -> str:
    """GET /embed.js: the check for a text box on another site, sharing the page's feedback.js."""
    env = environment()
    return env.get_template("embed.js").render(
        max_chars=max_chars,
        version=__version__,
        css=env.loader.get_source(env, "feedback.css")[0],  # type: ignore[union-attr]  # set above
        embed_css=env.loader.get_source(env, "embed.css")[0],  # type: ignore[union-attr]
    )
