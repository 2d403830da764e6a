"""Load a rules file: read it, parse the TOML, check the top level, parse every rule."""

from __future__ import annotations

import os
import re
import stat

from cors_addon.rules.errors import RulesError
from cors_addon.rules.errors import did_you_mean
from cors_addon.rules.errors import location
from cors_addon.rules.locate import Locator
from cors_addon.rules.model import Rule
from cors_addon.rules.ruleset import RuleSet
from cors_addon.rules.table import RuleParser
from cors_addon.rules.table import describe

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover (Python < 3.11)
    import tomli as tomllib

MAX_BYTES = 1 << 20
TOP_KEYS = ("rules", "grants")


def _nonblocking(path: str, flags: int) -> int:
    """Open without blocking: a named pipe that no one writes to would hang the proxy."""
    return os.open(path, flags | os.O_NONBLOCK)


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Read and parse a rules file. Raises RulesError; never returns a partial RuleSet."""
    name = os.fspath(path)
    try:
        with open(name, "rb", opener=_nonblocking) as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise RulesError(
                    "is not a regular file (a pipe, socket or device)",
                    path=name,
                    suggestion="Save the rules in a file and name that file",
                )
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise RulesError("file not found", path=name) from None
    except IsADirectoryError:
        raise RulesError("is a directory, not a rules file", path=name) from None
    except PermissionError:
        raise RulesError("cannot read the file: permission denied", path=name) from None
    except OSError as e:
        raise RulesError(f"cannot read the file: {e.strerror or e}", path=name) from None
    if len(data) > MAX_BYTES:
        raise RulesError("file is larger than 1 MiB; a rules file is small text", path=name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise RulesError(
                "UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8",
                path=name,
                line=1,
                suggestion="Save the rules file as UTF-8 (PowerShell's > writes UTF-16)",
            ) from None
        raise RulesError(
            f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "is this a binary file?",
            path=name,
            line=data.count(b"\n", 0, e.start) + 1,
            suggestion="Save the rules file as UTF-8 text",
        ) from None
    return parse_rules(text, name)


def parse_rules(text: str, path: str = "<string>") -> RuleSet:
    """Parse rules from TOML text. Raises RulesError; never returns a partial RuleSet."""
    try:
        return _parse_rules(text, path)
    except RulesError:
        raise
    except Exception as e:
        # A bug of ours must not crash start-up nor a hot reload: it is still one error.
        raise RulesError(
            f"could not be checked: internal error ({type(e).__name__}: {e})",
            path=path,
            suggestion="Please report this with the rules file",
        ) from e


def _parse_rules(text: str, path: str) -> RuleSet:
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise RulesError("file is larger than 1 MiB; a rules file is small text", path=path)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise RulesError(
            "file is empty",
            path=path,
            suggestion="Add [[rules]] tables, or a comment if no rules are wanted",
        )
    if "\x00" in text:
        raise RulesError(
            "contains NUL bytes; is this a binary file?",
            path=path,
            line=text[: text.index("\x00")].count("\n") + 1,
        )
    locator = Locator(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _syntax_error(e, text, path, locator) from None
    except RecursionError:
        raise RulesError(
            "TOML syntax error: arrays or tables nested too deeply to read",
            path=path,
            suggestion="A rules file nests at most a few levels: check the brackets",
        ) from None
    for key in data:
        if key not in TOP_KEYS:
            raise RulesError(
                f'unknown top-level key "{key}"; a rules file holds only [[rules]] tables'
                ' (and grants = "add")',
                path=path,
                line=locator.top_key(key),
                suggestion=did_you_mean(key, TOP_KEYS),
            )
    grants_add = _grants(data, path, locator)
    tables = data.get("rules", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        got = describe(tables) if not isinstance(tables, list) else "an array of other values"
        raise RulesError(
            f'"rules" must be an array of tables, got {got}',
            path=path,
            line=locator.top_key("rules"),
            key="rules",
            suggestion="Start each rule with a [[rules]] line (double brackets)",
        )
    rules: list[Rule] = []
    warnings: list[str] = []
    names: dict[str, Rule] = {}
    for index, table in enumerate(tables):
        parser = RuleParser(table, index, locator, path, grants_add)
        rule = parser.parse()
        if rule.name in names:
            first = names[rule.name]
            parser.fail(
                "name",
                f"duplicate name; rule #{first.index + 1} (line {first.line}) has the same name",
                "Names must be unique",
                value=rule.name,
            )
        names[rule.name] = rule
        rules.append(rule)
        warnings.extend(parser.warnings)
    warnings.extend(_shadow_warnings(rules, path))
    return RuleSet(tuple(rules), path, tuple(warnings))


def _grants(data: dict[str, object], path: str, locator: Locator) -> bool:
    """`grants = "add"` at the top: the file is written for rules whose grants add to the
    server's, which silences the warnings about keys whose meaning changed."""
    if "grants" not in data:
        return False
    value = data["grants"]
    if value == "add":
        return True
    if value == "replace":
        problem = (
            "grants = \"replace\" is gone: a rule's grants always add to the server's, and"
            " only strip removes"
        )
    else:
        problem = f'expected "add", got {describe(value)}'
    raise RulesError(
        problem,
        path=path,
        line=locator.top_key("grants"),
        key="grants",
        suggestion='Write grants = "add" (or remove the key), and strip what must go',
    )


def _syntax_error(e: Exception, text: str, path: str, locator: Locator) -> RulesError:
    message = str(e)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        line: int | None = int(m.group(1))
        message = f"{message[: m.start()]} (column {m.group(2)})"
    else:
        line = text.count("\n") + (not text.endswith("\n"))
        message = re.sub(r"\s*\(at end of document\)$", " (at the end of the file)", message)
    if message.startswith("Illegal character '\\n'"):
        return RulesError(
            "TOML syntax error: a string is not closed before the end of the line",
            path=path,
            line=line,
            suggestion="Add the closing quote",
        )
    if message.startswith("Cannot overwrite a value"):
        duplicate = locator.duplicate_key()
        if duplicate:
            return RulesError(
                f'TOML syntax error: key "{duplicate[1]}" is set twice in the same table',
                path=path,
                line=duplicate[0],
                suggestion="Remove one of them",
            )
    return RulesError(f"TOML syntax error: {message}", path=path, line=line)


def _shadow_warnings(rules: list[Rule], path: str) -> list[str]:
    enabled = [r for r in rules if r.enabled]
    for pos, rule in enumerate(enabled[:-1]):
        if not (rule.hosts or rule.paths or rule.origins or rule.methods or rule.filter):
            later = len(enabled) - pos - 1
            return [
                f'{location(path, rule.line)}: rule "{rule.name}": matches every flow, '
                f"so the {later} enabled rule(s) after it never apply"
            ]
    return []
