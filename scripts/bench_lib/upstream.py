"""The fast loopback upstream: Debian's nginx (nginx-light), one worker, no logs.

It answers like a CORS-enabled API: OPTIONS with 204 and the preflight headers (the
requested method and headers reflected, Max-Age 600), everything else with a small JSON
body; Access-Control-Allow-Origin reflects the request's Origin (none without one).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .procs import Proc
from .procs import free_port
from .procs import wait_port

NGINX = "/usr/sbin/nginx"

CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log crit;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    default_type application/json;
    map $request_method $preflight_methods {{
        OPTIONS "GET, POST, PUT, PATCH, DELETE"; default "";
    }}
    map $request_method $preflight_max_age {{ OPTIONS "600"; default ""; }}
    map $request_method $preflight_headers {{
        OPTIONS $http_access_control_request_headers; default "";
    }}
    map $http_origin $cors_credentials {{ "" ""; default "true"; }}
    map "$request_method:$http_origin" $cors_expose {{
        ~^OPTIONS: ""; ~:$ ""; default "x-request-id";
    }}
    server {{
        listen 127.0.0.1:{port};
        add_header Access-Control-Allow-Origin $http_origin always;
        add_header Access-Control-Allow-Credentials $cors_credentials always;
        add_header Access-Control-Allow-Methods $preflight_methods always;
        add_header Access-Control-Allow-Headers $preflight_headers always;
        add_header Access-Control-Max-Age $preflight_max_age always;
        add_header Access-Control-Expose-Headers $cors_expose always;
        add_header Vary Origin always;
        add_header X-Request-Id $request_id always;
        location / {{
            if ($request_method = OPTIONS) {{ return 204; }}
            return 200
                '{{"ok":true,"items":[{{"id":1,"name":"widget"}},{{"id":2,"name":"gadget"}}]}}';
        }}
    }}
}}
"""


def available() -> str | None:
    """None when nginx can run here, else why not."""
    if not Path(NGINX).is_file() and not shutil.which("nginx"):
        return f"nginx is missing ({NGINX}; Debian package nginx-light)"
    return None


def nginx_binary() -> str:
    return NGINX if Path(NGINX).is_file() else shutil.which("nginx") or NGINX


def version() -> str:
    out = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True, check=False)
    return (out.stderr or out.stdout).strip().split(":", 1)[-1].strip()


def start(workdir: Path) -> tuple[Proc, int]:
    ngdir = workdir / "nginx"
    ngdir.mkdir()
    port = free_port()
    conf = ngdir / "nginx.conf"
    conf.write_text(CONF.format(dir=ngdir, port=port))
    proc = Proc(
        "nginx",
        [nginx_binary(), "-c", str(conf), "-p", str(ngdir), "-e", str(ngdir / "error.log")],
        cwd=workdir,
        log=ngdir / "stdout.log",
    )
    wait_port(port, proc.popen, 10, "nginx")
    return proc, port
