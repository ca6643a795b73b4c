"""A name that matched nothing is quoted short in the message, whatever was typed."""

import pytest

from models.store.errors import UnknownNameError


@pytest.mark.parametrize("typed", [
    pytest.param("Jnae", id="a-typo"),
    pytest.param("J" * 100_000, id="a-pasted-megabyte"),
])
def test_an_unknown_name_is_quoted_short_with_close_matches(typed):
    error = UnknownNameError("customer", typed, ["Jane", "Omar"])
    assert len(str(error)) < 200
    assert str(error).startswith("unknown customer 'J")
    if typed == "Jnae":
        assert error.suggestions == ["Jane"]
