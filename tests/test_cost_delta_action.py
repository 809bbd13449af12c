"""The action's cost comment (``cost-comment: true``): its shape in action.yml, and its script run
here as the runner runs it, on a pull request made in a git repository, against a stand-in for
``gh`` that records each REST call and answers the comment listing through the real ``jq`` with
the action's own filter (gh's ``--jq`` prints strings raw, as ``jq -r`` does).

Like tests/test_workflows.py: inputs reach the script through ``env:`` only, and each test
builds that env from the step's own ``env:`` mapping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_cost_delta_git import FAST, TEMPLATE, git
from tests.test_workflows import README, WORKFLOWS

ROOT = Path(__file__).resolve().parents[1]
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {step.get("id", step.get("name")): step for step in ACTION["runs"]["steps"]}
MARKER = "<!-- m2m-guard cost comment m2m-guard/iac/ -->"

FAKE_GH = """\
import json, os, subprocess, sys
args = sys.argv[1:]
record = {"args": args}
if "--input" in args:
    with open(args[args.index("--input") + 1], encoding="utf-8") as handle:
        record["input"] = json.load(handle)
with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as handle:
    handle.write(json.dumps(record) + "\\n")
if args[:2] == ["api", "user"]:
    sys.exit(1)  # the workflow's GITHUB_TOKEN cannot read /user
if "--paginate" in args:
    with open(os.environ["FAKE_GH_COMMENTS"], encoding="utf-8") as handle:
        comments = handle.read()
    jq = args[args.index("--jq") + 1]
    sys.exit(subprocess.run(["jq", "-r", jq], input=comments, text=True).returncode)
if os.environ.get("FAKE_GH_FAIL"):
    print("gh: Resource not accessible by integration (HTTP 403)", file=sys.stderr)
    sys.exit(1)
