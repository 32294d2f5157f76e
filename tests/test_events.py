"""The catalogue of domain events (``marketplace/events.py``) is the whole truth about them.

Every event of the catalogue is emitted somewhere and heard by exactly the modules its entry
names; nothing emits or listens to an event outside the catalogue.
"""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask

from marketplace import events

ROOT = Path(__file__).resolve().parents[1] / "marketplace"


def _catalogue_names_passed(call_name: str) -> dict[str, set[str]]:
    """Catalogue events named as call arguments in modules that call ``events.<call_name>``.

    An emitting module may pass the event along to the function that emits it (the imports
    do), so every ``events.NAME`` argument of such a module counts.
    """
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if path == ROOT / "events.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        if not any(
            isinstance(call.func, ast.Attribute)
            and call.func.attr == call_name
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "events"
            for call in calls
        ):
            continue
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        for call in calls:
            for argument in call.args:
                if (
                    isinstance(argument, ast.Attribute)
                    and isinstance(argument.value, ast.Name)
                    and argument.value.id == "events"
                    and argument.attr.isupper()
                ):
                    found.setdefault(argument.attr, set()).add(module)
    return found


CATALOGUE_NAMES = {name for name, value in vars(events).items() if isinstance(value, events.Event)}


def test_the_catalogue_lists_every_event_it_defines():
    assert {event.name.upper() for event in events.CATALOGUE} == CATALOGUE_NAMES


def test_every_event_is_emitted_somewhere_and_nothing_else_is():
    assert set(_catalogue_names_passed("emit")) == CATALOGUE_NAMES


def test_nothing_subscribes_to_an_event_outside_the_catalogue():
    assert set(_catalogue_names_passed("subscribe")) <= CATALOGUE_NAMES


def test_every_event_is_heard_by_exactly_the_listeners_its_entry_names(app: Flask):
    for event in events.CATALOGUE:
        heard_by = {handler.__module__ for handler in events.handlers(event)}
        assert event.listeners, f"{event.name} is emitted but nobody listens"
        assert heard_by == set(event.listeners), event.name
        assert event.doc.strip() and "Payload" in event.doc, event.name
