import errno
import os
from pathlib import Path

import pytest

from cors_addon.rules import RulesError
from cors_addon.rules import load_rules
from cors_addon.rules import parse as parse_module
from cors_addon.rules import parse_rules

HEAD = '[[rules]]\nname = "r"\n'  # lines 1-2; the key under test is on line 3

# (TOML body after HEAD, key, text the message must contain)
RULE_ERRORS = [
    ('allow_orgin = "*"', "allow_orgin", 'unknown key. Did you mean "allow_origin"?'),
    ("colour = 1", "colour", "unknown key. Valid keys: name, enabled, match"),
    ('hosts = ["a.com"]', "hosts", "match conditions go inside match. Write match = { hosts"),
    ("enabled = 1", "enabled", "expected true or false, got an integer (1)"),
    ('enabled = "true"', "enabled", "Write enabled = true without quotes"),
    ('match = "a.com"', "match", "expected a table such as { hosts"),
    ('match = { host = ["a"] }', "match.host", 'unknown key. Did you mean "hosts"?'),
    ("match = { colour = 1 }", "match.colour", "unknown key. Valid keys: hosts, paths"),
    ('match = { allow_origin = "*" }', "match.allow_origin", "belongs to the rule, not inside"),
    ('match = { hosts = "a.com" }', "match.hosts", 'Write hosts = ["a.com"]'),
    (
        "match = { hosts = [] }",
        "match.hosts",
        "empty array matches nothing. Remove hosts to match any host",
    ),
    ("match = { hosts = [1] }", "match.hosts", "item 1 is an integer (1)"),
    ("match = { hosts = 5 }", "match.hosts", "expected an array of host globs, got an integer"),
    ('match = { hosts = [""] }', "match.hosts", "empty host glob"),
    (
        'match = { hosts = ["https://a.com/x"] }',
        "match.hosts",
        'is a URL; hosts are host[:port] only. Write "a.com"',
    ),
    ('match = { hosts = ["a.com/v1"] }', "match.hosts", "contains a path; hosts are host[:port]"),
    ('match = { hosts = ["a.com:99999"] }', "match.hosts", 'invalid port "99999"'),
    ('match = { hosts = ["a.com:"] }', "match.hosts", 'invalid port ""'),
    ('match = { hosts = ["::1"] }', "match.hosts", 'IPv6 address without brackets. Write "[::1]"'),
    ('match = { hosts = ["[::1"] }', "match.hosts", 'has "[" without "]"'),
    ('match = { hosts = ["[::1]x"] }', "match.hosts", 'text after "]" that is not ":port"'),
    ('match = { hosts = ["[zz]"] }', "match.hosts", 'invalid IPv6 address "[zz]"'),
    ('match = { hosts = ["a$b.com"] }', "match.hosts", 'invalid character "$" in its host'),
    ('match = { hosts = ["a .com"] }', "match.hosts", "contains whitespace"),
    ('match = { hosts = [":8080"] }', "match.hosts", 'has an empty host. Use "*"'),
    ('match = { paths = ["v1/*"] }', "match.paths", 'does not start with "/". Write "/v1/*"'),
    ('match = { paths = ["/v1?x=1"] }', "match.paths", "matched without the query"),
    ('match = { paths = ["http://a.com/v1"] }', "match.paths", "is a URL; paths are matched"),
    (
        'match = { origins = ["localhost:3000"] }',
        "match.origins",
        'has no scheme. Write "http://localhost:3000"',
    ),
    (
        'match = { origins = ["http://a.com/app"] }',
        "match.origins",
        "contains a path; an origin is",
    ),
    (
        'match = { origins = ["http://a.com/"] }',
        "match.origins",
        'ends with "/"; an Origin header never does. Write "http://a.com"',
    ),
    (
        'match = { origins = ["https://a.com:443"] }',
        "match.origins",
        "default port 443, which an Origin header omits",
    ),
    ('match = { origins = ["http://a.com:x"] }', "match.origins", 'invalid port "x"'),
    ('match = { origins = ["1http://a.com"] }', "match.origins", 'invalid scheme "1http"'),
    ('match = { methods = ["GE T"] }', "match.methods", '"GE T" is not a valid method'),
    (
        'match = { filter = "~u (" }',
        "match.filter",
        "mitmproxy cannot parse the filter: Invalid filter expression",
    ),
    ('match = { filter = " " }', "match.filter", "filter is empty. Remove filter"),
    (
        "match = { filter = 1 }",
        "match.filter",
        "expected a mitmproxy filter expression, got an integer",
    ),
    ('allow_origin = "reflct"', "allow_origin", 'unknown value "reflct". Did you mean "reflect"?'),
    ("allow_origin = true", "allow_origin", 'expected "reflect", "*" or an origin'),
    (
        'allow_origin = "https://*.a.com"',
        "allow_origin",
        "is a glob, but allow_origin is one exact origin",
    ),
    ('allow_origin = "https://a.com/"', "allow_origin", 'origin "https://a.com/" ends with "/"'),
    (
        'allow_origin = "https://a.com/app"',
        "allow_origin",
        'origin "https://a.com/app" contains a path',
    ),
    (
        'allow_origin = "https://App.com"',
        "allow_origin",
        'not lower-case; browsers compare it byte for byte. Write "https://app.com"',
    ),
    ('allow_origin = "localhost:3000"', "allow_origin", 'origin "localhost:3000" has no scheme'),
    ('allow_origin = "http://a.com:80"', "allow_origin", "has the default port 80"),
    (
        'allow_origin = "*"\nallow_credentials = "true"',
        "allow_credentials",
        'got the string "true". Write allow_credentials = true without quotes',
    ),
    (
        'allow_origin = "*"\nallow_credentials = "yes"',
        "allow_credentials",
        'unknown value "yes"; valid values: true, false, "auto"',
    ),
    (
        'allow_origin = "*"\nallow_credentials = 1',
        "allow_credentials",
        'expected true, false or "auto", got an integer (1)',
    ),
    (
        'allow_origin = "*"\nallow_credentials = true',
        "allow_credentials",
        'browsers reject "*" for credentialed requests. Use allow_origin = "reflect"',
    ),
    (
        'allow_origin = "*"\nallow_methods = "GET, PUT"',
        "allow_methods",
        'Write allow_methods = ["GET", "PUT"]',
    ),
    ('allow_origin = "*"\nallow_methods = "Reflect"', "allow_methods", 'Did you mean "reflect"?'),
    (
        'allow_origin = "*"\nallow_methods = [1]',
        "allow_methods",
        "expected an array of methods, item 1 is an integer",
    ),
    (
        'allow_origin = "*"\nallow_methods = 1',
        "allow_methods",
        "expected an array of methods, got an integer",
    ),
    (
        'allow_origin = "*"\nallow_headers = ["x y"]',
        "allow_headers",
        '"x y" is not a valid header name',
    ),
    (
        'allow_origin = "*"\nexpose_headers = "everything"',
        "expose_headers",
        'expected "*", "all" or an array of header names',
    ),
    ('allow_origin = "*"\nmax_age = -1', "max_age", "-1 is out of range. Use 0 to 86400 seconds"),
    ('allow_origin = "*"\nmax_age = 86401', "max_age", "86401 is out of range"),
    (
        'allow_origin = "*"\nmax_age = 1.5',
        "max_age",
        "expected an integer number of seconds, got a float (1.5)",
    ),
    ('allow_origin = "*"\nmax_age = "600"', "max_age", "Write max_age = 600 without quotes"),
    ('allow_origin = "*"\nmax_age = true', "max_age", "got a boolean (true)"),
    (
        'allow_origin = "*"\nallow_private_network = "yes"',
        "allow_private_network",
        'expected true or false, got a string ("yes")',
    ),
    (
        'allow_origin = "*"\npreflight = "anwser"',
        "preflight",
        'unknown value "anwser"; valid values: "answer", "fix", "forward". Did you mean "answer"?',
    ),
    (
        'allow_origin = "*"\npreflight = 1',
        "preflight",
        'expected one of "answer", "fix", "forward", got an integer',
    ),
    ('allow_origin = "*"\npreflight_status = 301', "preflight_status", "301 is not a 2xx status"),
    (
        'allow_origin = "*"\npreflight_status = "204"',
        "preflight_status",
        "Write preflight_status = 204 without quotes",
    ),
    (
        'allow_origin = "*"\npreflight = "forward"\npreflight_status = 200',
        "preflight_status",
        'has no effect with preflight = "forward"',
    ),
    (
        'allow_methods = ["GET"]',
        "allow_methods",
        'has no effect without allow_origin. Set allow_origin = "reflect"',
    ),
    ("max_age = 5", "max_age", "has no effect without allow_origin"),
    (
        'preflight = "answer"',
        "preflight",
        'preflight = "answer" has no effect without allow_origin',
    ),
    ('preflight = "fix"', "preflight", 'preflight = "fix" has no effect without allow_origin'),
    ("preflight_status = 200", "preflight_status", "has no effect without allow_origin"),
    ('strip = "access-control-*"', "strip", 'Write strip = ["access-control-*"]'),
    ('strip = ["a:b"]', "strip", 'header name glob "a:b" has an invalid character ":"'),
    ('strip = [""]', "strip", "empty header name glob"),
    ('errors = "no"', "errors", 'expected true or false, got a string ("no")'),
    ("name2 = 1", "name2", 'unknown key. Did you mean "name"?'),
]