print("{}")
"""


def test_action_has_the_cost_comment_inputs_and_step() -> None:
    inputs = ACTION["inputs"]
    assert inputs["cost-comment"]["default"] == "false"
    assert inputs["cost-baseline"]["default"] == ""
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert "pull-requests write" in inputs["cost-comment"]["description"]
    order = [step.get("id", step.get("uses")) for step in ACTION["runs"]["steps"]]
    upload = next(i for i, s in enumerate(order) if s.startswith("github/codeql-action/upload-sarif@"))
    assert upload < order.index("cost") < order.index("gate") == len(order) - 1, order
    step = STEPS["cost"]
    assert "!cancelled()" in step["if"] and "inputs.cost-comment == 'true'" in step["if"]
    assert step["env"]["GH_TOKEN"] == "${{ inputs.github-token }}"
    assert "${{" not in step["run"] and step["shell"] == "bash"
    assert STEPS["gate"]["env"]["M2M_GUARD_COST_EXIT_CODE"] == "${{ steps.cost.outputs.exit-code }}"


def test_readme_workflow_with_the_cost_comment_may_write_pull_requests() -> None:
    users = [
        block
        for block in WORKFLOWS
        if any(
            str(step.get("with", {}).get("cost-comment")).lower() == "true"
            for job in yaml.safe_load(block.body)["jobs"].values()
            for step in job.get("steps", [])
        )
    ]
    assert users, "README: a workflow that posts the cost comment"
    for block in users:
        doc = yaml.safe_load(block.body)
        for job in doc["jobs"].values():
            permissions = job.get("permissions", doc.get("permissions"))
            assert permissions.get("pull-requests") == "write", block.name
    assert "pull-requests: write" in README.read_text(encoding="utf-8")


# -- the script, run ------------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    log: str
    outputs: dict[str, str]
    calls: list[dict[str, Any]]
    summary: str


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A checkout of a pull request that adds a client with 5-minute tokens to infra/auth.yaml."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    repo = tmp_path / "checkout"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "auth.yaml").write_text(TEMPLATE)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "infra" / "auth.yaml").write_text(TEMPLATE + FAST)
    git(repo, "commit", "-qam", "pull request")
    return repo


def run_cost_step(
    tmp_path: Path,
    repo: Path,
    comments: list[dict[str, Any]] | None = None,
    *,
    fail: bool = False,
    context: dict[str, str] | None = None,
    inputs: dict[str, str] | None = None,
) -> Run:
    step = STEPS["cost"]
    overrides = context or {}
    base = overrides.get("github.event.pull_request.base.sha") or git(repo, "rev-parse", "HEAD~1").strip()
    github = {
        "github.event.pull_request.base.sha": base,
        "github.event.pull_request.number": "7",
        "github.repository": "octo/infra",
        "github.token": "ghs_test",
        "steps.install.outputs.python": sys.executable,
    }
    github.update(overrides)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("M2M_GUARD", "GITHUB_", "GH_"))}
    for name, value in step["env"].items():
        match = re.fullmatch(r"\$\{\{\s*([\w.-]+)\s*\}\}", value)
        assert match, value
        key = match[1]
        if key.startswith("inputs."):
            given = (inputs or {}).get(key[len("inputs.") :])
            default = str(ACTION["inputs"][key[len("inputs.") :]].get("default", ""))
            value = given if given is not None else default
            inner = re.fullmatch(r"\$\{\{\s*([\w.-]+)\s*\}\}", value)
            env[name] = github[inner[1]] if inner else value
        else:
            env[name] = github.get(key, "")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    gh.chmod(0o755)
    log = tmp_path / "gh.log"
    log.write_text("")
    (tmp_path / "comments.json").write_text(json.dumps(comments or []))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.write_text("")
    summary.write_text("")
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        FAKE_GH_LOG=str(log),
        FAKE_GH_COMMENTS=str(tmp_path / "comments.json"),
        RUNNER_TEMP=str(runner_temp),
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        NO_COLOR="1",
    )
    if fail:
        env["FAKE_GH_FAIL"] = "1"
    script = tmp_path / "cost.sh"
    script.write_text(step["run"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    written = dict(line.split("=", 1) for line in output.read_text().splitlines())
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return Run(done.returncode, done.stdout + done.stderr, written, calls, summary.read_text())


def _writes(run: Run) -> list[dict[str, Any]]:
    return [call for call in run.calls if "--method" in call["args"]]


def test_the_comment_is_posted_then_updated_in_place(tmp_path: Path, pull_request: Path) -> None:
    status = git(pull_request, "status", "--porcelain"), git(pull_request, "rev-parse", "HEAD")
    first = run_cost_step(tmp_path, pull_request)
    assert first.returncode == 0 and first.outputs["exit-code"] == "0", first.log
    (post,) = _writes(first)
    assert post["args"][:4] == ["api", "--method", "POST", "repos/octo/infra/issues/7/comments"], post
    body = post["input"]["body"]
    assert body.startswith(MARKER + "\n**Monthly M2M cost: +$25.71 a month")
    assert "added `FastClient` (TTL 5 minutes: 8,760 projected token requests a month)" in body
    assert first.summary == body.split("\n", 1)[1]  # the job summary: the comment, without the marker
    assert (git(pull_request, "status", "--porcelain"), git(pull_request, "rev-parse", "HEAD")) == status

    comments = [
        {
            "id": 11,
            "user": {"login": "mallory"},
            "body": MARKER + "\nnot ours",
        },  # the marker alone is not enough
        {"id": 42, "user": {"login": "github-actions[bot]"}, "body": MARKER + "\r\nthe old figures"},
        {"id": 43, "user": {"login": "github-actions[bot]"}, "body": "a comment of another tool"},
    ]
    second = run_cost_step(tmp_path, pull_request, comments)
    assert second.returncode == 0, second.log
    (patch,) = _writes(second)
    assert patch["args"][:4] == ["api", "--method", "PATCH", "repos/octo/infra/issues/comments/42"], patch
    assert patch["input"]["body"] == body
    assert "cost comment updated on pull request #7" in second.log


def test_each_category_keeps_its_own_comment_and_a_crafted_one_cannot_break_the_marker(
    tmp_path: Path, pull_request: Path
) -> None:
    run = run_cost_step(
        tmp_path, pull_request, inputs={"category": "billing --> <img src=x onerror=alert(1)> @team"}
    )
    (post,) = _writes(run)
    first_line = post["input"]["body"].split("\n", 1)[0]
    assert first_line == "<!-- m2m-guard cost comment billing--imgsrcxonerroralert1team -->"


def test_outside_a_pull_request_nothing_is_posted(tmp_path: Path, pull_request: Path) -> None:
    run = run_cost_step(tmp_path, pull_request, context={"github.event.pull_request.number": ""})
    assert run.returncode == 0 and not run.calls and "not a pull request" in run.log
    assert "exit-code" not in run.outputs


def test_a_token_that_may_not_comment_warns_and_the_summary_has_it(
    tmp_path: Path, pull_request: Path
) -> None:
    run = run_cost_step(tmp_path, pull_request, fail=True)
    assert run.returncode == 0 and "::warning title=m2m-guard::could not post the cost comment" in run.log
    assert run.summary.startswith("**Monthly M2M cost: +$25.71")


def test_a_shallow_checkout_fetches_the_base_commit(tmp_path: Path, pull_request: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{pull_request}", str(clone)],
        check=True,
        capture_output=True,
    )
    base = git(pull_request, "rev-parse", "HEAD~1").strip()
    assert subprocess.run(["git", "-C", str(clone), "cat-file", "-e", f"{base}^{{commit}}"]).returncode != 0
    run = run_cost_step(tmp_path, clone, context={"github.event.pull_request.base.sha": base})
    assert run.returncode == 0 and run.outputs["exit-code"] == "0", run.log
    (post,) = _writes(run)
    assert "+$25.71 a month" in post["input"]["body"]
    assert git(clone, "status", "--porcelain") == ""


def test_a_baseline_that_cannot_be_read_fails_the_gate(tmp_path: Path, pull_request: Path) -> None:
    run = run_cost_step(tmp_path, pull_request, inputs={"cost-baseline": "no-such-branch"})
    assert run.returncode == 0 and run.outputs["exit-code"] == "2" and not _writes(run), run.log
    assert "::error title=m2m-guard::the cost change could not be computed" in run.log
    gate = STEPS["gate"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("M2M_GUARD")},
        "M2M_GUARD_EXIT_CODE": "0",
        "M2M_GUARD_FAIL_ON": "error",
        "M2M_GUARD_COST_EXIT_CODE": run.outputs["exit-code"],
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", gate["run"]], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "the cost change could not read everything" in done.stdout
    env["M2M_GUARD_COST_EXIT_CODE"] = ""  # no cost comment asked for: the scan decides
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", gate["run"]], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_a_baseline_that_looks_like_an_option_is_never_one(tmp_path: Path, pull_request: Path) -> None:
    # git fetch --upload-pack=CMD would run CMD: the revision is always after `--` or
    # --end-of-options, in the action's git calls and in m2m-guard's
    pwned = tmp_path / "pwned"
    run = run_cost_step(tmp_path, pull_request, inputs={"cost-baseline": f"--upload-pack=touch {pwned}"})
    assert run.outputs["exit-code"] == "2" and not pwned.exists(), run.log
