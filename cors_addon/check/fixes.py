"""`check --server-fix`: the server configurations `analyze --server-fix` prints, from the
exchanges `check` just made (they go through analyze's replay like a capture)."""

from __future__ import annotations

from collections.abc import Iterable

from ..analyze.exchange import Exchange as Captured
from ..analyze.needs import Needs
from ..analyze.replay import Replay
from ..analyze.serverfix import server_fixes
from ..engine.origins import DEFAULT_PORTS
from ..engine.origins import split_url
from .client import Exchange


def captured(exchanges: Iterable[Exchange]) -> list[Captured]:
    """check's exchanges as a capture would hold them, in the order they were sent."""
    out = []
    for ex in sorted(exchanges, key=lambda e: (e.time, e.id)):
        scheme, host, port, _ = split_url(ex.request.url)
        resp = ex.response
        out.append(
            Captured(
                flow=f"check#{ex.id}",
                time=ex.time,
                method=ex.request.method,
                url=ex.request.url,
                request=ex.request.wire.headers,
                status=resp.status if resp is not None else None,
                response=resp.headers if resp is not None else None,
                error=ex.error,
                ms=ex.ms,
                client="check",
                host=host.strip("[]"),
                port=port or DEFAULT_PORTS.get(scheme, 0),
            )
        )
    return out


def needs(exchanges: Iterable[Exchange]) -> Needs:
    """What each server must allow for these exchanges to pass (analyze's least privilege)."""
    found = Needs()
    for event, ex in Replay("chromium").run(captured(exchanges)):
        found.add(event, ex)
    return found


def server_fix_text(exchanges: Iterable[Exchange]) -> str:
    return server_fixes(needs(exchanges))
