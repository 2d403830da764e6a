"""The bad-configuration corpus (bad_rules/): every broken rules file gives its own specific
error, from the loader, at start-up of the real proxy (non-zero exit, the message, no
traceback), and on a hot reload, which always keeps the previous rules whole.

Made at run time: a file over 1 MiB, an unreadable file, a directory, a named pipe (which
once hung start-up), a missing file, and a file deleted while the proxy runs.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from addon_builders import APP
from addon_builders import T0
from addon_builders import fetch
from addon_builders import response
from mitmproxy import exceptions
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import port_open
from proxy_harness import send

from cors_addon.rules import RulesError
from cors_addon.rules import load_rules
from cors_addon.rules import parse as parse_module

CORPUS = Path(__file__).with_name("bad_rules")

# file -> (line of the error or None, the specific text the message must contain)
EXPECTED: dict[str, tuple[int | None, str]] = {
    # TOML syntax
    "syntax-unclosed-table-header.toml": (1, "Expected ']]' at the end of an array declaration"),
    "syntax-unterminated-string.toml": (2, "a string is not closed before the end of the line"),
    "syntax-duplicate-key.toml": (4, 'key "allow_origin" is set twice in the same table'),
    "syntax-missing-value.toml": (3, "TOML syntax error: Invalid value (column 15)"),
    "syntax-bad-escape.toml": (2, "Unescaped '\\' in a string"),
    "syntax-single-brackets.toml": (1, '"rules" must be an array of tables, got a table'),
    "syntax-deep-nesting.toml": (None, "arrays or tables nested too deeply to read"),
    # wrong types
    "type-name-integer.toml": (2, 'key "name": expected a string, got an integer (1)'),
    "type-enabled-string.toml": (3, "Write enabled = true without quotes"),
    "type-max-age-string.toml": (4, "Write max_age = 600 without quotes"),
    "type-match-string.toml": (3, 'expected a table such as { hosts = ["..."] }'),
    "type-hosts-string.toml": (3, 'Write hosts = ["api.example.com"]'),
    "type-strip-integer.toml": (3, "expected an array of header name globs, got an integer"),
    "type-credentials-string.toml": (4, 'expected true, false or "auto", got the string "true"'),
    "type-preflight-status-float.toml": (4, "expected an integer, got a float (204.0)"),
    "type-rules-not-array.toml": (1, '"rules" must be an array of tables, got an integer (5)'),
    # unknown keys and values, names
    "unknown-key-typo.toml": (3, 'key "allow_orign": unknown key. Did you mean "allow_origin"?'),
    "unknown-top-level-key.toml": (1, 'unknown top-level key "version"'),
    "unknown-match-key.toml": (3, 'key "match.host": unknown key. Did you mean "hosts"?'),
    "unknown-key-outside-match.toml": (3, "match conditions go inside match"),
    "unknown-value-preflight.toml": (4, 'unknown value "anser"'),
    "missing-name.toml": (1, 'key "name": required key is missing'),
    "duplicate-rule-name.toml": (6, "duplicate name; rule #1 (line 1) has the same name"),
    "last-rule-broken.toml": (11, 'rule "new three" key "max_age": -1 is out of range'),
    # bad globs
    "glob-host-url.toml": (3, 'is a URL; hosts are host[:port] only. Write "api.example.com"'),
    "glob-host-port.toml": (3, 'host glob "api.example.com:99999" has an invalid port'),
    "glob-host-ipv6-unbracketed.toml": (3, "looks like an IPv6 address without brackets"),
    "glob-host-bad-char.toml": (3, 'has an invalid character "$" in its host'),
    "glob-path-no-slash.toml": (3, 'path glob "v1/*" does not start with "/"'),
    "glob-path-query.toml": (3, "paths are matched without the query"),
    "glob-origin-no-scheme.toml": (3, 'origin glob "localhost:3000" has no scheme'),
    "glob-origin-default-port.toml": (3, "has the default port 443, which an Origin header omits"),
    "glob-origin-trailing-slash.toml": (3, 'ends with "/"; an Origin header never does'),
    "glob-origin-huge-port.toml": (3, "A port is a number from 1 to 65535"),
    "glob-strip-bad-char.toml": (3, 'header name glob "x-(*)" has an invalid character "("'),
    "glob-empty-hosts.toml": (3, "empty array matches nothing. Remove hosts to match any host"),
    "allow-origin-glob.toml": (3, "is a glob, but allow_origin is one exact origin"),
    "allow-origin-uppercase.toml": (3, "is not lower-case; browsers compare it byte for byte"),
    # bad filters
    "filter-unparseable.toml": (3, "mitmproxy cannot parse the filter: Invalid filter expression"),
    "filter-empty.toml": (3, 'key "match.filter": filter is empty'),
    "filter-wrong-type.toml": (3, "expected a mitmproxy filter expression, got an array"),
    # values browsers would reject, or that do nothing
    "wildcard-with-credentials.toml": (4, 'browsers reject "*" for credentialed requests'),
    "max-age-out-of-range.toml": (4, "100000 is out of range. Use 0 to 86400 seconds"),
    "preflight-status-not-2xx.toml": (4, "404 is not a 2xx status"),
    "grant-without-allow-origin.toml": (3, 'key "max_age": has no effect without allow_origin'),
    # not rules text at all
    "empty.toml": (None, "file is empty"),
    "whitespace-only.toml": (None, "file is empty"),
    "binary-junk.toml": (1, "not UTF-8 text (byte 0x89 at offset 0); is this a binary file?"),
    "nul-bytes.toml": (2, "contains NUL bytes; is this a binary file?"),
    "utf16.toml": (1, "UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8"),
}


def make_special(kind: str, directory: Path) -> tuple[Path, str]:
    """A broken rules path that is not a corpus file: (path, the expected text)."""
    path = directory / f"{kind}.toml"
    if kind == "huge":
        path.write_bytes(b"# padding\n" * 110_000)
        return path, "file is larger than 1 MiB; a rules file is small text"
    if kind == "directory":
        path.mkdir()
        return path, "is a directory, not a rules file"
    if kind == "named-pipe":
        os.mkfifo(path)
        return path, "is not a regular file (a pipe, socket or device)"
    if kind == "missing":
        return path, "file not found"
    if kind == "not-a-directory":  # a path through a file: unreadable, whoever we are
        (directory / "file").write_text("")
        return directory / "file" / "rules.toml", "cannot read the file: Not a directory"
    raise AssertionError(kind)


SPECIAL = ["huge", "directory", "named-pipe", "missing", "not-a-directory"]


def test_corpus_is_complete() -> None:
    """Every corpus file has its expectation (and the corpus has at least 30 files)."""
    files = {p.name for p in CORPUS.iterdir()}
    assert files == set(EXPECTED)
    assert len(files) >= 30
    texts = [text for _, text in EXPECTED.values()]
    assert len(set(texts)) >= len(texts) - 1  # each its own error (empty = whitespace-only)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loader_names_the_problem(name: str) -> None:
    path = CORPUS / name
    line, text = EXPECTED[name]
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert text in message
    assert message.startswith(f"{path}:{line}:" if line else f"{path}: ")
    assert "internal error" not in message
    assert info.value.line == line


@pytest.mark.parametrize("kind", SPECIAL)
def test_loader_on_paths_that_are_no_rules_file(tmp_path: Path, kind: str) -> None:
    path, text = make_special(kind, tmp_path)
    with pytest.raises(RulesError, match="^" + str(path).replace(".", r"\.")) as info:
        load_rules(path)
    assert text in str(info.value)


def test_loader_on_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rules.toml"
    shutil.copy(CORPUS.parent.parent.parent / "rules.toml", path)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads any file: make the open fail as it would for a user

        def denied(name: str, flags: int) -> int:
            raise PermissionError(13, "Permission denied", name)

        monkeypatch.setattr(parse_module, "_nonblocking", denied)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert str(info.value) == f"{path}: cannot read the file: permission denied"


# -- at start-up: the real proxy -----------------------------------------------------------

CLI_SAMPLE = [
    "syntax-unclosed-table-header.toml",
    "type-enabled-string.toml",
    "unknown-key-typo.toml",
    "glob-host-url.toml",
    "filter-unparseable.toml",
    "syntax-deep-nesting.toml",
    "binary-junk.toml",
]
CLI_SPECIAL = ["named-pipe", "huge"]


@pytest.fixture(scope="module")
def bad_starts(module_proxies, tmp_path_factory):
    """The real `python -m cors_addon --set cors_rules=BAD`, all started at once."""
    specials = tmp_path_factory.mktemp("special")
    started = {}
    for name in CLI_SAMPLE + CLI_SPECIAL:
        if name in CLI_SPECIAL:
            path, text = make_special(name, specials)
        else:
            path, text = CORPUS / name, EXPECTED[name][1]
        proxy = module_proxies.new(f"bad-{name}", ["--set", f"cors_rules={path}"])
        started[name] = (proxy.spawn(), path, text)
    for proxy, _, _ in started.values():
        proxy.wait_exit(timeout=60)
    return started


@pytest.mark.integration
@pytest.mark.parametrize("name", CLI_SAMPLE + CLI_SPECIAL)
def test_start_up_stops_with_the_specific_error(bad_starts, name: str) -> None:
    proxy, path, text = bad_starts[name]
    output = proxy.stdout() + proxy.stderr()
    assert proxy.returncode != 0, output
    assert f"Invalid cors_rules: {path}" in output and text in output, output
    assert "Traceback" not in output, output
    assert not port_open(proxy.port)


# -- hot reload: the previous rules stay, whole ------------------------------------------------

GOOD = """
[[rules]]
name = "good one"
match = { hosts = ["api.test"] }
allow_origin = "reflect"

