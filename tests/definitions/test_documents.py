"""Definition documents as JSON and YAML text: exact round trips, and clear refusals."""

import json

import pytest

from definitions.documents import MAX_VALUES, dump_json, dump_yaml, parse_yaml
from definitions.errors import DefinitionError

TEXTS = [
    "plain",
    "",
    " ",
    "Hi {{ name }},\n\nSee you.\n",
    "no final newline\nsecond",
    "trailing blank lines\n\n\n",
    "\nleading newline",
    "  indented first line\nnext",
    "spaces at the end   \nof a line",
    "a line of spaces only\n        \nafter",
    "tab\there\n",
    "windows\r\nline ends",
    "yaml's other breaks: \x85 \u2028 \u2029",
    "unicode: é 日本 😀 \ufeff",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "2024-06-01",
    "2024-06-01T09:00:00Z",
    "0x1F",
    "1_000",
    "1e3",
    ".inf",
    "- not a list",
    "key: not a map",
    "# not a comment",
    "'quoted'",
    '"double"',
    "{{ '{' }}",
    "{% if x %}|{% endif %}",
    "&anchor *alias !tag",
    "%directive",
]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_every_string_round_trips_through_yaml(text):
    document = {"name": text, "steps": [{"body": text, text: [text]}]}
    assert parse_yaml(dump_yaml(document)) == document


def test_numbers_booleans_null_and_nesting_round_trip():
    document = {
        "ints": [0, -1, 2**63, 12345678901234567890],
        "floats": [0.5, -0.0, 1e300, 1.0, 3.14159],
        "flags": [True, False, None],
        "empty": {"map": {}, "list": []},
    }
    assert parse_yaml(dump_yaml(document)) == document


def test_multi_line_text_is_written_as_a_literal_block():
    assert dump_yaml({"body": "Hi {{ name }},\nBye\n"}) == "body: |\n  Hi {{ name }},\n  Bye\n"


def test_json_text_keeps_unicode_readable():
    assert dump_json({"name": "予約"}) == '{\n  "name": "予約"\n}\n'
    assert json.loads(dump_json({"a": [1, "é"]})) == {"a": [1, "é"]}


def test_unquoted_dates_become_their_iso_text():
    assert parse_yaml("on_date: 2024-06-01\nat: 2024-06-01 09:30:00\n") == {
        "on_date": "2024-06-01",
        "at": "2024-06-01T09:30:00",
    }


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("a: [1, 2\n", "", "not valid YAML at line 2, column 1"),
        ("steps:\n  - yes: 1\n", "steps[0].True", "a key must be text, not bool True"),
        ("a:\n  1: x\n", "a.1", "a key must be text, not int 1"),
        ("a: !!set {x}\n", "a", "a set has no JSON equivalent"),
        ("a: !!python/name:os.system\n", "", "not valid YAML"),
        ("- " * 100 + "x", "", "the YAML nests deeper than 64 levels"),
        ("\x07", "", "not valid YAML"),
    ],
)
def test_what_json_cannot_hold_is_refused_with_where(text, path, message):
    with pytest.raises(DefinitionError) as caught:
        parse_yaml(text)
    (problem,) = caught.value.problems
    assert problem.path == path
    assert problem.message.startswith(message), problem.message


def test_aliases_expanding_past_the_budget_are_refused():
    lines = ["a: &a [" + ", ".join(["x"] * 10) + "]"]
    for previous, name in zip("abcde", "bcdef", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    with pytest.raises(DefinitionError) as caught:
        parse_yaml("\n".join(lines))
    assert f"more than {MAX_VALUES} values" in str(caught.value)
    assert parse_yaml("a: &a [1, 2]\nb: *a\n") == {"a": [1, 2], "b": [1, 2]}  # small ones are fine
