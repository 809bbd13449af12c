"""The GitHub Action (``action.yml``) and every CI snippet in README.md, checked offline.

- Each GitHub workflow in the README (a ```yaml block with ``jobs:``) and the action pass
  actionlint (with shellcheck on their ``run:`` scripts) and the GitHub workflow / action JSON
  schemas; the GitLab snippet passes the GitLab CI schema. Workflows that use the action are
  linted against this checkout's ``action.yml``, so a renamed input breaks them.
- The workflows keep what m2m-guard promises for CI: reports are uploaded when the scan exits 1
  or 2, the permissions upload-sarif and OIDC need, sweep shards that do not cancel each other.
- Every ``m2m-guard`` command line in the README's code blocks parses with m2m-guard's own
  argument parser, so a renamed flag breaks a test.
- The action's scan and gate scripts run here as the runner would run them (inputs through
  ``env:`` only), on the bundled examples.

actionlint, shellcheck and check-jsonschema come with the test extra. Without them the tests
that need them are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from m2m_guard import __version__
from m2m_guard.cli import build_parser
from tests.reporters.support import github_problems, schema_errors

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ACTION = ROOT / "action.yml"
EXAMPLES = ROOT / "examples"
ACTION_REF = "m2m-guard/m2m-guard"

#: The current major version of each action the README and the action use; older ones are
#: deprecated or on their way out (codeql-action v3 in December 2026).
CURRENT_MAJOR = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/upload-artifact": 7,
    "actions/download-artifact": 8,
    "aws-actions/configure-aws-credentials": 6,
    "github/codeql-action/upload-sarif": 4,
}


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int  # of the opening fence in README.md

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


def code_blocks(text: str) -> list[Block]:
    blocks = []
    for match in re.finditer(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", text, re.M | re.S):
        blocks.append(Block(match[1], match[2], text.count("\n", 0, match.start()) + 1))
    return blocks


def _load(block: Block) -> Any:
    return yaml.safe_load(block.body)


def _is_workflow(block: Block) -> bool:
    if block.lang not in ("yaml", "yml"):
        return False
    doc = _load(block)
    return isinstance(doc, dict) and "jobs" in doc


def _is_gitlab(block: Block) -> bool:
    if block.lang not in ("yaml", "yml") or _is_workflow(block):
        return False
    doc = _load(block)
    return isinstance(doc, dict) and any(isinstance(v, dict) and "script" in v for v in doc.values())


BLOCKS = code_blocks(README.read_text(encoding="utf-8"))
WORKFLOWS = [block for block in BLOCKS if _is_workflow(block)]
GITLAB = [block for block in BLOCKS if _is_gitlab(block)]


def _missing(name: str) -> NoReturn:
    message = f"{name} is not installed (pip install -e '.[test]')"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run these checks")
    pytest.skip(message)


def _tool(name: str) -> str:
    """A command-line tool beside this Python (the test virtualenv) or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    return found or _missing(name)


def _module(name: str) -> None:
    try:
        __import__(name)
    except ImportError:
        _missing(name)


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------------------------
# What the README holds


def test_readme_has_the_ci_snippets() -> None:
    # The workflow using the action, the one with plain steps, the scheduled sweep; and GitLab.
    assert len(WORKFLOWS) >= 3, [block.name for block in WORKFLOWS]
    assert any(f"uses: {ACTION_REF}@" in block.body for block in WORKFLOWS)
    assert any("m2m-guard sweep" in block.body for block in WORKFLOWS)
    assert len(GITLAB) == 1, [block.name for block in GITLAB]


