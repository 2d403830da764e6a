"""Rules files written when a rule's headers replaced the server's: every key whose meaning
changed when grants became additive gets a warning at load time (and on a hot reload) that
names the rule and the key and says what it used to mean and what it means now; a file that
says grants = "add" is written for the new meaning and gets none."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from mitmproxy import http
from mitmproxy.test import taddons
from mitmproxy.test import tflow

from cors_addon.addon import CorsAddon
from cors_addon.rules import parse_rules
from cors_addon.rules.reload import RulesFile

CONFIRM = 'Put grants = "add" at the top of the file to confirm the new meaning'


def warnings(body: str, head: str = "") -> tuple[str, ...]:
    return parse_rules(f'{head}[[rules]]\nname = "old"\n{body}\n', "rules.toml").warnings


@pytest.mark.parametrize(
    "body,line,key,used_to,now",
    [
        (
            'allow_origin = "reflect"\nallow_credentials = false\n'
            'match = { origins = ["http://localhost:3000"] }',
            4,
            "allow_credentials",
            "false used to remove the server's Access-Control-Allow-Credentials",
            'now it means "add none": the server\'s stays (strip = '
            '["access-control-allow-credentials"] removes it)',
        ),
        (
            'allow_origin = "*"',
            3,
            "allow_origin",
            '"*" used to replace the server\'s Access-Control-Allow-Origin',
            "now it replaces only a missing or unusable one: a server's that names the page's"
            " origin is kept, and so are its credentials",
        ),
        (
            'allow_origin = "http://localhost:3000"',
            3,
            "allow_origin",
            '"http://localhost:3000" used to be sent to every request the rule matches',
            'now only requests from "http://localhost:3000" get anything from this rule',
        ),
        (
            'allow_origin = "reflect"\nallow_methods = ["GET", "PUT"]\n'
            'match = { origins = ["http://localhost:3000"] }',
            4,
            "allow_methods",
            '["GET", "PUT"] used to replace the server\'s Access-Control-Allow-Methods',
            "now it adds to it: the server's methods stay allowed",
        ),
        (
            'allow_origin = "reflect"\nallow_headers = "*"\n'
            'match = { origins = ["http://localhost:3000"] }',
            4,
            "allow_headers",
            '"*" used to replace the server\'s Access-Control-Allow-Headers',
            "now it adds to it: the server's headers stay allowed",
        ),
        (
            'allow_origin = "reflect"\nexpose_headers = ["x-id"]\n'
            'match = { origins = ["http://localhost:3000"] }',
            4,
            "expose_headers",
            '["x-id"] used to replace the server\'s Access-Control-Expose-Headers',
            "now it adds to it: what the server exposes stays readable",
        ),
    ],
)
def test_a_key_whose_meaning_changed_warns(
    body: str, line: int, key: str, used_to: str, now: str
) -> None:
    (warning,) = warnings(body)
    assert warning.startswith(f'rules.toml:{line}: rule "old": key "{key}": {used_to}'), warning
    assert now in warning
    assert warning.endswith(f"{CONFIRM} (and silence this warning)")


def test_answer_with_lists_warns_about_each_key() -> None:
    body = (
        'allow_origin = "https://app.example"\nallow_methods = ["PUT"]\n'
        'allow_headers = ["x-a"]\npreflight = "answer"'
    )
    found = {w.split('key "')[1].split('"')[0]: w for w in warnings(body)}
    assert sorted(found) == ["allow_headers", "allow_methods", "allow_origin", "preflight"]
    assert found["preflight"].startswith('rules.toml:6: rule "old": key "preflight": "answer"')
    assert (
        "now it answers only those its own answer allows (requests from https://app.example,"
        " the listed methods, the listed headers), and forwards the others to the server"
    ) in found["preflight"]


@pytest.mark.parametrize(
    "body",
    [
        'allow_origin = "reflect"\nmatch = { origins = ["http://localhost:3000"] }',
        'allow_origin = "reflect"\npreflight = "answer"\nallow_credentials = true\n'
        'match = { origins = ["http://localhost:3000"] }',
        # one exact origin that is the only one the rule matches: nothing else to grant
        'allow_origin = "http://localhost:3000"\nmatch = { origins = ["http://localhost:3000"] }',
        'allow_origin = "http://localhost:3000"\nmatch = { origins = ["http://localhost:3000"] }\n'
        'preflight = "answer"',
        'allow_origin = "reflect"\nexpose_headers = "all"\nallow_headers = []\n'
        'match = { origins = ["http://localhost:3000"] }',
        'strip = ["access-control-*"]',
        'allow_origin = "*"\nenabled = false',  # no effect until enabled (then: a reload)
    ],
)
def test_keys_whose_meaning_did_not_change_do_not_warn(body: str) -> None:
    assert warnings(body) == ()


def test_grants_add_confirms_the_new_meaning() -> None:
    body = 'allow_origin = "*"\nallow_credentials = false\nallow_methods = ["PUT"]'
    assert len(warnings(body)) == 3
    assert warnings(body, 'grants = "add"\n') == ()
    # the other warnings still come
    (other,) = warnings(
        'allow_origin = "reflect"\nallow_credentials = true', '# new meaning\ngrants = "add"\n\n'
    )
    assert "reflects any page origin with credentials" in other


def _write(path: Path, text: str) -> None:
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    st = path.stat()
    if st.st_mtime_ns <= old:  # a new mtime even on a coarse clock
        os.utime(path, ns=(st.st_atime_ns, old + 1_000_000))


NEW = """grants = "add"

