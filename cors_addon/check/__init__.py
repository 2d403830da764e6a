"""`python -m cors_addon check`: test an API's CORS the way each browser engine will, from a
terminal or CI, live (`check URL --origin O`) or from a recording (`check --from FILE`).

Modules: call (what a page does), engines (each engine's preflight decision and verdict: the
only place that asks the engine with a profile), sends (the requests each engine puts on
the wire, redirects), client (the HTTP client, rate limit, shared exchanges), run (one call
through each engine), recorded (calls from an event log, HAR or flow file; --base),
credentials (--with-credentials-from), output (text, table, JUnit), fixes (--server-fix),
cli (the command).
"""
