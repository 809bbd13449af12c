"""Variable definitions files (``.tfvars``, ``.tfvars.json``): values for a root module's variables.

Terraform reads, for the root module only, in this order, a later file overriding an earlier
one (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence):
``terraform.tfvars``, ``terraform.tfvars.json``, then ``*.auto.tfvars`` / ``*.auto.tfvars.json``
in lexical order of their names, then each ``-var-file`` in the order given (m2m-guard's
``--var-file``). Environment variables (``TF_VAR_name``) and ``-var`` are not read: a scan
judges the repository, not the shell it runs in.

A ``.tfvars`` file holds ``name = value`` arguments, HCL native syntax, constant values only
(no references: a value that needs one is unknown). This module does no I/O: it is given texts.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from typing import Any

from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_syntax import parse as parse_hcl
from m2m_guard.sources.terraform_expr import Invalid, Step, evaluate, render
from m2m_guard.sources.tf_blocks import MAX_CHARS

#: (display path, text) of one variable definitions file.
VarFile = tuple[str, str]

AUTO_SUFFIXES = (".auto.tfvars", ".auto.tfvars.json")
DEFAULT_NAMES = ("terraform.tfvars", "terraform.tfvars.json")


def is_auto_loaded(name: str) -> bool:
    """Whether Terraform loads a file of this name from the root module's folder by itself."""
    return name in DEFAULT_NAMES or name.endswith(AUTO_SUFFIXES)


def load_order(names: Sequence[str]) -> list[str]:
    """The automatically loaded file names of a folder, in Terraform's order (later wins)."""
    auto = sorted(n for n in names if n.endswith(AUTO_SUFFIXES) and n not in DEFAULT_NAMES)
    return [n for n in DEFAULT_NAMES if n in names] + auto


class _Constants:
    """tfvars values are constants: any reference is an error."""

    def reference(self, root: str, steps: list[Step], rep: str | None) -> Any:
        return Invalid(f"{render(root, steps)}: variables may not be used in a .tfvars file")


def parse_var_file(path: str, text: str) -> dict[str, Any]:
    """The values a variable definitions file sets; raises SourceError (one line) when it is
    not one (a syntax error, a block, JSON that is not an object)."""
    if len(text) > MAX_CHARS:
        raise SourceError(
            f"variable definitions file larger than {MAX_CHARS // (1024 * 1024)} MiB is not read"
        )
    if posixpath.basename(path).endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SourceError(f"not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SourceError("a .tfvars.json file must hold one JSON object")
        return data
    values: dict[str, Any] = {}
    for item in parse_hcl(text).items:
        if isinstance(item, ast.Block):
            raise SourceError(f"blocks are not allowed in a .tfvars file ({item.type!r})", item.line)
        values[item.name] = evaluate(item.expr, _Constants(), None)
    return values
