"""Safe YAML with line numbers: every mapping and list remembers where its parts stand.

Only :class:`yaml.SafeLoader` constructs objects (no python/* tags). Duplicate keys are
errors, not silent overwrites, and the number of aliases is capped, so an alias bomb is
refused before anything walks it.
"""

from __future__ import annotations

from typing import Any

import yaml

from quizgrad.errors import QuizgradError


class YamlError(QuizgradError):
    """YAML that cannot be read; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


class YamlMap(dict):  # type: ignore[type-arg]
    """A mapping from YAML with the line of the mapping and of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """The line of ``key``, or of the mapping when the key is absent."""
        return self.key_lines.get(key, self.line)


def as_map(value: dict[Any, Any], line: int) -> YamlMap:
    """``value`` as a YamlMap (a plain dict gets ``line`` for itself and every key)."""
    if isinstance(value, YamlMap):
        return value
    result = YamlMap(value)
    result.line = line
    result.key_lines = dict.fromkeys(value, line)
    return result


class YamlList(list):  # type: ignore[type-arg]
    """A list from YAML with the line of the list and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """The line of item ``index``."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(value: Any, default: int = 0) -> int:
    """The line where a mapping or list from :func:`load` starts, else ``default``."""
    return getattr(value, "line", default) or default


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader, in C when PyYAML was built with libyaml (it caps nesting)."""


def _check_aliases(root: yaml.Node, most: int) -> None:
    """Refuse more than ``most`` alias uses (*name) before anything walks the document.

    The composer resolves an alias to the anchored node itself, so a use of an alias is a
    second visit of a node: counted once each, the walk stays linear even for a bomb.
    """
    seen: set[int] = set()
    uses = 0
    stack: list[tuple[yaml.Node, int]] = [(root, root.start_mark.line + 1)]
    while stack:
        node, line = stack.pop()
        if id(node) in seen:
            uses += 1
            if uses > most:
                what = ("YAML aliases (*name) are not allowed here" if most == 0
                        else f"more than {most} YAML aliases")
                raise YamlError(what, line)
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, key.start_mark.line + 1))
                stack.append((key, key.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            here = node.start_mark.line + 1  # an alias has no place of its own: its list's
            stack.extend((child, here) for child in reversed(node.value))


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise YamlError("a key must be plain text", line)
        if key in result:
            raise YamlError(f"duplicate key '{key}'", line)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_list(loader: _Loader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def load(text: str, *, max_aliases: int = 0) -> Any:
    """Parse one YAML document safely; YamlError says what and on which line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node, max_aliases)
        return loader.construct_document(node)
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise YamlError(message or "invalid YAML", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc) or "invalid YAML") from None
    except RecursionError:
        raise YamlError("too deeply nested") from None
    finally:
        loader.dispose()
