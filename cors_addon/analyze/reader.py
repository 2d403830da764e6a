"""Read a large capture in a second process, while this one runs the per-flow sequence.

Reading (decoding the JSON, building each entry's Exchange, putting entries in order and
linking preflights) is almost half of an analysis; the sequence and the outputs are the
other half and cannot be split (pairing runs through the whole capture). A child process
reads and sends the Exchanges in batches through a pipe (compact tuples; the pipe's buffer
bounds what is in flight, so memory stays flat in both processes). Captures smaller than
MIN_BYTES are read in this process: a child costs its start-up.

    for ex in exchanges(capture, progress): ...   # the same as capture.exchanges(progress)
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator
from typing import IO
from typing import Any

import cors_addon

from ..engine import Headers
from ..pipeline import Recorded
from .exchange import Exchange
from .sources import Capture
from .sources import CaptureError
from .sources import Progress

MIN_BYTES = 8 << 20
BATCH = 256  # exchanges a message: about 250 KB, less than the pipe holds
PIPE_BYTES = 1 << 20
CHILD = "from cors_addon.analyze.reader import child; child()"
_LENGTH = struct.Struct("!I")

Packed = tuple[Any, ...]


def exchanges(capture: Capture, progress: Progress | None = None) -> Iterator[Exchange]:
    """capture.exchanges(progress), read in a child process when the file is large."""
    try:
        size = os.path.getsize(capture.path)
    except OSError:
        size = 0  # the capture's own reading gives the right error
    if size < MIN_BYTES:
        yield from capture.exchanges(progress)
        return
    yield from _from_child(capture, progress)


# -- this process --------------------------------------------------------------------------


def _from_child(capture: Capture, progress: Progress | None) -> Iterator[Exchange]:
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(cors_addon.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdin is not None and child.stdout is not None
    with contextlib.suppress(OSError, AttributeError):
        # A pipe holding a whole message: one hand-over per message, not one per 64 KB
        # (each waits for the other process to be scheduled).
        fcntl.fcntl(child.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    try:
        child.stdin.write(pickle.dumps((capture.path, capture.label)))
        child.stdin.close()
        while True:
            message = _receive(child.stdout)
            if message is None:
                child.wait()
                assert child.stderr is not None
                tail = child.stderr.read().decode(errors="replace").strip().splitlines()[-3:]
                raise CaptureError(
                    f"{capture.path}: the reading process ended unexpectedly"
                    f" (exit status {child.returncode}): {' '.join(tail) or 'no message'}"
                )
            kind = message[0]
            if kind == "batch":
                _, batch, position = message
                for packed in batch:
                    yield _unpack(packed)
                capture.size = max(capture.size, position)
                if progress is not None:
                    progress(position)
                continue
            _, capture.kind, capture.count, capture.late, capture.size, problem = message
            if problem is not None:
                raise CaptureError(problem)
            return
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _receive(stream: IO[bytes]) -> tuple[Any, ...] | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = stream.read(length)
    if len(data) < length:
        return None
    message: tuple[Any, ...] = pickle.loads(data)  # from the child we started: trusted
    return message


def _unpack(p: Packed) -> Exchange:
    flow, time, method, url, request, status, response, error, ms, client, host, port, rec = p
    recorded = None
    if rec is not None:
        recorded = Recorded(*rec)
    return Exchange(
        flow,
        time,
        method,
        url,
        Headers(request),
        status,
        Headers(response) if response is not None else None,
        error,
        ms,
        client,
        host,
        port,
        recorded,
    )


# -- the child -----------------------------------------------------------------------------


def _pack(ex: Exchange) -> Packed:
    r = ex.recorded
    rec = None
    if r is not None:
        rec = (
            r.linked,
            r.preflight,
            r.followed,
            r.kind,
            r.inferred_origin,
            r.failed,
            r.received,
            r.credentials_hidden,
            r.notes,  # CorsWarnings: named tuples, pickled as they are
        )
    response = ex.response.fields if ex.response is not None else None
    return (
        ex.flow,
        ex.time,
        ex.method,
        ex.url,
        ex.request.fields,
        ex.status,
        response,
        ex.error,
        ex.ms,
        ex.client,
        ex.host,
        ex.port,
        rec,
    )


def _send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)) + data)


def child() -> None:
    """Read the capture named on stdin and send its Exchanges on stdout."""
    # As the analyzing process does (cli.main): no reference cycles are made here, and the
    # collector's passes over what is loaded would cost a third of the reading.
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    out = sys.stdout.buffer
    try:
        path, label = pickle.loads(sys.stdin.buffer.read())
        capture = Capture(path, label)
        batch: list[Packed] = []
        problem = None
        try:
            for ex in capture.exchanges():
                batch.append(_pack(ex))
                if len(batch) >= BATCH:
                    _send(out, ("batch", batch, capture.position()))
                    batch = []
        except CaptureError as e:
            problem = str(e)
        _send(out, ("batch", batch, capture.position()))
        _send(out, ("end", capture.kind, capture.count, capture.late, capture.size, problem))
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        with contextlib.suppress(OSError):
            os.close(1)  # the reader stopped: nothing left to say
        sys.exit(1)
