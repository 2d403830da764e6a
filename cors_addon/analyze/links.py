"""Which preflight each actual request of a browser's HAR followed, from what the capture
records and the order of its entries, never from its timings (they may be -1, and Chromium
reports some preflights as started before the request they were sent for).

- Chrome (DevTools): a preflight's entry has `_initiator: {type: "preflight", url,
  requestId}`, the URL and the browser's id of the request it was sent for. DevTools writes
  entries in the order the page issued them, and a request is issued before its preflight:
  it is the nearest earlier entry of the same page to that URL with the method the
  preflight announced, not yet linked. Entries do not record their own ids, but a page
  numbers its requests in the order it issues them, so the preflights of parallel requests
  to one URL are matched to them in the order of their initiators' requestIds.
- Other layouts (Firefox, Safari, hand-made) record no link: a preflight goes with the next
  request of its page to its URL with the announced method (order within a page).

The result, for the per-flow sequence (pipeline.Recorded): every actual request says which
preflight it followed, or that it followed none; every preflight whether the capture shows
its request as sent. Each preflight is handed on right before its request. Memory is bounded:
entries wait in a window of `window` entries; links further apart are not made.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass

from ..pipeline import Recorded
from .exchange import BLOCKED_BY_THE_BROWSER
from .exchange import Exchange

Key = tuple[str | None, str, str]  # (page, URL, method)


@dataclass(slots=True, eq=False)
class _Item:
    ex: Exchange
    seq: int
    key: Key
    preflight: bool
    link: _Item | None = None  # an actual request's preflight, a preflight's request
    done: bool = False  # handed on


def _ordinal(request_id: str | None) -> tuple[int, ...] | None:
    """Chrome's request ids of a page: "<process>.<counter>"."""
    if not request_id:
        return None
    try:
        return tuple(int(part) for part in request_id.split("."))
    except ValueError:
        return None


class Linker:
    def __init__(self, window: int = 2048) -> None:
        self.window = window
        self._buffer: deque[_Item] = deque()
        self._seq = 0
        self._unlinked: dict[Key, list[_Item]] = {}  # requests no preflight claimed yet
        self._waiting: dict[Key, deque[_Item]] = {}  # preflights whose request comes later
        self._pairs: dict[Key, list[_Item]] = {}  # linked requests not handed on (Chrome)

    def run(self, exchanges: Iterable[Exchange]) -> Iterator[Exchange]:
        for ex in exchanges:
            yield from self.feed(ex)
        yield from self.flush()

    def feed(self, ex: Exchange) -> list[Exchange]:
        self._seq += 1
        preflight = ex.preflight or (
            ex.method == "OPTIONS"
            and "origin" in ex.request
            and "access-control-request-method" in ex.request
        )
        if preflight:
            method = (ex.request.get("access-control-request-method") or "").strip()
            item = _Item(ex, self._seq, (ex.page, ex.link_url or ex.url, method), True)
            self._add_preflight(item)
        else:
            item = _Item(ex, self._seq, (ex.page, ex.url, ex.method), False)
            waiting = self._waiting.get(item.key)
            if waiting:
                self._link(waiting.popleft(), item)
                if not waiting:
                    del self._waiting[item.key]
            else:
                self._unlinked.setdefault(item.key, []).append(item)
        self._buffer.append(item)
        out: list[Exchange] = []
        while len(self._buffer) > self.window:
            out.extend(self._hand_on(self._buffer.popleft()))
        return out

    def flush(self) -> list[Exchange]:
        out: list[Exchange] = []
        while self._buffer:
            out.extend(self._hand_on(self._buffer.popleft()))
        return out

    # -- linking ---------------------------------------------------------------------------

    def _add_preflight(self, item: _Item) -> None:
        if item.ex.link_url is not None:  # Chrome: its request came before it
            earlier = self._unlinked.get(item.key)
            if earlier:
                self._link(item, earlier.pop())
                if not earlier:
                    del self._unlinked[item.key]
                self._pairs.setdefault(item.key, []).append(item.link)  # type: ignore[arg-type]
                self._order_by_request_id(item.key)
                return
        self._waiting.setdefault(item.key, deque()).append(item)

    @staticmethod
    def _link(preflight: _Item, request: _Item) -> None:
        preflight.link, request.link = request, preflight

    def _order_by_request_id(self, key: Key) -> None:
        """Within one URL and method, the earlier request goes with the preflight of the
        smaller requestId."""
        pairs = [a for a in self._pairs.get(key, ()) if not a.done and a.link is not None]
        self._pairs[key] = pairs
        if len(pairs) < 2:
            return
        preflights = [a.link for a in pairs]
        ordinals = [_ordinal(p.ex.link_id) for p in preflights if p is not None]
        if len(ordinals) != len(pairs) or any(o is None for o in ordinals):
            return
        requests = sorted(pairs, key=lambda a: a.seq)
        by_id = [p for _, p in sorted(zip(ordinals, preflights, strict=True), key=lambda t: t[0])]
        for request, preflight in zip(requests, by_id, strict=True):
            assert preflight is not None
            self._link(preflight, request)

    # -- handing on ------------------------------------------------------------------------

    def _hand_on(self, item: _Item) -> list[Exchange]:
        if item.done:
            return []
        if item.preflight:
            if item.link is not None and not item.link.done:
                return []  # it goes right before its request, which is further on
            self._forget_waiting(item)
            item.done = True
            return [_recorded(item.ex, followed=False)]
        unlinked = self._unlinked.get(item.key)
        if unlinked and item in unlinked:
            unlinked.remove(item)
            if not unlinked:
                del self._unlinked[item.key]
        item.done = True
        preflight = item.link
        if preflight is None:
            return [_recorded(item.ex, preflight=None)]
        pairs = self._pairs.get(item.key)
        if pairs is not None:
            if item in pairs:
                pairs.remove(item)
            if not pairs:
                del self._pairs[item.key]
        out = []
        if not preflight.done:
            preflight.done = True
            out.append(_recorded(preflight.ex, followed=_sent(item.ex), kind=item.ex))
        out.append(_recorded(item.ex, preflight=preflight.ex))
        item.link = preflight.link = None  # no reference cycle left for the collector
        return out

    def _forget_waiting(self, item: _Item) -> None:
        waiting = self._waiting.get(item.key)
        if waiting is not None and item in waiting:
            waiting.remove(item)
            if not waiting:
                del self._waiting[item.key]


def _sent(ex: Exchange) -> bool:
    """Does the capture show that the browser sent this request?"""
    return ex.status is not None or (ex.error is not None and ex.error != BLOCKED_BY_THE_BROWSER)


def _recorded(
    ex: Exchange,
    *,
    preflight: Exchange | None = None,
    followed: bool | None = None,
    kind: Exchange | None = None,
) -> Exchange:
    """The exchange with its link in its Recorded: a request's preflight (or none), a
    preflight's request sent or not, and the request's API for a preflight's sentence."""
    recorded = ex.recorded
    if recorded is None:
        recorded = ex.recorded = Recorded()
    if followed is None:
        recorded.linked = True
        recorded.preflight = preflight.flow if preflight is not None else None
        if preflight is not None and preflight.time > ex.time:
            ex.time = preflight.time  # the request went out after its preflight
    else:
        recorded.followed = followed
        if kind is not None and kind.recorded is not None and recorded.kind is None:
            recorded.kind = kind.recorded.kind
    return ex