@pytest.mark.parametrize("body,key,text", RULE_ERRORS)
def test_rule_error(body: str, key: str, text: str) -> None:
    with pytest.raises(RulesError) as e:
        parse_rules(HEAD + body, "rules.toml")
    err = e.value
    assert (err.path, err.rule, err.key) == ("rules.toml", "r", key)
    # the key is on line 3, or line 4 after a preceding allow_origin
    assert err.line == 3 + body.count("\n")
    assert text in str(err)
    assert str(err).startswith(f'rules.toml:{err.line}: rule "r" key "{key}": ')


def test_rule_errors_are_distinct() -> None:
    messages = set()
    for body, _, _ in RULE_ERRORS:
        with pytest.raises(RulesError) as e:
            parse_rules(HEAD + body)
        messages.add((e.value.key, e.value.problem, e.value.suggestion))
    assert len(messages) == len(RULE_ERRORS)


@pytest.mark.parametrize(
    "text,line,rule,key,message",
    [
        ('[[rules]]\nallow_origin = "*"', 1, "#1", "name", "required key is missing"),
        ('[[rules]]\nname = "  "', 2, "#1", "name", "name is empty"),
        ("[[rules]]\nname = 5", 2, "#1", "name", "expected a string, got an integer (5)"),
        (
            '[[rules]]\nname = "a"\n\n[[rules]]\nname = "a"',
            5,
            "a",
            "name",
            "duplicate name; rule #1 (line 1) has the same name. Names must be unique",
        ),
        (
            '[[rules]]\nname = "ok"\n\n[[rules]]\nname = "second"\nallow_origin = 5',
            6,
            "second",
            "allow_origin",
            "expected",
        ),
    ],
)
def test_name_errors(text: str, line: int, rule: str, key: str, message: str) -> None:
    with pytest.raises(RulesError) as e:
        parse_rules(text, "rules.toml")
    assert (e.value.line, e.value.rule, e.value.key) == (line, rule, key)
    assert message in str(e.value)


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("", None, "rules.toml: file is empty. Add [[rules]] tables"),
        (" \n\t\n", None, "rules.toml: file is empty"),
        ("\ufeff", None, "rules.toml: file is empty"),
        (
            '[[rules]]\nname = "a"\nallow_origin = \n',
            3,
            "rules.toml:3: TOML syntax error: Invalid value (column 16)",
        ),
        ('[[rules]]\nname = "a', 2, "TOML syntax error: Unterminated string"),
        ("[[rules]]\nname", 2, "TOML syntax error: Expected '=' after a key"),
        (
            '[[rules]]\nname = "a"\nname = "b"\n',
            3,
            'rules.toml:3: TOML syntax error: key "name" is set twice in the same table',
        ),
        ('a = 1\nb = 2\nc = 3\nd = 4\ne = "\x00"', 5, "contains NUL bytes; is this a binary file?"),
        (
            '# rules\n[rule]\nname = "x"',
            2,
            'rules.toml:2: unknown top-level key "rule"; a rules file holds only [[rules]] '
            'tables (and grants = "add"). Did you mean "rules"?',
        ),
        (
            'grants = "replace"\n[[rules]]\nname = "x"',
            1,
            'rules.toml:1: key "grants": grants = "replace" is gone: a rule\'s grants always add'
            ' to the server\'s, and only strip removes. Write grants = "add"',
        ),
        ("grants = true", 1, 'key "grants": expected "add", got a boolean (true)'),
        ('[[rules]]\nname = "a"\n[grants]', 3, 'key "grants": expected "add", got a table'),
        ('[[rules]]\nname = "a"\n[settings]\nx = 1', 3, 'unknown top-level key "settings"'),
        (
            '[rules]\nname = "x"',
            1,
            'rules.toml:1: key "rules": "rules" must be an array of tables, got a table. '
            "Start each rule with a [[rules]] line",
        ),
        ("rules = 5", 1, '"rules" must be an array of tables, got an integer (5)'),
        ('\nrules = ["a"]', 2, '"rules" must be an array of tables, got an array of other'),
    ],
)
def test_file_errors(text: str, line: int | None, message: str) -> None:
    with pytest.raises(RulesError) as e:
        parse_rules(text, "rules.toml")
    assert e.value.line == line
    assert e.value.rule is None
    assert message in str(e.value)


