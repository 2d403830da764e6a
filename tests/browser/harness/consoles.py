"""What Firefox and WebKit print when they block, and how to read it.

Firefox: every CORS failure is an error-level console line made from a template in omni.ja
(`chrome/en-US/locale/en-US/global/security/security.properties`, keys starting `CORS`). The
template key without its trailing digit is the reason code (`CORSMissingAllowOrigin2` ->
`CORSMissingAllowOrigin`, also the MDN page name); `%1$S` is the URL, `%2$S` the status
(`Status code: %2$S.`) or a value (the Allow-Origin value, a header name, a bad token).

WebKit: a blocked load prints a detail line (`CONSOLE SECURITY ERROR <sentence>`) and then
`CONSOLE JS ERROR <Fetch API|XMLHttpRequest> cannot load <url> due to access control checks.`;
there are no codes.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

FIREFOX_PROPERTIES = "chrome/en-US/locale/en-US/global/security/security.properties"
FIREFOX_BLOCKED = "Cross-Origin Request Blocked: "
FIREFOX_WARNING = "CORSAllowHeaderFromPreflightDeprecation"
WEBKIT_BLOCKED = " due to access control checks."


@dataclass(frozen=True)
class ConsoleLine:
    level: str  # "error", "warning", "log", ... (lower-case)
    source: str  # Firefox: BiDi log type ("javascript", "console"); WebKit: "SECURITY", "JS", ...
    text: str
    url: str | None = None  # WebKit: the script position prefix, when the line had one


@dataclass(frozen=True)
class FirefoxTemplate:
    key: str  # e.g. "CORSMissingAllowOrigin2"
    text: str
    regex: re.Pattern[str]

    @property
    def code(self) -> str:
        return self.key.rstrip("0123456789")


@functools.cache
def firefox_templates(omni: str) -> tuple[FirefoxTemplate, ...]:
    """The CORS templates of this Firefox build, longest first (so the most specific wins)."""
    with zipfile.ZipFile(omni) as z:
        props = z.read(FIREFOX_PROPERTIES).decode()
    out = []
    for line in props.splitlines():
        key, sep, text = line.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key.startswith("CORS"):
            continue
        parts = re.split(r"(%\d\$S)", text)
        pattern = "".join(
            f"(?P<p{p[1]}>.*?)" if re.fullmatch(r"%\d\$S", p) else re.escape(p) for p in parts
        )
        out.append(FirefoxTemplate(key, text, re.compile(pattern + r"\Z", re.S)))
    return tuple(sorted(out, key=lambda t: -len(t.text)))


def firefox_reason(text: str, omni: str | Path) -> tuple[str, str] | None:
    """(reason code, the template's second value or "") for a Firefox CORS console line."""
    for tpl in firefox_templates(str(omni)):
        m = tpl.regex.match(text)
        if m:
            return tpl.code, m.groupdict().get("p2") or ""
    return None


def firefox_blocked(lines: list[ConsoleLine]) -> bool:
    return any(ln.level == "error" and ln.text.startswith(FIREFOX_BLOCKED) for ln in lines)


_WEBKIT_LINE = re.compile(
    r"^(?:(?P<url>\S+:\d+:\d+): )?CONSOLE (?:(?P<source>[A-Z]+) )?"
    r"(?P<level>LOG|ERROR|WARN|WARNING|INFO|DEBUG) (?P<text>.*)$"
)


def parse_webkit_line(line: str) -> ConsoleLine | None:
    """`[<url>:<line>:<col>: ]CONSOLE [<SOURCE> ]<LEVEL> <text>` (MiniBrowser's stderr; a page's
    console.log reads `CONSOLE LOG <text>`, a CORS detail `CONSOLE SECURITY ERROR <text>`)."""
    m = _WEBKIT_LINE.match(line.rstrip("\r"))
    if not m:
        return None
    return ConsoleLine(m["level"].lower(), m["source"] or "CONSOLE", m["text"], m["url"])


def webkit_blocked(lines: list[ConsoleLine]) -> bool:
    return any(ln.level == "error" and ln.text.endswith(WEBKIT_BLOCKED) for ln in lines)
