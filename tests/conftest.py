"""Shared fixtures: the one JSON Schema check every emitted event goes through."""

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import settings

from cors_addon.events import schema

# No per-example deadline for property tests: a deadline is a timing assertion, and on a
# loaded 2-core machine the first example (imports, caches) can take longer than 200 ms.
settings.register_profile("cors", deadline=None)
settings.load_profile("cors")

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
