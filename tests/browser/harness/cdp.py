"""A small Chrome DevTools Protocol client over `websockets` (flat sessions only)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect

Listener = Callable[[dict[str, Any]], None]


class CDPError(RuntimeError):
    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(
            f"{method}: {error.get('message')} ({error.get('code')}) {error.get('data', '')}"
        )
        self.method = method
        self.error = error


class CDPClient:
    """Browser-level connection. Commands are matched to responses by id; events are dispatched
    to listeners registered for (method, sessionId). `sessionId=None` listens on the browser
    target itself; use `session(sid)` for a page attached with `flatten: true`."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        self._listeners: dict[tuple[str, str | None], list[Listener]] = {}
        self._reader = asyncio.create_task(self._read_loop())
        self.closed = asyncio.Event()

    @classmethod
    async def connect(cls, ws_url: str) -> CDPClient:
        ws = await connect(ws_url, max_size=None, ping_interval=None, open_timeout=10)
        return cls(ws)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        msg_id = next(self._ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session_id:
            msg["sessionId"] = session_id
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = (method, fut)
        try:
            await self._ws.send(json.dumps(msg))
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(msg_id, None)

    def on(
        self, method: str, listener: Listener, *, session_id: str | None = None
    ) -> Callable[[], None]:
        """Call `listener(params)` for every `method` event; returns an unsubscribe function."""
        key = (method, session_id)
        self._listeners.setdefault(key, []).append(listener)

        def off() -> None:
            with contextlib.suppress(KeyError, ValueError):
                self._listeners[key].remove(listener)

        return off

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        session_id: str | None = None,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        """Wait for the next `method` event (matching `predicate`) that arrives from now on.
        To catch an event caused by a command, use `expect()` before sending the command."""
        return await self.expect(method, predicate, session_id=session_id, timeout=timeout)

    def expect(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        session_id: str | None = None,
        timeout: float = 15.0,
    ) -> asyncio.Task[dict[str, Any]]:
        """Subscribe now (synchronously) and return a task resolving to the first matching event."""
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        def listener(params: dict[str, Any]) -> None:
            if not fut.done() and (predicate is None or predicate(params)):
                fut.set_result(params)

        off = self.on(method, listener, session_id=session_id)

        async def waiter() -> dict[str, Any]:
            try:
                return await asyncio.wait_for(fut, timeout)
            finally:
                off()

        return asyncio.ensure_future(waiter())

    def session(self, session_id: str) -> CDPSession:
        return CDPSession(self, session_id)

    async def _read_loop(self) -> None:
        try:
            async for raw in self._ws:
                msg = json.loads(raw)
                if "id" in msg:
                    entry = self._pending.get(msg["id"])
                    if entry is None:
                        continue
                    method, fut = entry
                    if fut.done():
                        continue
                    if "error" in msg:
                        fut.set_exception(CDPError(method, msg["error"]))
                    else:
                        fut.set_result(msg.get("result", {}))
                    continue
                key = (msg.get("method", ""), msg.get("sessionId"))
                for listener in list(self._listeners.get(key, ())):
                    listener(msg.get("params", {}))
        except Exception:  # connection closed or broken: fail everything that waits
            pass
        finally:
            self.closed.set()
            for method, fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"CDP connection closed during {method}"))


class CDPSession:
    """A flat session on one target: the same API with `sessionId` filled in."""

    def __init__(self, client: CDPClient, session_id: str) -> None:
        self.client = client
        self.session_id = session_id

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 15.0
    ) -> dict[str, Any]:
        return await self.client.send(method, params, session_id=self.session_id, timeout=timeout)

    def on(self, method: str, listener: Listener) -> Callable[[], None]:
        return self.client.on(method, listener, session_id=self.session_id)

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        return await self.client.wait_for(
            method, predicate, session_id=self.session_id, timeout=timeout
        )

    def expect(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        timeout: float = 15.0,
    ) -> asyncio.Task[dict[str, Any]]:
        return self.client.expect(method, predicate, session_id=self.session_id, timeout=timeout)
