"""Definition documents as text: JSON and YAML, read and written so that they round-trip exactly.

Reading YAML yields only what JSON could hold: text keys, and strings, numbers, booleans, null,
lists and objects (an unquoted date becomes its ISO text). Anything else — a ``yes:`` key that YAML
reads as a boolean, a ``!!binary`` value, anchors expanding into millions of values — is refused
with the place it was found, never passed on to fail later.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import yaml

from definitions.errors import DefinitionError, join_path

MAX_VALUES = 100_000
"""Values one document may expand to (YAML aliases can multiply a small text)."""
MAX_DEPTH = 64

_OTHER_BREAKS = frozenset("\x85\u2028\u2029")
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str | bytes) -> Any:
    """The JSON value a YAML document describes; ``DefinitionError`` saying where it is wrong."""
    try:
        _check_depth(text)
        loaded = yaml.load(text, Loader=_Loader)  # noqa: S506 — a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = exc.problem or exc.context or "cannot be read"
        if "nesting depth" in reason:  # newer libyaml stops deep nesting before our own check
            message = f"the YAML nests deeper than {MAX_DEPTH} levels{where}"
            raise DefinitionError.at("", message) from exc
        raise DefinitionError.at("", f"not valid YAML{where}: {reason}") from exc
    except yaml.YAMLError as exc:  # a character YAML refuses
        reason = str(exc).splitlines()[0]
        raise DefinitionError.at("", f"not valid YAML: {reason}") from exc
    return _Plain().convert(loaded, "", 1)


def _check_depth(text: str | bytes) -> None:
    """Refuse a document nested too deeply before building it: libyaml's composer recurses once
    per level, and a few thousand levels crash the process rather than raise."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                message = f"the YAML nests deeper than {MAX_DEPTH} levels (line {line})"
                raise DefinitionError.at("", message)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


class _Plain:
    def __init__(self) -> None:
        self.count = 0

    def convert(self, value: Any, path: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise DefinitionError.at(path, f"the document holds more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise DefinitionError.at(path, f"nests deeper than {MAX_DEPTH} levels")
        if value is None or isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, list):
            return [self.convert(v, join_path(path, i), depth + 1) for i, v in enumerate(value)]
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise DefinitionError.at(
                        join_path(path, str(key)),
                        f"a key must be text, not {type(key).__name__} {key!r}: quote it "
                        "(YAML reads yes, no, on, off as booleans)",
                    )
                result[key] = self.convert(item, join_path(path, key), depth + 1)
            return result
        raise DefinitionError.at(path, f"a {type(value).__name__} has no JSON equivalent")


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a document is a tree: write every value where it is


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line templates stay readable as literal blocks; the emitter falls back to a quoted
    # style by itself whenever a block could not hold the text exactly.
    # YAML's other line breaks (NEL, LS, PS) would be folded on reading: escape them.
    style = '"' if _OTHER_BREAKS & set(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(document: Any) -> str:
    """YAML text that ``parse_yaml`` reads back as exactly ``document``."""
    text: str = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def dump_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
