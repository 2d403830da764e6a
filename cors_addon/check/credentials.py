"""`--with-credentials-from FILE`: where `check` takes cookies and Authorization values
from. Recorded values are never replayed; without this file a credentialed call is sent
without cookies and a recorded Authorization header with a placeholder value.

The file is TOML, one table per server that receives the requests (after --base):

    [[server]]
    url = "http://127.0.0.1:8000"            # scheme://host[:port], nothing else
    cookie = { env = "API_COOKIE" }           # the whole Cookie value, from the environment
    authorization = "Bearer test-token"       # or a literal value

`cookie` goes on the actual requests of calls made with credentials (never on preflights);
`authorization` replaces the value of a recorded Authorization header.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..engine import url_origin
from ..engine.origins import split_url

KEYS = ("url", "cookie", "authorization")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class CredentialsError(ValueError):
    """The file cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True, slots=True)
class ServerCredentials:
    server: str  # serialized origin
    cookie: str | None = None
    authorization: str | None = None


def _value(raw: Any, key: str, where: str, env: Mapping[str, str]) -> str:
    if isinstance(raw, dict):
        if set(raw) != {"env"} or not isinstance(raw["env"], str) or not raw["env"]:
            raise CredentialsError(
                f'{where}: {key} must be a string or {{ env = "VARIABLE" }}, not {raw!r}'
            )
        name = raw["env"]
        if name not in env:
            raise CredentialsError(f"{where}: {key}: environment variable {name} is not set")
        value = env[name]
    elif isinstance(raw, str):
        value = raw
    else:
        raise CredentialsError(
            f'{where}: {key} must be a string or {{ env = "VARIABLE" }}, not {type(raw).__name__}'
        )
    if not value.strip():
        raise CredentialsError(f"{where}: {key} is empty")
    if _BAD_VALUE.search(value):
        raise CredentialsError(f"{where}: {key} contains a control character or line break")
    return value.strip()


def _server(raw: Any, where: str) -> str:
    if not isinstance(raw, str):
        raise CredentialsError(f'{where}: url must be a string like "https://api.example"')
    scheme, host, _, path = split_url(raw)
    if scheme not in ("http", "https") or not host or path not in ("/", ""):
        raise CredentialsError(
            f"{where}: url {raw!r} must be a server, scheme://host[:port], without a path"
        )
    return url_origin(raw)


def parse_credentials(
    text: str, path: str, env: Mapping[str, str] | None = None
) -> dict[str, ServerCredentials]:
    env = os.environ if env is None else env
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CredentialsError(f"{path}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - {"server"})
    if unknown:
        raise CredentialsError(
            f"{path}: unknown top-level key {unknown[0]!r}: the file holds [[server]] tables"
        )
    servers = data.get("server")
    if not isinstance(servers, list) or not servers:
        raise CredentialsError(f"{path}: no [[server]] table: nothing to take credentials from")
    out: dict[str, ServerCredentials] = {}
    for n, entry in enumerate(servers, 1):
        where = f"{path}: [[server]] {n}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{where}: must be a table")
        bad = sorted(set(entry) - set(KEYS))
        if bad:
            raise CredentialsError(
                f"{where}: unknown key {bad[0]!r} (a server has url, cookie, authorization)"
            )
        if "url" not in entry:
            raise CredentialsError(f"{where}: url is missing")
        server = _server(entry["url"], where)
        if server in out:
            raise CredentialsError(f"{where}: {server} is listed twice")
        if "cookie" not in entry and "authorization" not in entry:
            raise CredentialsError(f"{where}: give cookie, authorization or both")
        out[server] = ServerCredentials(
            server,
            _value(entry["cookie"], "cookie", where, env) if "cookie" in entry else None,
            (
                _value(entry["authorization"], "authorization", where, env)
                if "authorization" in entry
                else None
            ),
        )
    return out


def load_credentials(
    path: str, env: Mapping[str, str] | None = None
) -> dict[str, ServerCredentials]:
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    except FileNotFoundError:
        raise CredentialsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CredentialsError(f"{path}: is a directory, not a credentials file") from None
    except OSError as e:
        raise CredentialsError(f"{path}: cannot read the file: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialsError(f"{path}: not UTF-8 text") from None
    return parse_credentials(text, path, env)
