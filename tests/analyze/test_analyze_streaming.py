"""Memory stays flat with file size: a 10k-entry and a 100k-entry HAR, generated here, are
each analyzed in a fresh interpreter (report, needs, HTML report, everything the CLI
collects), its RSS and that of the process reading the file for it (reader.py) sampled all
along; the peaks grow by about the same amount for both, not ten times as much. Linux only
(/proc), like CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bighar import write_har

PROBE = """
import contextlib, io, json, os, sys, threading, time
from cors_addon.analyze import cli

PAGE = os.sysconf("SC_PAGE_SIZE")

def rss(pid="self"):
    try:
        with open(f"/proc/{{pid}}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0

def children():
    pids = []
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{{tid}}/children") as f:
            pids += f.read().split()
    return pids

peak = before = rss()
reader = 0
done = False

def sample():
    global peak, reader
    while not done:
        peak = max(peak, rss())
        reader = max([reader, *(rss(pid) for pid in children())])
        time.sleep(0.002)

thread = threading.Thread(target=sample)
thread.start()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = cli.main([{path!r}, "--html", {html!r}, "--server-fix"])
done = True
thread.join()
print(json.dumps({{"growth": max(peak, rss()) - before, "reader": reader, "status": status,
                   "head": out.getvalue()[:400]}}))
"""


def peak_growth(har: Path, tmp_path: Path) -> dict[str, object]:
    code = PROBE.format(path=str(har), html=str(tmp_path / f"{har.stem}.html"))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_peak_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small = peak_growth(write_har(tmp_path / "small.har", 10_000), tmp_path)
    large_har = write_har(tmp_path / "large.har", 100_000)
    assert large_har.stat().st_size > 100 << 20
    large = peak_growth(large_har, tmp_path)
    for run, n in ((small, 10_000), (large, 100_000)):
        assert run["status"] == 1  # a quarter of the requests are blocked
        assert f"{n} entries" in run["head"]
    grow_small = int(small["growth"]) >> 20  # type: ignore[call-overload]
    grow_large = int(large["growth"]) >> 20  # type: ignore[call-overload]
    # MiB of peak RSS over the RSS before the analysis. Proportional growth would be ten
    # times the small file's, and the large file alone is over 100 MiB.
    print(f"peak RSS growth: 10k entries {grow_small} MiB, 100k entries {grow_large} MiB")
    assert grow_large <= grow_small + 16, (grow_small, grow_large)
    assert grow_large < 48, grow_large
    # The reading process (both files are read in one): its whole peak RSS, flat too.
    reader_small = int(small["reader"]) >> 20  # type: ignore[call-overload]
    reader_large = int(large["reader"]) >> 20  # type: ignore[call-overload]
    print(f"reading process peak RSS: {reader_small} MiB, {reader_large} MiB")
    assert reader_small > 0 and reader_large > 0
    assert reader_large <= reader_small + 16, (reader_small, reader_large)
    assert reader_large < 128, reader_large