def test_too_large_text() -> None:
    with pytest.raises(RulesError, match="larger than 1 MiB"):
        parse_rules("#" * (1 << 20) + "\n")
    with pytest.raises(RulesError, match="larger than 1 MiB"):
        parse_rules("# " + "é" * (1 << 19))  # fewer characters than bytes


def test_error_in_last_rule_fails_the_whole_file() -> None:
    good = '[[rules]]\nname = "a"\nallow_origin = "*"\n'
    with pytest.raises(RulesError) as e:
        parse_rules(good * 1 + good.replace('"a"', '"b"') + '[[rules]]\nname = "c"\nmax_age = 1\n')
    assert (e.value.line, e.value.rule) == (9, "c")


class TestLines:
    def test_value_line_in_multiline_array(self) -> None:
        text = '[[rules]]\nname = "r"\n[rules.match]\nhosts = [\n  "good.com",\n  "bad host",\n]\n'
        with pytest.raises(RulesError) as e:
            parse_rules(text)
        assert (e.value.line, e.value.key) == (6, "match.hosts")

    def test_comments_are_not_keys(self) -> None:
        text = (
            '[[rules]]\nname = "r"\n# max_age = 600 is the usual value\n'
            'allow_origin = "*" # no max_age here\nmax_age = -5\n'
        )
        with pytest.raises(RulesError) as e:
            parse_rules(text)
        assert e.value.line == 5

    def test_second_rule(self) -> None:
        text = (
            '[[rules]]\nname = "a"\nallow_origin = "*"\n\n'
            '[[rules]]\nname = "b"\nallow_origin = "*"\nmatch = { paths = ["x"] }\n'
        )
        with pytest.raises(RulesError) as e:
            parse_rules(text)
        assert (e.value.line, e.value.rule, e.value.key) == (8, "b", "match.paths")

    def test_inline_rules_array_has_no_rule_line(self) -> None:
        with pytest.raises(RulesError) as e:
            parse_rules('rules = [{ name = "a", colour = 1 }]')
        assert e.value.line is None
        assert str(e.value).startswith('<string>: rule "a" key "colour": unknown key')


