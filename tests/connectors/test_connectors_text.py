"""Plain text out of HTML: what a reader sees, nothing a browser would run."""

import pytest

from connectors.text import plain_text, truncate


@pytest.mark.parametrize(
    "markup, expected",
    [
        pytest.param("<p>Hello <b>world</b></p>", "Hello world", id="tags-stripped"),
        pytest.param("Fish &amp; chips &lt;3 &#8212; caf&eacute;", "Fish & chips <3 — café", id="entities-decoded"),
        pytest.param("<script>alert('x')</script>Safe", "Safe", id="script-content-dropped"),
        pytest.param("<style>p{color:red}</style><p>Shown</p>", "Shown", id="style-content-dropped"),
        pytest.param("<p>one</p><p>two</p>", "one two", id="blocks-separate-words"),
        pytest.param("  lots \n\n of\t  space  ", "lots of space", id="whitespace-collapsed"),
        pytest.param("<img src=x onerror=alert(1)>Caption", "Caption", id="attributes-gone"),
        pytest.param("line<br>break", "line break", id="br-breaks"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="none"),
    ],
)
def test_plain_text(markup, expected):
    assert plain_text(markup) == expected


def test_truncation_cuts_at_a_word_and_marks_it():
    text = "word " * 100
    cut = truncate(text.strip(), 42)
    assert len(cut) <= 42
    assert cut.endswith("word…")


def test_short_text_is_untouched():
    assert truncate("short", 10) == "short"


def test_a_single_long_word_is_still_cut():
    assert truncate("x" * 50, 10) == "x" * 9 + "…"
