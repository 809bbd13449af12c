"""The dependency arrows of STYLE.md §2, checked with ast, and a light import path."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "m2m_guard"

#: module (or package) -> the m2m_guard modules it may import.
ALLOWED = {
    "model": {"model"},  # its parts import each other, nothing else
    "pricing": set(),  # the price table and the Pricing a policy sets
    "cost": {"model", "pricing", "usage_cur"},
    # the Cost and Usage Report's M2M line items (--usage-from-cur); reading S3 is the sweep's
    "usage_cur": {"model"},
    "usage_file": {"model", "sources.json_keys"},  # the JSON key-to-line index, to name lines
    "rules": {"model", "cost", "pricing", "rules"},
    "sources": {"model", "sources"},
    "reporters": {"model", "reporters", "cost", "cost_delta", "pricing"},
    # cost deltas (cost --baseline, cost diff): two priced sides compared, pure
    "cost_delta": {"model", "pricing", "cost"},
    # the policy loader reads YAML with the same safe, line-marking parser as the sources
    "policy": {"model", "pricing", "rules", "policy", "sources.document"},
    "engine": {"model", "policy", "rules", "usage_file", "cost", "pricing"},
    # `m2m-guard drift`: matching code with live clients, and its rules, pure (the command reads)
    "drift": {"model", "policy", "rules", "engine", "drift"},
    "inputs": {"model", "sources", "files", "prefilter"},
    # which files found in a walk are worth parsing, from their bytes alone: stdlib only
    "prefilter": set(),
    # reading one file safely and naming it (the size limit is the document layer's)
    "files": {"sources.document"},
    # merge checks a report's shape (merge_shapes), then merges; neither needs the rest
    "merge": {"merge_shapes"},
    "merge_shapes": set(),
    # the live sweep talks to AWS; it hands the cli redacted inventories, nothing else (it
    # shares only the model's definition of a secret key)
    "sweep": {"sweep", "model"},
    # checkov custom checks: the bridge reuses the sources' mapping and runs the engine
    # (and reads files the way scans do)
    "checkov": {
        "model",
        "engine",
        "policy",
        "rules",
        "sources",
        "checkov",
        "reporters.safe",
        "inputs",
        "files",
    },
    # one module per command, run by the cli: everything but the cli and the checkov bridge
    "commands": {
        "__version__",
        "commands",
        "model",
        "policy",
        "rules",
        "engine",
        "drift",
        "inputs",
        "files",
        "sources",
        "reporters",
        "sweep",
        "merge",
        "usage_file",
        "usage_cur",
        # cost --usage-from-cur sets the bill beside the estimate (cost.reconcile)
        "cost",
        "cost_delta",
    },
    # the AWS Config rule's Lambda handler: Config items through the sources' mapping, the
    # policy, the engine, and the sweep's Config query (never the cli or a reporter)
    "config_rule": {"config_rule", "model", "policy", "engine", "sources", "sweep"},
    "cli": {"*"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _part(module: str) -> str:
    return module.split(".")[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("m2m_guard"):
            base = node.module.removeprefix("m2m_guard").lstrip(".")
            if base:
                found.add(base)
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("m2m_guard."):
                    found.add(alias.name.removeprefix("m2m_guard."))
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        out.append((".".join(rel.parts), path))
    return out


@pytest.mark.parametrize(("name", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_dependency_arrows(name: str, path: Path) -> None:
    allowed = ALLOWED[_part(name)]
    if "*" in allowed:
        return
    for target in _imports(path):
        ok = _part(target) in allowed or target in allowed or any(target.startswith(a + ".") for a in allowed)
        assert ok, f"m2m_guard.{name} must not import m2m_guard.{target}"


def test_rules_sources_and_reporters_stay_pure() -> None:
    for folder in ("rules", "reporters"):
        for path in (PACKAGE / folder).glob("*.py"):
            text = path.read_text()
            for banned in ("import yaml", "import boto3", "open(", "read_text(", "print("):
                assert banned not in text, f"{path.name} uses {banned!r}"


def test_cli_import_loads_neither_boto3_nor_checkov() -> None:
    code = (
        "import sys, m2m_guard.cli, m2m_guard.engine, m2m_guard.inputs, m2m_guard.reporters;"
        "print(sorted(m for m in ('boto3','botocore','checkov','jsonschema') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_scans_work_without_the_aws_sdk_and_live_commands_say_how_to_add_it(tmp_path: Path) -> None:
    """boto3 is the optional `aws` extra: a plain install scans IaC; `sweep` and `cost --live`
    stop before doing anything, with the install command."""
    code = (
        "import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None\n"
        "from m2m_guard.cli import main\n"
        "print('scan', main(['scan', sys.argv[1], '--format', 'json', '--output', sys.argv[2]]))\n"
        "print('sweep', main(['sweep', '--regions', 'us-east-1']))\n"
        "print('cost', main(['cost', '--live', '--regions', 'us-east-1']))\n"
    )
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "examples"), str(report)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert out.stdout.split() == ["scan", "1", "sweep", "2", "cost", "2"], out.stderr
    assert json.loads(report.read_text())["findings"]
    hint = "pip install 'm2m-guard[aws] @ git+https://github.com/m2m-guard/m2m-guard@v"
    lines = out.stderr.splitlines()
    assert len(lines) == 2 and all(hint in line and "Traceback" not in line for line in lines)
    assert lines[0].startswith("sweep needs the AWS SDK (boto3), which is not installed: ")
    assert lines[1].startswith("cost --live needs the AWS SDK (boto3), which is not installed: ")
