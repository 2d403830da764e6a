"""Helpers of scripts/bench (stdlib only, except micro.py and har.py, which run inside the
venv under test)."""
