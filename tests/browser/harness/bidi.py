"""A small WebDriver BiDi client over `websockets` (what Firefox's built-in agent speaks).

Frames: commands `{"id", "method", "params"}`; replies `{"type": "success", "id", "result"}` or
`{"type": "error", "id", "error", "message"}`; events `{"type": "event", "method", "params"}`.
"""

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


class BiDiError(RuntimeError):
    def __init__(self, method: str, error: str, message: str) -> None:
        super().__init__(f"{method}: {error}: {message}")
        self.method = method
        self.error = error


class BiDiClient:
    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self._reader = asyncio.create_task(self._read_loop())

    @classmethod
    async def connect(cls, ws_url: str) -> BiDiClient:
        # proxy=None: websockets >= 15 would otherwise follow *_proxy environment variables.
        ws = await connect(ws_url, max_size=None, ping_interval=None, open_timeout=10, proxy=None)
        return cls(ws)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 15.0
    ) -> dict[str, Any]:
        msg_id = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = (method, fut)
        try:
            await self._ws.send(
                json.dumps({"id": msg_id, "method": method, "params": params or {}})
            )
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(msg_id, None)

    def on(self, method: str, listener: Listener) -> Callable[[], None]:
        """Call `listener(params)` for every `method` event; returns an unsubscribe function."""
        self._listeners.setdefault(method, []).append(listener)

        def off() -> None:
            with contextlib.suppress(KeyError, ValueError):
                self._listeners[method].remove(listener)

        return off

    async def _read_loop(self) -> None:
        try:
            async for raw in self._ws:
                msg = json.loads(raw)
                if msg.get("type") == "event":
                    for listener in list(self._listeners.get(msg.get("method", ""), ())):
                        listener(msg.get("params", {}))
                    continue
                entry = self._pending.get(msg.get("id", -1))
                if entry is None or entry[1].done():
                    continue
                method, fut = entry
                if msg.get("type") == "error":
                    fut.set_exception(
                        BiDiError(method, msg.get("error", ""), msg.get("message", ""))
                    )
                else:
                    fut.set_result(msg.get("result", {}))
        except Exception:  # connection closed or broken: fail everything that waits
            pass
        finally:
            for method, fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"BiDi connection closed during {method}"))
