"""Reading a YAML file a person supplied, within bounds.

``yaml.safe_load`` constructs no arbitrary objects, but it will still follow a 500-byte "billion
laughs" of nested aliases to gigabytes, recurse until ``RecursionError`` on deeply nested
brackets, and raise a bare ``ValueError`` on a date like ``2026-13-45`` or an integer of 5,000
digits. :func:`load_bounded` refuses a file larger than :data:`MAX_BYTES`, a document whose nodes,
each alias counted as the whole node it repeats, number more than :data:`MAX_NODES`, and nesting
deeper than :data:`MAX_DEPTH`; every failure is a :class:`YamlLimitError` whose message quotes at
most a short prefix of anything from the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent
from yaml.resolver import Resolver

from config.errors import quoted

# Measured: 6,000 customers with two sources each, in 60 teams, are 883 KiB and 102,843 values.
MAX_BYTES = 1024 * 1024  # 1 MiB
MAX_NODES = 200_000  # scalars, lists and mappings, each alias counted as the node it repeats
PROBLEM_LIMIT = 120  # PyYAML's own words about a problem, cut (they may quote the file)
MAX_DEPTH = 32  # a roster nests 8 deep (teams > team > customers > customer > sources > source)


class YamlLimitError(ValueError):
    """The file is not YAML, or is YAML beyond the bounds; the message says which and where."""


def _safe_loader_base() -> type:
    """PyYAML's safe loader with libyaml's parser underneath when it is installed (seven times
    faster on a roster) and PyYAML's own otherwise. Either way the composer is PyYAML's Python one,
    so :class:`_BoundedLoader` can count while it composes; only the events come from C."""
    try:
        from yaml._yaml import CParser
    except ImportError:
        return yaml.SafeLoader

    class _LibyamlSafeLoader(Composer, SafeConstructor, Resolver, CParser):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return _LibyamlSafeLoader


class _BoundedLoader(_safe_loader_base()):
    """PyYAML's safe loader, counting while it composes: nesting depth, and nodes with every alias
    counted as the size of the node it stands for (so expansion is refused before it happens)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its size, aliases expanded

    def _count(self, size: int, mark: Any) -> None:
        self._nodes += size
        if self._nodes > MAX_NODES:
            raise ComposerError(None, None, f"the document expands to more than {MAX_NODES} values "
                                "(aliases count as what they repeat)", mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node as PyYAML does, refusing too much depth or expansion first."""
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._sizes.get(id(target))
                if size is None:
                    raise ComposerError(None, None, f"the alias {quoted(event.anchor)} refers to a value that "
                                        "contains it", event.start_mark)
                self._count(size, event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ComposerError(None, None, f"values are nested more than {MAX_DEPTH} deep", self.peek_event().start_mark)
        before = self._nodes
        self._count(1, self.peek_event().start_mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._sizes[id(node)] = self._nodes - before
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Construct as PyYAML does; a scalar Python cannot hold (a date like ``2026-13-45``, an
        integer of thousands of digits) is refused where it stands instead of a bare ``ValueError``."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            kind = node.tag.rsplit(":", 1)[-1]
            reason = {"int": "is a number too long to read", "float": "is a number too large to read",
                      "timestamp": f"is not a real date or time ({str(exc)[:60]})"}.get(kind, f"cannot be read ({str(exc)[:60]})")
            value = node.value if isinstance(node.value, str) else kind
            raise ConstructorError(None, None, f"{quoted(value)} {reason}", node.start_mark) from None


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def loads_bounded(text: str) -> Any:
    """The one YAML document in ``text``, within the bounds; :class:`YamlLimitError` otherwise."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"is larger than {MAX_BYTES // 1024} KiB")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "unreadable"
        raise YamlLimitError(f"not valid YAML{_where(exc)}: {problem[:PROBLEM_LIMIT]}") from None
    except yaml.YAMLError as exc:
        raise YamlLimitError(f"not valid YAML: {str(exc)[:PROBLEM_LIMIT]}") from None
    finally:
        loader.dispose()


def load_bounded(path: Path) -> Any:
    """Read and load the YAML file at ``path``, refusing it without reading past :data:`MAX_BYTES`.

    ``OSError`` and ``UnicodeDecodeError`` pass through for the caller to word."""
    with path.open("rb") as stream:
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlLimitError(f"is larger than {MAX_BYTES // 1024} KiB")
    return loads_bounded(data.decode("utf-8"))