[[rules]]
name = "api"
match = { hosts = ["api.test"], origins = ["http://app.test"] }
allow_origin = "reflect"
allow_credentials = false
allow_methods = ["GET", "PUT"]
"""
OLD = NEW.removeprefix('grants = "add"\n')


def test_hot_reload_of_a_file_written_in_the_old_meaning_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rules.toml"
    _write(path, NEW)
    caplog.set_level(logging.INFO, logger="cors_addon.rules.reload")
    source = RulesFile(str(path))
    assert "1 of 1 rules active" in caplog.text
    assert "cors rules:" not in caplog.text  # written for the new meaning: no warning

    caplog.clear()
    _write(path, OLD)  # saved by someone who still means "replace"
    source.check()
    assert [r.name for r in source.rules.rules] == ["api"]
    logged = [r for r in caplog.records if r.getMessage().startswith("cors rules: ")]
    assert [r.levelno for r in logged] == [logging.WARNING, logging.WARNING]
    credentials, methods = (r.getMessage() for r in logged)
    assert credentials.startswith(f'cors rules: {path}:6: rule "api": key "allow_credentials":')
    assert "false used to remove the server's Access-Control-Allow-Credentials" in credentials
    assert methods.startswith(f'cors rules: {path}:7: rule "api": key "allow_methods":')
    assert "now it adds to it" in methods

    caplog.clear()
    source.check()  # unchanged: not loaded, not warned again
    assert caplog.text == ""

    _write(path, NEW)  # confirmed
    source.check()
    assert "1 of 1 rules active" in caplog.text and "cors rules:" not in caplog.text


async def test_the_addon_hot_reloads_an_old_meaning_file_with_warnings_and_the_new_meaning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the addon's own hot reload (its tick): the file saved in the old meaning is
    loaded, warned about, and means what it means now: allow_credentials = false leaves the
    server's Access-Control-Allow-Credentials alone."""
    caplog.set_level(logging.INFO)
    path = tmp_path / "rules.toml"
    _write(path, NEW)
    addon = CorsAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, cors_rules=str(path))
        assert "1 of 1 rules active" in caplog.text and "cors rules:" not in caplog.text
        caplog.clear()
        _write(path, OLD)
        addon.tick(time.time())
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert [w.split('key "')[1].split('"')[0] for w in warned] == [
            "allow_credentials",
            "allow_methods",
        ]
        assert all(w.startswith(f"cors rules: {path}:") and 'rule "api"' in w for w in warned)

        request = http.Request.make(
            "GET",
            "http://api.test/me",
            b"",
            {
                "Origin": "http://app.test",
                "Sec-Fetch-Mode": "cors",
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Dest": "empty",
                "Cookie": "sid=1",
            },
        )
        flow = tflow.tflow(req=request)
        flow.response = None
        addon.requestheaders(flow)
        if hasattr(addon, "request"):  # as mitmproxy calls it: only when the addon has it
            addon.request(flow)
        flow.response = http.Response.make(
            200,
            b"me",
            {
                "Access-Control-Allow-Origin": "http://app.test",
                "Access-Control-Allow-Credentials": "true",
                "Vary": "Origin",
            },
        )
        addon.responseheaders(flow)
        if hasattr(addon, "response"):  # as mitmproxy calls it: only when the addon has it
            addon.response(flow)
        assert flow.response.headers["Access-Control-Allow-Credentials"] == "true"
        event = flow.metadata["cors"]
        assert event["verdict"] == "allowed" and event["credentials"] == "include"
        assert event["changes"] is None  # the rule matched and had nothing to add
        assert "api: 1 flows" in addon.list_rules()
