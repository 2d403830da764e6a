"""Server fixes: for each server with blocked flows, the least-privilege CORS configuration
that makes every CORS flow of the capture pass, for the common frameworks and nginx.

Least privilege: the exact page origins seen (no wildcard, no regex), only the methods and
request headers the preflights announced (Spring checks actual requests' methods too, so it
gets those as well), credentials only when a flow used them, and only the response headers
the page cannot read otherwise exposed. Flows that pass today count too: the configuration
replaces the server's current CORS handling and must keep them passing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .needs import Needs
from .needs import Policy

MAX_AGE = 600  # seconds browsers may reuse a preflight (Chromium caps it at 7200)

# Snippets proven against a real server: the test suite runs the framework with the
# snippet exactly as printed and `check` shows every call blocked without it and allowed
# with it, in Chromium's, Firefox's and WebKit's judgement
# (tests/serverfix/test_serverfix_proven.py). The others are printed as unverified.
VERIFIED = frozenset({"starlette", "flask-cors", "django", "nginx"})
UNVERIFIED_NOTE = "unverified: no test runs this snippet against a real server yet"

FRAMEWORKS = {
    "starlette": "starlette / FastAPI (CORSMiddleware)",
    "flask-cors": "Flask (flask-cors)",
    "express": "Express (cors)",
    "django": "Django (django-cors-headers, settings.py)",
    "spring": "Spring (CorsConfiguration)",
    "nginx": "nginx",
}


def _py(items: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in sorted(items)) + "]"


def _java(items: Iterable[str]) -> str:
    return "List.of(" + ", ".join(json.dumps(i) for i in sorted(items)) + ")"


def _credentials_note(p: Policy) -> str:
    if not p.credentials:
        return "no flow carried cookies or Authorization"
    return "credentialed: " + ", ".join(sorted(p.credential_endpoints)[:4])


def starlette(p: Policy) -> str:
    return "\n".join(
        [
            "from starlette.middleware.cors import CORSMiddleware"
            "  # FastAPI: fastapi.middleware.cors, the same class",
            "",
            "app.add_middleware(",
            "    CORSMiddleware,",
            f"    allow_origins={_py(p.origins)},",
            f"    allow_methods={_py(p.preflight_methods)},",
            f"    allow_headers={_py(p.headers)},",
            f"    allow_credentials={p.credentials},  # {_credentials_note(p)}",
            f"    expose_headers={_py(p.expose)},",
            f"    max_age={MAX_AGE},",
            ")",
        ]
    )


def _not_upper(methods: Iterable[str]) -> list[str]:
    """Methods a page sends in lower or mixed case: fetch() upper-cases only DELETE, GET,
    HEAD, OPTIONS, POST and PUT, so 'patch' goes out as 'patch', and browsers compare
    Access-Control-Allow-Methods case-sensitively."""
    return sorted(m for m in methods if m != m.upper())


def flask_cors(p: Policy) -> str:
    exact: list[str] = []
    if _not_upper(p.preflight_methods):
        allowed = ", ".join(sorted(p.preflight_methods))
        exact = [
            "",
            "# flask-cors upper-cases the methods it allows, but browsers compare them",
            f"# case-sensitively and fetch() sends {', '.join(_not_upper(p.preflight_methods))}"
            " as written. Registered",
            "# before CORS(), this runs after it and lists the methods exactly:",
            "@app.after_request",
            "def cors_exact_methods(response):",
            '    if "Access-Control-Allow-Methods" in response.headers:',
            f'        response.headers["Access-Control-Allow-Methods"] = {json.dumps(allowed)}',
            "    return response",
            "",
        ]
    return "\n".join(
        [
            "from flask_cors import CORS",
            *exact,
            "",
            "CORS(",
            "    app,",
            f"    origins={_py(p.origins)},",
            f"    methods={_py(p.preflight_methods)},",
            f"    allow_headers={_py(p.headers)},",
            f"    supports_credentials={p.credentials},  # {_credentials_note(p)}",
            f"    expose_headers={_py(p.expose)},",
            f"    max_age={MAX_AGE},",
            ")",
        ]
    )


def _not_upper_caveat(p: Policy, server: str, comment: str) -> list[str]:
    """A server that refuses methods not in capitals before any CORS handling."""
    lower = _not_upper(p.preflight_methods)
    if not lower:
        return []
    return [
        f"{comment} {server} answers a request whose method is not upper-case"
        f" ({', '.join(lower)}) with",
        f"{comment} 400 before any of this applies, so no CORS header can make it pass: have"
        " the page",
        f"{comment} send the method in capitals (fetch() leaves 'patch' as written).",
    ]


def express(p: Policy) -> str:
    return "\n".join(
        [
            'const cors = require("cors");',
            *_not_upper_caveat(p, "Node's HTTP parser", "//"),
            "",
            "// Before the routes: it also answers the OPTIONS preflights (204).",
            "app.use(cors({",
            f"  origin: {_py(p.origins)},",
            f"  methods: {_py(p.preflight_methods)},",
            f"  allowedHeaders: {_py(p.headers)},",
            f"  credentials: {'true' if p.credentials else 'false'},  // {_credentials_note(p)}",
            f"  exposedHeaders: {_py(p.expose)},",
            f"  maxAge: {MAX_AGE},",
            "}));",
        ]
    )


def django(p: Policy) -> str:
    return "\n".join(
        [
            'INSTALLED_APPS += ["corsheaders"]',
            "# As high as possible, before CommonMiddleware:",
            'MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")',
            f"CORS_ALLOWED_ORIGINS = {_py(p.origins)}",
            f"CORS_ALLOW_METHODS = {_py(p.preflight_methods)}",
            f"CORS_ALLOW_HEADERS = {_py(p.headers)}",
            f"CORS_ALLOW_CREDENTIALS = {p.credentials}  # {_credentials_note(p)}",
            f"CORS_EXPOSE_HEADERS = {_py(p.expose)}",
            f"CORS_PREFLIGHT_MAX_AGE = {MAX_AGE}",
        ]
    )


def spring(p: Policy) -> str:
    return "\n".join(
        [
            "@Bean",
            "CorsConfigurationSource corsConfigurationSource() {",
            "    CorsConfiguration config = new CorsConfiguration();",
            f"    config.setAllowedOrigins({_java(p.origins)});",
            "    // Spring checks the method of actual requests too, not only of preflights.",
            f"    config.setAllowedMethods({_java(p.methods | p.preflight_methods)});",
            f"    config.setAllowedHeaders({_java(p.headers)});",
            f"    config.setExposedHeaders({_java(p.expose)});",
            f"    config.setAllowCredentials({'true' if p.credentials else 'false'});"
            f"  // {_credentials_note(p)}",
            f"    config.setMaxAge({MAX_AGE}L);",
            "    UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();",
            '    source.registerCorsConfiguration("/**", config);',
            "    return source;",
            "}",
            "// With Spring Security, also http.cors(Customizer.withDefaults()): preflights",
            "// carry no credentials and must pass before authentication.",
        ]
    )


def nginx(p: Policy) -> str:
    def add(name: str, value: str) -> str:
        return f"add_header {name} {value} always;"

    common = [add("Access-Control-Allow-Origin", "$cors_origin")]
    if p.credentials:
        common.append(add("Access-Control-Allow-Credentials", '"true"'))
    common.append(add("Vary", "Origin"))
    preflight = [*common]
    if p.preflight_methods:
        preflight.append(
            add("Access-Control-Allow-Methods", f'"{", ".join(sorted(p.preflight_methods))}"')
        )
    if p.headers:
        preflight.append(add("Access-Control-Allow-Headers", f'"{", ".join(sorted(p.headers))}"'))
    preflight.append(add("Access-Control-Max-Age", str(MAX_AGE)))
    actual = [*common]
    if p.expose:
        actual.append(add("Access-Control-Expose-Headers", f'"{", ".join(sorted(p.expose))}"'))
    origins = "\n".join(f'    "{o}" $http_origin;' for o in sorted(p.origins))
    lines = [
        *_not_upper_caveat(p, "nginx", "#"),
        "# In the http { } block: only these page origins get an Allow-Origin.",
        "map $http_origin $cors_origin {",
        '    default "";',
        origins,
        "}",
        "",
        f"# In the server {{ }} block of {p.authority}. `always` sends the headers with error",
        "# statuses too. add_header in a location replaces the server block's add_header lines.",
        "location / {",
        "    # If nginx proxies an app that sends CORS headers itself, hide them (one value only):",
        *(
            f"    proxy_hide_header {name};"
            for name in (
                "Access-Control-Allow-Origin",
                "Access-Control-Allow-Credentials",
                "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers",
                "Access-Control-Expose-Headers",
                "Access-Control-Max-Age",
            )
        ),
        "    if ($request_method = OPTIONS) {  # the preflight, answered here",
        *(f"        {line}" for line in preflight),
        "        return 204;",
        "    }",
        *(f"    {line}" for line in actual),
        "    # ... the location's own directives (proxy_pass, root, ...)",
        "}",
    ]
    return "\n".join(lines)


SNIPPETS = {
    "starlette": starlette,
    "flask-cors": flask_cors,
    "express": express,
    "django": django,
    "spring": spring,
    "nginx": nginx,
}


def snippets(policy: Policy) -> dict[str, str]:
    return {name: make(policy) for name, make in SNIPPETS.items()}


def summary(p: Policy) -> list[str]:
    errors = ", ".join(f"{code} x{n}" for code, n in p.errors.most_common())
    lines = [
        f"Server fix for {p.server}: {p.blocked} of {p.flows} CORS flows blocked ({errors}).",
        "Least privilege, from what the capture shows:",
        f"  page origins:       {', '.join(sorted(p.origins))}",
        f"  preflight methods:  {', '.join(sorted(p.preflight_methods)) or '(no preflights)'}",
        f"  request headers:    {', '.join(sorted(p.headers)) or '(none announced)'}",
        f"  credentials:        {'yes, ' + _credentials_note(p) if p.credentials else 'no'}",
        f"  expose to the page: {', '.join(sorted(p.expose)) or '(nothing)'}",
    ]
    for what, items in (("origins", p.origins), ("paths", p.paths), ("headers", p.headers)):
        if items.overflow:
            lines.append(f"  (more {what} than shown: the capture has too many to list)")
    return lines


def server_fixes(needs: Needs) -> str:
    servers = needs.failing_servers()
    if not servers:
        return "Server fix: nothing was blocked, no change is needed."
    parts = []
    for policy in servers:
        block = summary(policy)
        for name, text in snippets(policy).items():
            block.append("")
            mark = "" if name in VERIFIED else f" {UNVERIFIED_NOTE}"
            block.append(f"--- {FRAMEWORKS[name]} ---{mark}")
            block.append(text)
        parts.append("\n".join(block))
    return "\n\n".join(parts)