class TestLoad:
    def test_missing(self, tmp_path: Path) -> None:
        path = tmp_path / "nope.toml"
        with pytest.raises(RulesError) as e:
            load_rules(path)
        assert str(e.value) == f"{path}: file not found"

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(RulesError, match="is a directory, not a rules file"):
            load_rules(tmp_path)

    def test_permission(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        def denied(*args: object, **kwargs: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(parse_module, "open", denied, raising=False)
        with pytest.raises(RulesError, match="cannot read the file: permission denied"):
            load_rules(tmp_path / "rules.toml")

    def test_other_os_error(self, tmp_path: Path) -> None:
        loop = tmp_path / "loop.toml"
        os.symlink(loop, loop)
        with pytest.raises(RulesError, match="cannot read the file: Too many levels"):
            load_rules(loop)

    def test_binary(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.toml"
        path.write_bytes(b"# ok\n\x89PNG\r\n\x1a\n")
        with pytest.raises(RulesError) as e:
            load_rules(path)
        assert e.value.line == 2
        assert "not UTF-8 text (byte 0x89 at offset 5); is this a binary file?" in str(e.value)
        assert "Save the rules file as UTF-8 text" in str(e.value)

    def test_nul(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.toml"
        path.write_bytes(b"\x00\x00\x00")
        with pytest.raises(RulesError, match="NUL bytes"):
            load_rules(path)

    def test_too_large(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.toml"
        path.write_bytes(b"#" * (1 << 20) + b"\n")
        with pytest.raises(RulesError, match=f"{path}: file is larger than 1 MiB"):
            load_rules(path)

    def test_empty(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.toml"
        path.write_bytes(b"")
        with pytest.raises(RulesError, match="file is empty"):
            load_rules(path)

    def test_path_in_messages(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.toml"
        path.write_text('[[rules]]\nname = "r"\nallow_orgin = "*"\n')
        with pytest.raises(RulesError) as e:
            load_rules(str(path))
        assert str(e.value).startswith(f'{path}:3: rule "r" key "allow_orgin": unknown key.')
        assert isinstance(e.value, ValueError)


def test_a_rule_name_with_a_newline_keeps_the_message_on_one_line() -> None:
    # Found by the rules fuzzer: TOML lets a name hold "\n"; the message escapes it.
    text = '[[rules]]\nname = "a\\nb\\u0000"\nallow_origin = 5\n'
    with pytest.raises(RulesError) as info:
        parse_rules(text, "r.toml")
    message = str(info.value)
    assert message.startswith('r.toml:3: rule "a\\nb\\x00" key "allow_origin": expected')
    assert "\n" not in message and "\x00" not in message
