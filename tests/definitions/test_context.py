"""The run context built from an event: the scheduling document's custom_{key} answers."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.context import build_context


@pytest.mark.parametrize(
    "answers",
    [
        {"Company": "Acme", "Team size": 12},
        [{"question": "Company", "answer": "Acme"}, {"key": "team_size", "value": 12}],
    ],
)
def test_custom_answers_are_read_as_custom_key(answers: Any) -> None:
    context = build_context({"data": {"custom_answers": answers}}, workflow={}, run={})
    assert (context["custom_company"], context["custom_team_size"]) == ("Acme", 12)


def test_a_field_of_the_data_wins_over_a_custom_answer_of_the_same_name() -> None:
    data = {"custom_company": "Own", "custom_answers": {"company": "Answer"}}
    assert build_context({"data": data}, workflow={}, run={})["custom_company"] == "Own"
