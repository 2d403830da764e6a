"""CORS rewrite rules: load and validate a TOML rules file, match flows, compute rewrites."""

from cors_addon.rules.errors import RulesError
from cors_addon.rules.globs import Glob
from cors_addon.rules.globs import HostGlob
from cors_addon.rules.model import FlowFacts
from cors_addon.rules.model import Rewrite
from cors_addon.rules.model import Rule
from cors_addon.rules.parse import load_rules
from cors_addon.rules.parse import parse_rules
from cors_addon.rules.rewrite import answer_preflight
from cors_addon.rules.rewrite import apply_rewrite
from cors_addon.rules.rewrite import covers_origin
from cors_addon.rules.rewrite import made_worse
from cors_addon.rules.rewrite import rewrite_response
from cors_addon.rules.rewrite import worse_than_the_server
from cors_addon.rules.ruleset import RuleSet

__all__ = [
    "FlowFacts",
    "Glob",
    "HostGlob",
    "Rewrite",
    "Rule",
    "RuleSet",
    "RulesError",
    "answer_preflight",
    "apply_rewrite",
    "covers_origin",
    "load_rules",
    "made_worse",
    "parse_rules",
    "rewrite_response",
    "worse_than_the_server",
]
