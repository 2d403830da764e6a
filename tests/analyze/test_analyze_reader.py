"""A large capture is read in a second process (reader.py): the events are exactly those of
reading it in this one, a problem with the file is reported the same way after what could
be read, and a reading process that dies is an error naming it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from analyze_helpers import FIXTURES
from analyze_helpers import fixture
from capture_variants import VARIANTS

from cors_addon.analyze import reader
from cors_addon.analyze.replay import Replay
from cors_addon.analyze.sources import Capture
from cors_addon.analyze.sources import CaptureError


def events(path: str, child: bool) -> tuple[list[dict], Capture]:
    capture = Capture(path)
    exchanges = reader._from_child(capture, None) if child else capture.exchanges()
    return [e for e, _ in Replay().run(exchanges)], capture


def devtools_variants(tmp_path: Path) -> list[str]:
    with gzip.open(FIXTURES / "devtools.har.gz", "rt") as f:
        har = json.load(f)
    with gzip.open(FIXTURES / "devtools.json.gz", "rt") as f:
        truth = json.load(f)["entries"]
    paths = []
    for name, make in VARIANTS.items():
        path = tmp_path / f"{name}.har"
        path.write_text(json.dumps(make(har, truth)))
        paths.append(str(path))
    return paths


def test_the_same_events_either_way(tmp_path: Path) -> None:
    paths = [fixture(n) for n in ("chromium.har", "mitmproxy.har", "flows.mitm", "firefox.har")]
    paths += devtools_variants(tmp_path)
    for path in paths:
        mine, here = events(path, child=False)
        theirs, there = events(path, child=True)
        assert theirs == mine, path
        assert (there.kind, there.count, there.late) == (here.kind, here.count, here.late)


def test_a_cut_file_reports_what_was_read_then_the_problem(tmp_path: Path) -> None:
    data = (FIXTURES / "mitmproxy.har").read_bytes()
    path = tmp_path / "cut.har"
    path.write_bytes(data[: len(data) // 2])
    got = {}
    for child in (False, True):
        capture = Capture(str(path))
        seen = []
        with pytest.raises(CaptureError) as e:
            exchanges = reader._from_child(capture, None) if child else capture.exchanges()
            for ex in exchanges:
                seen.append(ex.flow)
        got[child] = (seen, str(e.value))
    assert got[True] == got[False] and got[True][0]


def test_a_reading_process_that_dies_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "CHILD", "import sys; sys.stderr.write('boom'); sys.exit(3)")
    with pytest.raises(CaptureError, match=r"ended unexpectedly \(exit status 3\): boom"):
        list(reader._from_child(Capture(fixture("chromium.har")), None))


def test_small_files_are_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_child(*args: object) -> None:
        raise AssertionError("a child for a small file")

    monkeypatch.setattr(reader, "_from_child", no_child)
    assert list(reader.exchanges(Capture(fixture("chromium.har"))))
    with pytest.raises(CaptureError, match="no such file"):
        list(reader.exchanges(Capture("/nonexistent/x.har")))
