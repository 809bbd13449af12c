"""The policy JSON Schema, generated from the rule registry.

Each rule entry dispatches on ``type`` (``if``/``then``) to a schema that merges the common
keys with that rule's own parameters, so a mistake yields "unknown key 'maxx'" rather than an
opaque ``anyOf`` failure. The generated schema is committed as ``m2m_guard/data/policy.schema.json``
for editors; a test keeps it current.
"""

from __future__ import annotations

from typing import Any

from m2m_guard.rules import RULES

SCHEMA_ID = "https://raw.githubusercontent.com/m2m-guard/m2m-guard/main/m2m_guard/data/policy.schema.json"

#: The patterns the loader recognises to word its messages (never shown to the user as such).
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DURATION_PATTERN = "^[0-9]+[smhd]$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: Upper bounds of the pricing figures (README, "Policy reference").
MAX_CLIENT_USD = 1000
MAX_REQUEST_USD = 1
MAX_REQUESTS = 10**15
#: AWS Lambda's memory sizes (MB) and its longest timeout (ms), as AWS documents them:
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html and
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
LAMBDA_MEMORY_MB = (128, 10240)
MAX_LAMBDA_DURATION_MS = 900_000

_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_COMMON = {
    "id": {
        "type": "string",
        "pattern": ID_PATTERN,
        "description": "Stable rule id, shown as the SARIF ruleId.",
    },
    "type": {"type": "string"},
    "severity": {"enum": ["error", "warning", "note"], "description": "Default: error."},
    "description": {"type": "string"},
    "match": {"$ref": "#/$defs/selector"},
}


def _rule_schema(type_name: str) -> dict[str, Any]:
    params = RULES[type_name].params
    return {
        "type": "object",
        "description": RULES[type_name].summary,
        "additionalProperties": False,
        "required": ["id", "type", *params.get("required", [])],
        "properties": {**_COMMON, "type": {"const": type_name}, **params.get("properties", {})},
    }


def build_schema() -> dict[str, Any]:
    types = sorted(RULES)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "m2m-guard policy",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "rules"],
        "properties": {
            "version": {"const": 1},
            "pricing": {"$ref": "#/$defs/pricing"},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            "waivers": {"type": "array", "items": {"$ref": "#/$defs/waiver"}},
        },
        "$defs": {
            "duration": {
                "type": "string",
                "pattern": DURATION_PATTERN,
                "description": "A duration: 300s, 15m, 1h, 1d.",
            },
            "selector": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"clients": _GLOBS, "pools": _GLOBS},
            },
            "pricing": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    # bounds far above any list price (USD 6.00 and 0.00225): they catch
                    # absurd figures, not typos
                    "app_client_month_usd": {"type": "number", "minimum": 0, "maximum": MAX_CLIENT_USD},
                    "token_request_usd": {"type": "number", "minimum": 0, "maximum": MAX_REQUEST_USD},
                    "token_request_tiers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["usd"],
                            "properties": {
                                "up_to": {"type": "integer", "minimum": 1, "maximum": MAX_REQUESTS},
                                "usd": {"type": "number", "minimum": 0, "maximum": MAX_REQUEST_USD},
                            },
                        },
                    },
                    # the Lambda invocation a customizing pool adds to each token request
                    "lambda_request_usd": {"type": "number", "minimum": 0, "maximum": MAX_REQUEST_USD},
                    "lambda_gb_second_usd": {"type": "number", "minimum": 0, "maximum": MAX_REQUEST_USD},
                    "lambda_memory_mb": {
                        "type": "integer",
                        "minimum": LAMBDA_MEMORY_MB[0],
                        "maximum": LAMBDA_MEMORY_MB[1],
                    },
                    "lambda_duration_ms": {"type": "number", "minimum": 0, "maximum": MAX_LAMBDA_DURATION_MS},
                },
            },
            "waiver": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rule", "reason", "expires"],
                "properties": {
                    "rule": {"type": "string", "minLength": 1},
                    "clients": _GLOBS,
                    "pools": _GLOBS,
                    "reason": {"type": "string", "minLength": 1},
                    "expires": {
                        "type": "string",
                        "pattern": DATE_PATTERN,
                        "description": "YYYY-MM-DD; the waiver holds through that day (UTC).",
                    },
                },
            },
            "rule": {
                "type": "object",
                "required": ["id", "type"],
                # the common keys are checked even when the type is unknown or missing
                "properties": {**_COMMON, "type": {"enum": types}},
                "allOf": [
                    {
                        "if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                        "then": {"$ref": f"#/$defs/rule_{t}"},
                    }
                    for t in types
                ],
            },
            **{f"rule_{t}": _rule_schema(t) for t in types},
        },
    }
