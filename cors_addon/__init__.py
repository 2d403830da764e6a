"""cors_addon: a mitmproxy addon that makes CORS visible and fixable."""

__version__ = "0.1.0"
