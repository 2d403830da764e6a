"""Shared fixtures: the one JSON Schema check every emitted event goes through."""

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from cors_addon.events import schema

Event = dict[str, Any]


@pytest.fixture(scope="session")
def validate_event() -> Callable[[Event], Event]:
    """Validate one event against schema/event-v1.schema.json (strictly: formats checked,
    no extra keys); returns the event so calls can be chained."""
    spec = schema()
    cls = jsonschema.validators.validator_for(spec)
    cls.check_schema(spec)
    validator = cls(spec, format_checker=cls.FORMAT_CHECKER)

    def validate(event: Event) -> Event:
        errors = sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path))
        if errors:
            detail = "\n".join(
                f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
            )
            pytest.fail(f"event does not match the schema:\n{detail}\nevent: {event!r}")
        return event

    return validate
