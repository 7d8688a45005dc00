"""Read the content pack's text files: YAML and Markdown with a YAML header.

Every value read keeps the line it came from, so that a problem can be
reported as ``file:line`` to an operator who edits the pack by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

HEADER_FENCE = "---"


class TextFileError(Exception):
    """A file that cannot be read or parsed; carries the line at fault."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Document:
    """Parsed YAML data plus the line of every mapping key and list item."""

    data: object
    lines: dict[tuple, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1

    def line(self, *path) -> int | None:
        """Return the line of the value at ``path``, or of its nearest parent."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


MAX_NODES = 100_000


def _to_python(loader, node, path, lines, offset, ancestors=(), budget=None):
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    line = node.start_mark.line + 1 + offset
    if budget[0] < 0:
        raise TextFileError("the file is too large or repeats itself through aliases", line)
    if id(node) in ancestors:
        raise TextFileError("a YAML alias refers to itself", line)
    ancestors = (*ancestors, id(node))
    lines[path] = line
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TextFileError(
                    "keys must be plain words", key_node.start_mark.line + 1 + offset
                )
            if key in result:
                raise TextFileError(f"'{key}' appears twice", key_node.start_mark.line + 1 + offset)
            result[key] = _to_python(
                loader, value_node, path + (key,), lines, offset, ancestors, budget
            )
            lines[path + (key,)] = key_node.start_mark.line + 1 + offset
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(loader, item, path + (index,), lines, offset, ancestors, budget)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


# libyaml (bundled with PyYAML's wheels, also on arm64) parses about ten times
# faster, which keeps start-up quick as a pack grows. Its error messages are
# terser, so a file that fails is parsed again by the pure-Python loader, whose
# messages the operator sees whatever the platform.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, *, offset: int = 0) -> Document:
    """Parse YAML text, raising :class:`TextFileError` with the line at fault."""
    try:
        return _parse_yaml(text, offset, FAST_LOADER)
    except TextFileError:
        if FAST_LOADER is yaml.SafeLoader:
            raise
    return _parse_yaml(text, offset, yaml.SafeLoader)


def _parse_yaml(text: str, offset: int, loader_class) -> Document:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        data = {} if node is None else _to_python(loader, node, (), lines, offset)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + offset if mark else None
        problem = error.problem or error.context or "not valid YAML"
        context = error.context_mark
        if error.problem and error.context and context and mark and context.line != mark.line:
            problem += f" ({error.context} that starts on line {context.line + 1 + offset})"
        raise TextFileError(f"YAML syntax: {problem}", line) from None
    except yaml.YAMLError as error:
        raise TextFileError(f"YAML syntax: {error}") from None
    finally:
        loader.dispose()
    return Document(data=data, lines=lines)


def parse_front_matter(text: str) -> Document:
    """Split a Markdown file into its YAML header and its body."""
    all_lines = text.splitlines(keepends=True)
    if not all_lines or all_lines[0].strip() != HEADER_FENCE:
        raise TextFileError("the file must start with a '---' line opening its YAML header", 1)
    for index in range(1, len(all_lines)):
        if all_lines[index].strip() == HEADER_FENCE:
            break
    else:
        raise TextFileError("the YAML header is never closed with a '---' line", 1)
    document = parse_yaml("".join(all_lines[1:index]), offset=1)
    document.body = "".join(all_lines[index + 1 :])
    document.body_line = index + 2
    return document


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning decoding problems into a readable error."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise TextFileError("not UTF-8 text (save the file as UTF-8)", line) from None
    except OSError as error:
        raise TextFileError(f"cannot be read: {error.strerror}") from None
