"""``m2m-guard cost --baseline REF`` on real git repositories made here, and ``cost diff`` on
saved reports: what a pull request does to the bill, read without touching the work tree.

A repository holds a template with a pool, a used client and one the usage file says made no
token request. Pull requests then add a client with 5-minute tokens (the cost goes up by its fee
and its projected token requests) or delete the unused client (down by its fee).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main

TEMPLATE = """\
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties: {UserPoolName: orders}
  SyncClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: svc-sync
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 1
  IdleClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: svc-idle
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 1
"""
FAST = """\
  FastClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: svc-fast
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 5
      TokenValidityUnits: {AccessToken: minutes}
"""
USAGE = {"window_days": 30, "clients": {"svc-idle": 0}}
POLICY = "version: 1\nrules: []\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A repository whose one commit (``main``) holds infra/auth.yaml, a policy and usage file."""
    root = tmp_path / "repo"
    (root / "infra").mkdir(parents=True)
    (root / "infra" / "auth.yaml").write_text(TEMPLATE)
    (root / ".m2m-guard.yaml").write_text(POLICY)
    (root / "usage.json").write_text(json.dumps(USAGE))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    yield root


def state(repo: Path) -> tuple[str, ...]:
    """Everything a read-only command must leave as it was: HEAD, refs, the index, the work
    tree's status and contents, the stash."""
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    files = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts)
    contents = hashlib.sha256(b"".join((repo / f).read_bytes() for f in files if (repo / f).is_file()))
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "for-each-ref"),
        index,
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        "\n".join(files),
        contents.hexdigest(),
        git(repo, "stash", "list"),
    )


