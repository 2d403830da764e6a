"""Load the addon into any mitmproxy tool: `mitmdump -s <path to this file>`.

The cors_addon package must be installed in the interpreter that runs mitmproxy.
"""

from cors_addon.addon import CorsAddon
from cors_addon.startup import Startup

addons = [CorsAddon(), Startup()]
