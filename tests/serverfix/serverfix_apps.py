"""A small JSON API in each framework, served for real on 127.0.0.1:PORT, with or without
a CORS configuration given as Python text (a snippet of cors_addon.analyze.serverfix, run
exactly as printed).

    python serverfix_apps.py starlette|flask-cors|django PORT [SNIPPET_FILE]

The API, the same in each framework: GET /items, PUT|PATCH|DELETE /items/<id>, GET /me,
every answer JSON with an X-Request-Id header the page wants to read; anything else is the
framework's own answer: 404, or 405 (Flask answers OPTIONS itself, by default, with 200 and
no CORS headers).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
ITEM_METHODS = ["PUT", "PATCH", "DELETE"]


def starlette_app(snippet: str | None) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def answer(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"X-Request-Id": "1"})

    app = Starlette(
        routes=[
            Route("/items", answer, methods=["GET"]),
            Route("/items/{id}", answer, methods=ITEM_METHODS),
            Route("/me", answer, methods=["GET"]),
        ]
    )
    if snippet:
        exec(snippet, {"app": app})
    return app


def flask_app(snippet: str | None) -> Any:
    from flask import Flask
    from flask import jsonify

    app = Flask("api")

    def answer(**_: Any) -> Any:
        resp = jsonify(ok=True)
        resp.headers["X-Request-Id"] = "1"
        return resp

    # Flask's defaults: it answers OPTIONS itself (200, no CORS headers)
    app.add_url_rule("/items", "items", answer, methods=["GET"])
    app.add_url_rule("/items/<id>", "item", answer, methods=ITEM_METHODS)
    app.add_url_rule("/me", "me", answer, methods=["GET"])
    if snippet:
        exec(snippet, {"app": app})
    return app


DJANGO_SETTINGS = """\
SECRET_KEY = "serverfix-test"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "api_urls"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
"""

DJANGO_URLS = """\
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

ITEM_METHODS = ["PUT", "PATCH", "DELETE"]


def answer(request, **kw):
    resp = JsonResponse({"ok": True})
    resp["X-Request-Id"] = "1"
    return resp


urlpatterns = [
    path("items", require_http_methods(["GET"])(answer)),
    path("items/<id>", csrf_exempt(require_http_methods(ITEM_METHODS)(answer))),
    path("me", require_http_methods(["GET"])(answer)),
]
"""


def django_app(snippet: str | None) -> Any:
    """settings.py is the project's plus the snippet's lines appended, as the snippet
    says (it is a settings.py fragment)."""
    import os

    project = Path(tempfile.mkdtemp(prefix="django-api-"))
    (project / "api_settings.py").write_text(DJANGO_SETTINGS + "\n" + (snippet or "") + "\n")
    (project / "api_urls.py").write_text(DJANGO_URLS)
    sys.path.insert(0, str(project))
    os.environ["DJANGO_SETTINGS_MODULE"] = "api_settings"
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def main(argv: list[str]) -> None:
    framework, port = argv[0], int(argv[1])
    snippet = Path(argv[2]).read_text() if len(argv) > 2 else None
    if framework == "starlette":
        import uvicorn

        uvicorn.run(starlette_app(snippet), host=HOST, port=port, log_level="warning")
        return
    app = flask_app(snippet) if framework == "flask-cors" else django_app(snippet)
    from werkzeug.serving import make_server

    make_server(HOST, port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
