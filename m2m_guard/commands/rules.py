"""``m2m-guard rules``: the rule types a policy can use, why each matters, and where it is
documented (the same text and link a SARIF report gives each rule)."""

from __future__ import annotations

import textwrap

from m2m_guard.commands import EXIT_OK
from m2m_guard.rules import RULES

NAME_WIDTH = 28
LINE_WIDTH = 100


def listing() -> list[str]:
    """One entry per rule type, in name order: name, summary, scope and parameters; then why
    it matters and its help link, indented under the name; a blank line between entries."""
    indent = " " * (NAME_WIDTH + 1)
    lines: list[str] = []
    for name in sorted(RULES):
        spec = RULES[name]
        if lines:
            lines.append("")
        params = ", ".join(spec.params.get("properties", {})) or "no parameters"
        lines.append(f"{name:<{NAME_WIDTH}} {spec.summary} [{spec.scope}; {params}]")
        lines += textwrap.wrap(
            f"Why: {spec.why}", LINE_WIDTH, initial_indent=indent, subsequent_indent=indent
        )
        lines.append(f"{indent}Help: {spec.help_uri}")
    return lines


def run() -> int:
    print("\n".join(listing()))
    return EXIT_OK
