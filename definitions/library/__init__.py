"""The built-in workflow templates: ready-made definitions from the reference documents.

Each template is a definition document (SPEC §2) plus what a person needs to pick and try it: a
category, a description and sample event ``data``. Where a reference document's template reads
stored records or opens tickets, the built-in one takes the records from the event and calls an
HTTP endpoint instead, so it runs without any stored data.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from definitions.library import erp, scheduling

CATEGORIES = (
    "booking", "follow_up", "reminder", "feedback", "billing", "sales", "support", "reporting",
    "onboarding",
)  # fmt: skip


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    category: str
    description: str
    definition: dict[str, Any]
    sample_data: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """A fresh copy of the definition, safe to change."""
        return copy.deepcopy(self.definition)


def _load(entry: dict[str, Any]) -> Template:
    definition = entry["definition"]
    return Template(
        id=entry["id"],
        name=definition["name"],
        category=entry["category"],
        description=definition["description"],
        definition=definition,
        sample_data=entry["data"],
    )


TEMPLATES: tuple[Template, ...] = tuple(_load(e) for e in (*erp.TEMPLATES, *scheduling.TEMPLATES))
_BY_ID = {t.id: t for t in TEMPLATES}
assert len(_BY_ID) == len(TEMPLATES), "template ids are unique"
assert all(t.category in CATEGORIES for t in TEMPLATES), "every template has a known category"


def get_template(template_id: str) -> Template | None:
    return _BY_ID.get(template_id)


def list_templates(category: str | None = None) -> list[Template]:
    return [t for t in TEMPLATES if category is None or t.category == category]