[[rules]]
name = "good two"
match = { paths = ["/never/*"] }
strip = ["vary"]
"""


def replace_file(path: Path, content: bytes | Path | None) -> None:
    """Put new content at `path` (bytes, or a copy of a file) with a new mtime."""
    old = path.stat().st_mtime_ns if path.exists() and not path.is_fifo() else 0
    if path.is_dir():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)
    if isinstance(content, Path):
        if content.is_fifo():
            os.mkfifo(path)
        elif content.is_dir():
            path.mkdir()
        else:
            shutil.copyfile(content, path)
    elif content is not None:
        path.write_bytes(content)
    if path.exists() and not path.is_fifo():
        st = path.stat()
        if st.st_mtime_ns <= old:
            os.utime(path, ns=(st.st_atime_ns, old + 1_000_000))


@pytest.fixture
def loaded(cors, tmp_path) -> Callable[[], Path]:
    """The addon with GOOD loaded from tmp_path/rules.toml."""
    path = tmp_path / "rules.toml"
    path.write_text(GOOD)
    cors.configure(cors_rules=str(path))
    return path


def _still_good(cors, before) -> None:
    assert cors.addon.rules is before  # the very same rule set: nothing half-replaced
    assert [r.name for r in cors.addon.rules.rules] == ["good one", "good two"]
    f = fetch("GET", extra=())
    cors.run(f, response(200))
    assert f.response.headers["access-control-allow-origin"] == APP
    assert f.metadata["cors"]["rule"] == "good one"


@pytest.mark.parametrize("name", [*sorted(EXPECTED), "huge", "directory", "named-pipe", "missing"])
async def test_hot_reload_keeps_the_previous_rules(cors, loaded, tmp_path, caplog, name):
    before = cors.addon.rules
    if name in SPECIAL:
        (tmp_path / "special").mkdir()
        source, text = make_special(name, tmp_path / "special")
    else:
        source, text = CORPUS / name, EXPECTED[name][1]
    replace_file(loaded, None if name == "missing" else source)
    caplog.clear()
    cors.addon.tick(T0)
    if name == "missing":
        assert "was deleted; the previous rules stay active" in caplog.text
    else:
        [warning] = [r for r in caplog.records if "NOT reloaded" in r.getMessage()]
        assert warning.levelno == logging.WARNING
        assert str(loaded) in warning.getMessage() and text in warning.getMessage()
        with pytest.raises(exceptions.CommandError, match="previous rules stay active") as info:
            cors.tctx.master.commands.execute("cors.reload")
        assert text in str(info.value)
    caplog.clear()
    cors.addon.tick(T0 + 1)  # the same broken file is not reported again
    assert "NOT reloaded" not in caplog.text and "deleted" not in caplog.text
    _still_good(cors, before)
    replace_file(loaded, GOOD.replace("good two", "good three").encode())  # fixed: loaded
    cors.addon.tick(T0 + 2)
    assert [r.name for r in cors.addon.rules.rules] == ["good one", "good three"]


async def test_a_save_landing_during_a_reload_is_not_missed(cors, loaded, monkeypatch):
    """The file is saved again while the proxy reads it: the next tick loads that save
    (the mtime is taken before reading, so the later save counts as a change)."""
    from cors_addon.rules import reload as reload_module

    real = reload_module.load_rules

    def load_then_save_again(path):
        rules = real(path)
        if "v2" in Path(path).read_text():
            replace_file(Path(path), GOOD.replace("good two", "v3").encode())
        return rules

    monkeypatch.setattr(reload_module, "load_rules", load_then_save_again)
    replace_file(loaded, GOOD.replace("good two", "v2").encode())
    cors.addon.tick(T0)
    assert [r.name for r in cors.addon.rules.rules] == ["good one", "v2"]
    cors.addon.tick(T0 + 1)
    assert [r.name for r in cors.addon.rules.rules] == ["good one", "v3"]


RELOAD_SAMPLE = ["binary-junk.toml", "syntax-deep-nesting.toml", "last-rule-broken.toml"]


@pytest.mark.integration
def test_hot_reload_in_the_real_proxy_keeps_rules_through_bad_files_and_deletion(
    proxies, api, tmp_path
):
    rules = tmp_path / "rules.toml"
    rules.write_text(GOOD.replace("api.test", "127.0.0.1"))
    proxy = proxies.start("reload", ["--set", f"cors_rules={rules}"])
    url = api.add("/hardening/reload", Route(200, [], b"x"))

    def acao() -> str | None:
        return send(proxy.port, "GET", url, fetch_fields()).get("access-control-allow-origin")

    assert acao() == "http://localhost:3000"
    for n, name in enumerate(RELOAD_SAMPLE, 1):
        replace_file(rules, CORPUS / name)
        out = proxy.wait_stdout(EXPECTED[name][1], timeout=10)
        assert out.count("cors rules NOT reloaded") == n
        assert acao() == "http://localhost:3000"  # the previous rules, whole
    rules.unlink()
    proxy.wait_stdout("was deleted; the previous rules stay active", timeout=10)
    assert acao() == "http://localhost:3000"
    assert proxy.proc is not None and proxy.proc.poll() is None
    assert "Traceback" not in proxy.output() and "internal error" not in proxy.output()
