"""Dashboard layout helpers without a browser: highlights never cut a figure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditor.render.dashboard import whole_figures


def test_highlight_widens_to_whole_figures() -> None:
    text = "Closed 3 of 12 calls, 1,250 units, 3.5% up."
    assert text[slice(*whole_figures(text, 7, 13))] == "3 of 12"
    start = text.index("250")
    assert text[slice(*whole_figures(text, start, start + 2))] == "1,250"
    start = text.index(".5%")
    assert text[slice(*whole_figures(text, start + 1, start + 3))] == "3.5%"
    words = text.index("calls")
    assert whole_figures(text, words, words + 3) == (words, words + 3)  # words are not widened


@given(
    st.text(alphabet="0123456789 .,ab", max_size=40),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_widened_span_contains_the_evidence_and_no_figure_is_cut(text: str, a: int, b: int) -> None:
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    lo, hi = whole_figures(text, start, end)
    assert 0 <= lo <= start and end <= hi <= len(text)
    for edge in (lo, hi):
        assert not (0 < edge < len(text) and text[edge - 1].isdigit() and text[edge].isdigit())