def cost(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["cost", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def delta(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = cost(capsys, "--baseline", "main", "--usage", "usage.json", "--format", "json", *argv)
    assert code == 0, err
    return json.loads(out)


def test_a_pull_request_adding_a_five_minute_client_costs_more(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "infra" / "auth.yaml").write_text(TEMPLATE + FAST)
    before = state(repo)
    data = delta(capsys)
    assert state(repo) == before  # work tree, index, HEAD, refs and stash as they were
    # one client (6.00) and one token per 5 minutes: 730 h × 12 = 8,760 requests × 0.00225 = 19.71
    assert data["change_monthly_usd"] == "25.71"
    (pool,) = data["pools"]
    assert pool["status"] == "changed" and pool["pool_key"] == "infra/auth.yaml#Pool"
    assert pool["change"] == {
        "m2m_clients": 1,
        "token_requests_month": 8760,
        "clients_usd": "6.00",
        "requests_usd": "19.71",
        "lambda_usd": "0.00",
        "monthly_usd": "25.71",
    }
    (client,) = pool["clients"]
    assert client["client"] == "FastClient" and client["change"] == "added"
    assert client["after"]["ttl_seconds"] == 300 and client["after"]["token_requests_month"] == 8760
    assert data["before"]["source"].startswith("main (") and data["after"]["source"] is None

    code, out, _ = cost(capsys, "--baseline", "main", "--usage", "usage.json", "--format", "markdown")
    assert code == 0
    assert out.startswith(
        "**Monthly M2M cost: +$25.71 a month (at least $13.64 → at least $39.35), 1 pool changed.**"
    )
    assert "- `Pool`: added `FastClient` (TTL 5 minutes: 8,760 projected token requests a month)" in out


def test_a_pull_request_deleting_an_unused_client_costs_less(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = TEMPLATE[: TEMPLATE.index("  IdleClient:")]
    (repo / "infra" / "auth.yaml").write_text(text)
    git(repo, "commit", "-qam", "delete the unused client")
    data = delta(capsys, "--baseline", "HEAD~1")  # the last one given wins: HEAD~1 is main
    assert data["change_monthly_usd"] == "-6.00"
    (pool,) = data["pools"]
    (client,) = pool["clients"]
    assert client["change"] == "removed" and client["before"]["unused"] is True
    code, out, _ = cost(capsys, "--baseline", "HEAD~1", "--usage", "usage.json")
    assert code == 0 and out.startswith("Monthly M2M cost: -$6.00 a month")
    assert "removed IdleClient (TTL 1 hour: 0 observed token requests a month, unused)" in out


def test_paths_are_taken_from_the_top_of_the_work_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "infra" / "auth.yaml").write_text(TEMPLATE + FAST)
    (repo / "other").mkdir()
    (repo / "other" / "more.yaml").write_text(TEMPLATE.replace("orders", "more"))  # untracked: counts
    os.chdir(repo / "infra")
    code, out, err = cost(capsys, "--baseline", "main", "--format", "json", ".")
    assert code == 0, err
    data = json.loads(out)
    assert [p["pool_key"] for p in data["pools"]] == ["infra/auth.yaml#Pool"]  # infra/ only, both sides
    os.chdir(repo)
    code, out, err = cost(capsys, "--baseline", "main", "--format", "json", "other", "infra/auth.yaml")
    assert code == 0, err
    data = json.loads(out)
    statuses = {p["pool_key"]: p["status"] for p in data["pools"]}
    assert statuses == {"infra/auth.yaml#Pool": "changed", "other/more.yaml#Pool": "added"}
    assert "note: other is not in main (" in err  # a new folder: nothing there before


def test_terraform_modules_outside_the_paths_are_read_at_the_baseline(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = repo / "modules" / "client"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(
        'variable "pool" {}\nvariable "ttl" { default = 60 }\n'
        'resource "aws_cognito_user_pool_client" "this" {\n  name = "svc"\n  user_pool_id = var.pool\n'
        "  generate_secret = true\n  allowed_oauth_flows_user_pool_client = true\n"
        '  allowed_oauth_flows = ["client_credentials"]\n  allowed_oauth_scopes = ["orders/read"]\n'
        "  access_token_validity = var.ttl\n"
        '  token_validity_units { access_token = "minutes" }\n}\n'
    )
    (repo / "stack").mkdir()
    (repo / "stack" / "main.tf").write_text(
        'module "a" {\n  source = "../modules/client"\n  pool = "eu-west-1_Ab12"\n}\n'
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "terraform")
    (module / "main.tf").write_text((module / "main.tf").read_text().replace("default = 60", "default = 5"))
    code, out, err = cost(capsys, "--baseline", "HEAD", "--format", "json", "stack")
    assert code == 0, err
    (pool,) = json.loads(out)["pools"]
    (client,) = pool["clients"]
    assert client["change"] == "changed"
    assert (client["before"]["ttl_seconds"], client["after"]["ttl_seconds"]) == (3600, 300)


def test_a_broken_template_at_the_baseline_is_reported_and_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "infra" / "auth.yaml").write_text(
        "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n  [\n"
    )
    git(repo, "commit", "-qam", "broken")
    (repo / "infra" / "auth.yaml").write_text(TEMPLATE)
    code, out, err = cost(capsys, "--baseline", "HEAD")
    assert code == 2 and out.startswith("Monthly M2M cost: +$")
    assert "error: at HEAD: infra/auth.yaml:" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--baseline", "no-such-branch"],
            "cost --baseline: 'no-such-branch' is not a commit of this repository",
        ),
        (
            ["--baseline=--output=pwned"],
            "cost --baseline: '--output=pwned' is not a commit of this repository",
        ),
        (["--baseline", "main", "/"], "cost --baseline: / is outside the git work tree "),
        (["--baseline", "main", "--format", "csv"], "cost --baseline: --format csv is not available"),
        (["--baseline", "main", "--live"], "cost --baseline: --live does not apply"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = state(repo)
    code, out, err = cost(capsys, *args)
    assert code == 2 and not out
    assert len(err.splitlines()) == 1 and err.startswith(message), err
    assert state(repo) == before and not list(repo.glob("pwned*"))


def test_outside_a_repository_or_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cost(capsys, "--baseline", "main")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(
        f"cost --baseline: {tmp_path} is not in a git work tree (git: fatal: not a git repository"
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = cost(capsys, "--baseline", "main")
    assert (code, err) == (
        2,
        "cost --baseline reads the code at a git revision: git is not installed (or not on PATH)\n",
    )


# -- cost diff ------------------------------------------------------------------------------------


def saved_reports(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    code, out, _ = cost(capsys, "--usage", "usage.json", "--format", "json", "--output", "before.json")
    assert code == 0 and not out
    (repo / "infra" / "auth.yaml").write_text(TEMPLATE + FAST)
    code, _, _ = cost(capsys, "--usage", "usage.json", "--format", "json", "--output", "after.json")
    assert code == 0
    return repo / "before.json", repo / "after.json"


def test_cost_diff_compares_two_saved_reports(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved_reports(repo, capsys)
    code, out, err = cost(capsys, "diff", "before.json", "after.json", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["change_monthly_usd"] == "25.71"
    assert (data["before"]["source"], data["after"]["source"]) == ("before.json", "after.json")
    # the same figures as --baseline on the same change
    baseline = delta(capsys)
    assert [p["change"] for p in data["pools"]] == [p["change"] for p in baseline["pools"]]
    code, out, _ = cost(capsys, "diff", "before.json", "after.json")
    assert code == 0 and out.startswith("Monthly M2M cost: +$25.71 a month")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "after.json: not JSON: "),
        ("[1, 2]", "after.json: not a cost report (m2m-guard cost --format json): no list of pools"),
        ('{"pools": [], "total_monthly_usd": "1.00"}', "after.json: total_monthly_usd is 1.00, not the sum"),
        ('{"pools": [{"pool": "P"}], "total_monthly_usd": "0"}', "after.json: pools[0].m2m_clients is not"),
        ("\xff\xfe\x00garbage", "after.json: "),
    ],
)
def test_cost_diff_refuses_what_is_not_a_cost_report(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    saved_reports(repo, capsys)
    (repo / "after.json").write_text(text, encoding="latin-1")
    code, out, err = cost(capsys, "diff", "before.json", "after.json")
    assert code == 2 and not out
    assert len(err.splitlines()) == 1 and err.startswith(message), err


def test_cost_diff_arguments(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, _ = saved_reports(repo, capsys)
    code, _, err = cost(capsys, "diff", str(before), "missing.json")
    assert code == 2 and err == "missing.json: cannot read cost report: No such file or directory\n"
    code, _, err = cost(capsys, "diff", str(before))
    assert (
        code == 2 and err == "cost diff needs two saved reports: m2m-guard cost diff BEFORE.json AFTER.json\n"
    )
    code, _, err = cost(capsys, "diff", "a.json", "b.json", "--usage", "usage.json")
    assert code == 2 and err == "cost diff compares two saved cost reports: --usage does not apply\n"
    code, _, err = cost(capsys, "diff", "a.json", "b.json", "--format", "csv")
    assert code == 2 and err.startswith("cost diff: --format csv is not available")


def test_a_folder_named_diff_is_priced_as_dot_slash_diff(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "diff").mkdir()
    (repo / "diff" / "auth.yaml").write_text(TEMPLATE)
    code, _, err = cost(capsys, "diff")
    assert code == 2 and err.endswith("(to price a folder named diff, write ./diff)\n")
    code, out, err = cost(capsys, "./diff", "--format", "json")
    assert code == 0, err
    assert [p["pool_key"] for p in json.loads(out)["pools"]] == ["diff/auth.yaml#Pool"]


@pytest.mark.parametrize(
    ("path", "given", "read"),
    [
        ("infra/auth.yaml", ["infra"], True),
        ("infra/notes.txt", ["infra"], False),  # a walk reads IaC extensions only
        ("infra/notes.txt", ["infra/notes.txt"], True),  # named: read whatever its name
        ("infra/.hidden/auth.yaml", ["infra"], False),
        ("infra/node_modules/x/auth.yaml", ["."], False),
        (".infra/auth.yaml", [".infra"], True),  # a hidden folder named on the command line is walked
        ("other/auth.yaml", ["infra"], False),
        ("modules/client/main.tf", ["infra"], True),  # a local module may be anywhere
        ("infrastructure/auth.yaml", ["infra"], False),
    ],
)
def test_which_files_of_the_commit_are_read(path: str, given: list[str], read: bool) -> None:
    from m2m_guard.commands.cost_baseline import _wanted

    assert _wanted(path, given) is read


def test_symbolic_links_are_followed_inside_the_commit_only(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "shared").mkdir()
    (repo / "shared" / "auth.yaml").write_text(TEMPLATE.replace("orders", "shared"))
    (repo / "infra" / "shared.yaml").symlink_to("../shared/auth.yaml")
    outside = tmp_path / "outside.yaml"
    outside.write_text(TEMPLATE.replace("orders", "outside"))
    (repo / "infra" / "outside.yaml").symlink_to(outside)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    code, out, err = cost(capsys, "--baseline", "HEAD", "--format", "json", "infra")
    assert code == 0, err
    statuses = {p["pool_key"]: p["status"] for p in json.loads(out)["pools"]}
    # the link into the repository reads the same file at both sides; the absolute link out of
    # it is read in the work tree only (as `cost` reads it), never at the baseline
    assert statuses == {
        "infra/auth.yaml#Pool": "unchanged",
        "shared/auth.yaml#Pool": "unchanged",
        str(Path(os.path.relpath(outside, repo)).as_posix()) + "#Pool": "added",
    }


def test_a_folder_the_change_deletes_is_empty_after_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "infra" / "auth.yaml").unlink()
    (repo / "infra").rmdir()
    code, out, err = cost(capsys, "--baseline", "main", "--usage", "usage.json", "--format", "json", "infra")
    assert code == 0, err
    assert "note: infra is not in the work tree: nothing there after" in err
    data = json.loads(out)
    assert data["change_monthly_usd"] == "-" + data["before"]["total_monthly_usd"]
    assert [p["status"] for p in data["pools"]] == ["removed"]
    code, _, err = cost(capsys, "--baseline", "main", "nowhere")
    assert code == 2 and "error: nowhere: no such file or directory" in err