def _uses(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "uses" and isinstance(value, str):
                yield value
            else:
                yield from _uses(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _uses(item)


@pytest.mark.parametrize("source", [*WORKFLOWS, ACTION], ids=lambda s: getattr(s, "name", "action.yml"))
def test_actions_are_current_and_pinned(source: Block | Path) -> None:
    doc = yaml.safe_load(source.read_text() if isinstance(source, Path) else source.body)
    for uses in _uses(doc):
        if uses.startswith("./"):
            continue
        action, _, ref = uses.partition("@")
        if action == ACTION_REF:
            assert ref == f"v{__version__}", uses  # the release this README documents
            continue
        assert action in CURRENT_MAJOR, f"{uses}: add its current major version to CURRENT_MAJOR"
        assert re.fullmatch(r"v\d+", ref), f"{uses}: pin a major version tag"
        assert int(ref[1:]) >= CURRENT_MAJOR[action], f"{uses}: the current major is v{CURRENT_MAJOR[action]}"


#: `pip install` of m2m-guard by name (not a path such as `.` or `./m2m-guard`): the requirement,
#: with its extras, and what follows it.
_INSTALL = re.compile(r"""pip3? install (?:-\S+ )*(['"]?)(m2m-guard(?:\[[\w,]+\])?)\1?([^\n`'"]*)""")


def test_readme_installs_from_the_git_repository_at_this_version() -> None:
    # m2m-guard is not on a package index: every install by name, in code blocks and in the
    # text, names the git repository at this version's release tag.
    installs = _INSTALL.findall(README.read_text(encoding="utf-8"))
    assert len(installs) >= 6, installs
    source = f" @ git+https://github.com/m2m-guard/m2m-guard@v{__version__}"
    for _, requirement, rest in installs:
        assert rest == source, f"pip install {requirement}{rest}: install from{source}"
    assert {requirement for _, requirement, _ in installs} >= {"m2m-guard", "m2m-guard[aws]"}


def test_install_pattern() -> None:
    text = (
        "pip install m2m-guard\n`pip install 'm2m-guard[hcl]'`\npip install -q \"m2m-guard[aws] @ x\" && y\n"
        "pip install . && m2m-guard scan\npip install ./m2m-guard\npip install 'm2m-guard @ git+u@v1'\n"
    )
    assert _INSTALL.findall(text) == [
        ("", "m2m-guard", ""),
        ("'", "m2m-guard[hcl]", ""),
        ('"', "m2m-guard[aws]", " @ x"),
        ("'", "m2m-guard", " @ git+u@v1"),
    ]


# --------------------------------------------------------------------------------------------
# The workflows keep what m2m-guard promises for CI


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def _runs_scan_that_can_fail(step: dict[str, Any]) -> bool:
    run = str(step.get("run", ""))
    if re.search(r"m2m-guard (scan|sweep)\b", run) and "--fail-on never" not in run:
        return True
    return str(step.get("uses", "")).startswith(f"{ACTION_REF}@")


def _survives_failure(condition: Any) -> bool:
    return isinstance(condition, str) and ("always()" in condition or "!cancelled()" in condition)


@pytest.mark.parametrize("block", WORKFLOWS, ids=lambda b: b.name)
def test_workflow_uploads_reports_even_when_the_scan_fails(block: Block) -> None:
    doc = _load(block)
    jobs: dict[str, Any] = doc["jobs"]
    uploads = 0
    for name, job in jobs.items():
        can_fail = False
        for step in _steps(job):
            uses = str(step.get("uses", ""))
            if uses.startswith(("github/codeql-action/upload-sarif@", "actions/upload-artifact@")):
                uploads += 1
                if can_fail:
                    assert _survives_failure(step.get("if")), f"{block.name} {name}: {uses} after a scan"
            can_fail = can_fail or _runs_scan_that_can_fail(step)
        strategy = job.get("strategy") or {}
        if "matrix" in strategy:
            assert strategy.get("fail-fast") is False, f"{block.name} {name}: one shard cancels all"
        for needed in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            if "matrix" in (jobs[needed].get("strategy") or {}):
                assert _survives_failure(job.get("if")), f"{block.name} {name}: must run when a shard failed"
    uses_action = f"uses: {ACTION_REF}@" in block.body
    assert uploads or uses_action, f"{block.name}: nothing uploads the SARIF"


@pytest.mark.parametrize("block", WORKFLOWS, ids=lambda b: b.name)
def test_workflow_permissions(block: Block) -> None:
    doc = _load(block)
    for name, job in doc["jobs"].items():
        permissions = job.get("permissions", doc.get("permissions"))
        assert isinstance(permissions, dict), f"{block.name} {name}: set permissions explicitly"
        uses = " ".join(_uses(job))
        if "upload-sarif" in uses or f"{ACTION_REF}@" in uses:
            assert permissions.get("security-events") == "write", f"{block.name} {name}"
            assert permissions.get("actions") in ("read", "write"), f"{block.name} {name}"
            assert permissions.get("contents") in ("read", "write"), f"{block.name} {name}"
        if "configure-aws-credentials" in uses:
            assert permissions.get("id-token") == "write", f"{block.name} {name}: OIDC needs id-token: write"


def test_gitlab_keeps_the_report_when_the_job_fails() -> None:
    (block,) = GITLAB
    for name, job in _load(block).items():
        artifacts = job.get("artifacts") or {}
        assert artifacts.get("when") == "always", f"{block.name} {name}"


# --------------------------------------------------------------------------------------------
# actionlint and the JSON schemas


def _action_as_workflow() -> dict[str, Any]:
    """The action's steps as a reusable workflow, so that actionlint checks its expressions,
    the inputs of the actions it uses, and (with shellcheck) its scripts."""
    action = yaml.safe_load(ACTION.read_text())
    inputs = {
        name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
        for name, spec in action["inputs"].items()
    }
    return {
        "name": "action.yml",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {"contents": "read", "actions": "read", "security-events": "write"},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }


def _lint_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository holding action.yml and each README workflow; those that use the action use
    this checkout's (``uses: ./``), so their ``with:`` is checked against its inputs."""
    repo = tmp_path / "repo"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    shutil.copy2(ACTION, repo / "action.yml")
    names = {}
    for block in WORKFLOWS:
        name = f"readme-{block.line}.yml"
        body = re.sub(rf"uses: {re.escape(ACTION_REF)}@\S+", "uses: ./", block.body)
        (workflows / name).write_text(body)
        names[name] = block.name
    (workflows / "action.yml").write_text(yaml.safe_dump(_action_as_workflow(), sort_keys=False))
    names["action.yml"] = "action.yml"
    return repo, names


def test_actionlint(tmp_path: Path) -> None:
    actionlint = _tool("actionlint")
    shellcheck = _tool("shellcheck")  # without it, actionlint skips the run: scripts silently
    repo, names = _lint_repo(tmp_path)
    done = _run([actionlint, "-no-color", "-shellcheck", shellcheck], repo)
    report = done.stdout + done.stderr
    for name, where in names.items():
        report = report.replace(f".github/workflows/{name}", where)
    assert done.returncode == 0, report


def test_actionlint_catches_a_wrong_input(tmp_path: Path) -> None:
    # The check above is only worth something if actionlint reads our action.yml.
    actionlint = _tool("actionlint")
    repo, _ = _lint_repo(tmp_path)
    workflow = repo / ".github" / "workflows" / "typo.yml"
    workflow.write_text(
        "on: [push]\npermissions: {contents: read}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: ./\n        with: {failon: error}\n"
    )
    done = _run([actionlint, "-no-color", str(workflow.relative_to(repo))], repo)
    assert done.returncode == 1 and '"failon" is not defined' in done.stdout, done.stdout + done.stderr


def _schema_check(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with one of the schemastore schemas it ships (no network)."""
    _module("check_jsonschema")
    return _run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)], ROOT
    )


def _check_schema(schema: str, files: list[Path]) -> None:
    done = _schema_check(schema, files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_github_workflow_schema(tmp_path: Path) -> None:
    files = []
    for block in WORKFLOWS:
        files.append(tmp_path / f"readme-{block.line}.yml")
        files[-1].write_text(block.body)
    _check_schema("vendor.github-workflows", files)


def test_action_matches_the_github_action_schema() -> None:
    _check_schema("vendor.github-actions", [ACTION])


def test_gitlab_snippet_matches_the_gitlab_ci_schema(tmp_path: Path) -> None:
    (block,) = GITLAB
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(block.body)
    _check_schema("vendor.gitlab-ci", [path])


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("on: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    done = _schema_check("vendor.github-workflows", [path])
    assert done.returncode == 1 and "stepz" in done.stdout, done.stdout + done.stderr


# --------------------------------------------------------------------------------------------
# Every m2m-guard command line in the README parses


def _scripts(block: Block) -> Iterator[str]:
    """The shell text of a code block: sh as is, prompts of text blocks, run: and script:."""
    if block.lang in ("sh", "bash", "console"):
        yield block.body
    elif block.lang == "text":
        yield from (line[2:] for line in block.body.splitlines() if line.startswith("$ "))
    elif block.lang in ("yaml", "yml") and (_is_workflow(block) or _is_gitlab(block)):
        doc = _load(block)
        if _is_workflow(block):
            for job in doc["jobs"].values():
                yield from (str(step["run"]) for step in _steps(job) if "run" in step)
        else:
            for job in doc.values():
                for key in ("before_script", "script", "after_script"):
                    yield from (str(line) for line in job.get(key) or [])


def _commands(script: str) -> Iterator[list[str]]:
    """m2m-guard's arguments in each command of a shell script (also inside ``$(...)`` and
    ``sh -c '...'``)."""
    script = re.sub(r"\$\{\{.*?\}\}", "X", script)  # GitHub expressions
    script = script.replace("\\\n", " ")
    script = re.sub(r"(?m)(^|\s)#.*$", "", script)  # comments
    for line in script.splitlines():
        yield from _line_commands(line)


def _line_commands(line: str) -> Iterator[list[str]]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    command: list[str] = []
    tokens = list(lexer)
    i = 0
    while i <= len(tokens):
        token = tokens[i] if i < len(tokens) else ";"
        if token in (">", ">>", "<", ">&", "<&", ">|"):
            if command and command[-1].isdigit():
                command.pop()  # 2>>file
            i += 2
            continue
        if token and all(c in "();&|\n" for c in token):
            yield from _m2m_guard_args(command)
            command = []
        else:
            command.append(token)
        i += 1


def _m2m_guard_args(command: list[str]) -> Iterator[list[str]]:
    for j, word in enumerate(command):
        if "$(" in word:
            yield from _commands(word)
        elif j and command[j - 1] == "-c" and "m2m-guard" in word:
            yield from _commands(word)  # sh -c '...'
    words = list(command)
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words.pop(0)  # VAR=value command
    if words and words[0].rsplit("/", 1)[-1] == "m2m-guard":
        yield words[1:]
    elif words[:3] in (["python", "-m", "m2m_guard"], ["python3", "-m", "m2m_guard"]):
        yield words[3:]


def _readme_commands() -> list[tuple[str, list[str]]]:
    """(where, arguments) of every m2m-guard command in the README's code blocks."""
    found: list[tuple[str, list[str]]] = []
    for block in BLOCKS:
        for script in _scripts(block):
            found.extend((block.name, args) for args in _commands(script))
    return found


def _command_id(value: object) -> str:
    return shlex.join(value) if isinstance(value, list) else str(value)


def test_command_extraction() -> None:
    script = (
        '17 5 * * 1-5  cd /x && /opt/m2m-guard/bin/m2m-guard sweep --output "s-$(date +\\%F).json" 2>>log\n'
        "pip install 'm2m-guard @ git+https://example.test/m2m-guard@v1'  # install\n"
        "docker run img sh -c 'pip install \"m2m-guard[aws] @ x\" && m2m-guard sweep --shard X/4'\n"
        'BC=1 checkov -d . --external-checks-dir "$(m2m-guard checkov-dir)" \\\n  --check C\n'
        'm2m-guard cost . --format markdown >> "$GITHUB_STEP_SUMMARY" | cat; m2m-guard rules\n'
    )
    assert list(_commands(script)) == [
        ["sweep", "--output", "s-$(date +\\%F).json"],
        ["sweep", "--shard", "X/4"],
        ["checkov-dir"],
        ["cost", ".", "--format", "markdown"],
        ["rules"],
    ]


def test_readme_has_command_lines() -> None:
    commands = _readme_commands()
    assert len(commands) >= 15, commands
    found = {" ".join(args) for _, args in commands}
    # The CI snippets' commands are among them.
    assert "scan . --sarif m2m-guard.sarif" in found, found
    assert "merge live-*.sarif --output live.sarif" in found, found
    assert any(line.startswith("sweep --organization") for line in found), found


@pytest.mark.parametrize(("where", "args"), _readme_commands(), ids=_command_id)
def test_readme_command_line_parses(where: str, args: list[str]) -> None:
    parser = build_parser()
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            parser.parse_args(args)
    except SystemExit as exc:
        ok = exc.code == 0 and bool({"--version", "--help", "-h"} & set(args))
        assert ok, f"{where}: m2m-guard {shlex.join(args)}\n{err.getvalue()}"


def test_a_renamed_flag_fails_to_parse() -> None:
    with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
        build_parser().parse_args(["scan", ".", "--fail-on-level", "never"])


# --------------------------------------------------------------------------------------------
# The action


ACTION_DOC: dict[str, Any] = yaml.safe_load(ACTION.read_text())
STEPS: dict[str, dict[str, Any]] = {
    step.get("id", step.get("name")): step for step in ACTION_DOC["runs"]["steps"]
}


def test_action_shape() -> None:
    assert ACTION_DOC["runs"]["using"] == "composite"
    inputs = ACTION_DOC["inputs"]
    assert {"paths", "policy", "usage", "format", "fail-on", "upload-sarif", "category"} <= set(inputs)
    assert inputs["paths"]["default"] == "." and inputs["fail-on"]["default"] == "error"
    assert inputs["upload-sarif"]["default"] == "true"
    assert set(ACTION_DOC["outputs"]) == {"sarif-file", "exit-code"}
    order = [step.get("uses", step.get("id")) for step in ACTION_DOC["runs"]["steps"]]
    upload = next(i for i, step in enumerate(order) if step.startswith("github/codeql-action/upload-sarif@"))
    assert order.index("scan") < upload < len(order) - 1, order  # scan, upload, then pass or fail
    condition = ACTION_DOC["runs"]["steps"][upload]["if"]
    assert "!cancelled()" in condition and "steps.scan.outputs.sarif-file" in condition, condition


def test_action_scripts_take_inputs_only_through_env() -> None:
    # `${{ inputs.x }}` inside run: is pasted into the script before the shell sees it, so a
    # crafted value would run as code. Inputs go through env:, and run: has no expressions.
    for step in ACTION_DOC["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step.get("id")
            assert step.get("shell") == "bash", step.get("id")


def test_readme_uses_only_inputs_the_action_has() -> None:
    used = 0
    for block in WORKFLOWS:
        for job in _load(block)["jobs"].values():
            for step in _steps(job):
                if str(step.get("uses", "")).startswith(f"{ACTION_REF}@"):
                    used += 1
                    assert set(step.get("with") or {}) <= set(ACTION_DOC["inputs"]), block.name
    assert used


def test_readme_documents_every_input() -> None:
    section = README.read_text(encoding="utf-8").split("## CI examples", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", section, re.M))
    assert documented == set(ACTION_DOC["inputs"]), documented


def _step_env(step: dict[str, Any], inputs: dict[str, str], outputs: dict[str, str]) -> dict[str, str]:
    """The step's env: as the runner evaluates it, for plain ``${{ inputs.x }}`` and
    ``${{ steps.id.outputs.x }}`` values."""
    values = {}
    for name, value in step.get("env", {}).items():
        match = re.fullmatch(r"\$\{\{\s*(inputs|steps\.[\w-]+\.outputs)\.([\w-]+)\s*\}\}", str(value))
        assert match, f"{name}: {value}"
        if match[1] == "inputs":
            spec = ACTION_DOC["inputs"][match[2]]  # KeyError: an input that does not exist
            values[name] = inputs.get(match[2], str(spec.get("default", "")))
        else:
            values[name] = outputs.get(f"{match[1]}.{match[2]}", "")
    return values


@dataclass
class StepRun:
    returncode: int
    log: str
    outputs: dict[str, str]


def _run_step(
    step_id: str, tmp_path: Path, cwd: Path, inputs: dict[str, str], outputs: dict[str, str]
) -> StepRun:
    step = STEPS[step_id]
    github_output = tmp_path / f"{step_id}.output"
    github_output.write_text("")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("M2M_GUARD", "GITHUB_"))}
    env.update(_step_env(step, inputs, outputs), NO_COLOR="1")
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_OUTPUT=str(github_output))
    script = tmp_path / f"{step_id}.sh"
    script.write_text(step["run"])
    # The runner's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
    done = _run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd, env)
    written = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    return StepRun(done.returncode, done.stdout + done.stderr, written)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the bundled examples (CloudFormation, plan, describe output, usage, policy)."""
    path = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, path)
    return path


def _scan(tmp_path: Path, workspace: Path, **inputs: str) -> StepRun:
    outputs = {"steps.install.outputs.python": sys.executable}
    return _run_step("scan", tmp_path, workspace, inputs, outputs)


def _gate(tmp_path: Path, exit_code: str, **inputs: str) -> StepRun:
    return _run_step("gate", tmp_path, tmp_path, inputs, {"steps.scan.outputs.exit-code": exit_code})


def _sarif(path: str) -> dict[str, Any]:
    """The SARIF file the action uploads: valid, and as GitHub code scanning wants it."""
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    assert not schema_errors(document) and not github_problems(document)
    return document


def test_action_scan_writes_sarif_and_the_log_once(tmp_path: Path, workspace: Path) -> None:
    run = _scan(tmp_path, workspace, usage="usage.json")
    assert run.returncode == 0, run.log  # the step succeeds, so the upload runs
    assert run.outputs["exit-code"] == "1", run.log  # the examples break the policy on purpose
    sarif = _sarif(run.outputs["sarif-file"])
    (sarif_run,) = sarif["runs"]
    assert sarif_run["automationDetails"] == {"id": "m2m-guard/iac/"}
    results = [r for r in sarif_run["results"] if not r.get("suppressions")]
    assert results
    # The text report is in the log: each result's rule and file.
    for result in results:
        assert result["ruleId"] in run.log, result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] in run.log
    assert run.log.count(results[0]["message"]["text"]) == 1, run.log  # one scan, not two

    gate = _gate(tmp_path, run.outputs["exit-code"])
    assert gate.returncode == 1 and "::error" in gate.log, gate.log


def test_action_scan_json_log_category_and_fail_on_never(tmp_path: Path, workspace: Path) -> None:
    run = _scan(tmp_path, workspace, format="json", category="m2m-guard/orders", **{"fail-on": "never"})
    assert run.outputs["exit-code"] == "0", run.log
    log = json.loads(run.log[: run.log.rindex("}") + 1])
    sarif = _sarif(run.outputs["sarif-file"])
    (sarif_run,) = sarif["runs"]
    assert sarif_run["automationDetails"] == {"id": "m2m-guard/orders/"}  # a category of its own
    assert len(log["findings"]) == len(sarif_run["results"]) > 0
    gate = _gate(tmp_path, run.outputs["exit-code"], **{"fail-on": "never"})
    assert gate.returncode == 0, gate.log


def test_action_scan_with_policy_and_paths(tmp_path: Path, workspace: Path) -> None:
    policy = workspace / "ttl.yaml"
    policy.write_text("version: 1\nrules:\n  - {id: ONLY-TTL, type: max_access_token_ttl, max: 1d}\n")
    run = _scan(tmp_path, workspace, policy="ttl.yaml", paths="cloudformation\n terraform ", format="sarif")
    assert run.outputs["exit-code"] in ("0", "1"), run.log
    sarif = _sarif(run.outputs["sarif-file"])
    assert {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]} == {"ONLY-TTL"}
    assert json.loads(run.log[: run.log.rindex("}") + 1]) == sarif  # format sarif: the same in the log


def test_action_inputs_are_never_run_as_code(tmp_path: Path, workspace: Path) -> None:
    hostile = '$(touch pwned-1) `touch pwned-2` "; touch pwned-3" cloudformation'
    run = _scan(tmp_path, workspace, paths=hostile, policy="$(touch pwned-4)", usage="';touch pwned-5'")
    assert not list(workspace.glob("pwned*")) and not list(tmp_path.glob("pwned*")), run.log
    assert run.outputs["exit-code"] == "2", run.log  # no such policy file


def test_action_exit_code_2_uploads_what_was_read_and_fails(tmp_path: Path, workspace: Path) -> None:
    (workspace / "broken.yaml").write_text("Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n  [\n")
    run = _scan(tmp_path, workspace, **{"fail-on": "never"})
    assert run.outputs["exit-code"] == "2", run.log
    sarif = _sarif(run.outputs["sarif-file"])  # the other files' results are still uploaded
    assert sarif["runs"][0]["results"]
    gate = _gate(tmp_path, "2", **{"fail-on": "never"})
    assert gate.returncode == 1, gate.log


def test_action_invalid_policy_or_format_writes_no_sarif_and_fails(tmp_path: Path, workspace: Path) -> None:
    (workspace / "bad.yaml").write_text(
        "version: 1\nrules:\n  - {id: X, type: max_access_token_ttl, max: 2}\n"
    )
    for inputs in ({"policy": "bad.yaml"}, {"format": "xml"}):
        run = _scan(tmp_path, workspace, **inputs)
        assert run.returncode == 0, run.log
        assert run.outputs["exit-code"] == "2", (inputs, run.log)
        assert "sarif-file" not in run.outputs, inputs  # so the upload step is skipped
