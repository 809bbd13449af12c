"""The pre-commit hooks in ``.pre-commit-hooks.yaml``, run for real: pre-commit installs this
checkout into its own virtualenv (with pip, from PyPI) and runs the hooks on ``git commit`` in a
throwaway repository, as a user's repository would.

The README's ``.pre-commit-config.yaml`` snippets are used as pasted, but for the repository URL:
it points at a clone of this repository's HEAD in which the README's ``rev`` is a tag, as it is
on the published repository, and that ``rev`` is this version's release tag.

pre-commit clones a hook repository at a commit, so the hooks are taken from a snapshot of this
working tree (the files the package is built from, committed in a temporary repository): the
test checks the code as it is on disk, committed or not. (``pre-commit try-repo`` would miss new,
untracked files and reinstall the virtualenv on every call.) ``PRE_COMMIT_HOME`` is a folder under
pytest's temporary directory, so the user's cache is never touched and the virtualenv is built
once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from m2m_guard import __version__

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
README = ROOT / "README.md"
#: The repository the README's snippets name.
REPO_URL = "https://github.com/m2m-guard/m2m-guard"
#: What `pip install .` needs to build the package, plus the hook manifest.
SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "m2m_guard", "policies")

if shutil.which("git") is None:
    pytest.skip("git is not installed", allow_module_level=True)
if not MANIFEST.is_file():
    pytest.skip(f"{MANIFEST.name} is not in this tree (not a source checkout)", allow_module_level=True)

SCAN_HOOK = "m2m-guard (Cognito M2M app clients)"
POLICY_HOOK = "m2m-guard policy"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: orders
  OrdersApi:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties:
      UserPoolId: !Ref Pool
      Identifier: orders
      Name: Orders API
      Scopes:
        - {ScopeName: read, ScopeDescription: Read orders}
  SyncClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: svc-orders-sync
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [!Sub "${OrdersApi}/read"]
      AccessTokenValidity: {ttl}
      TokenValidityUnits:
        AccessToken: hours
"""
BAD_TEMPLATE = TEMPLATE.replace("{ttl}", "24")  # 1 day: over the default pack's 1 hour
GOOD_TEMPLATE = TEMPLATE.replace("{ttl}", "1")

POLICY = """\
version: 1
rules:
  - id: ORDERS-TTL
    type: max_access_token_ttl
    max: {max}
    severity: error
"""


def _git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for git and pre-commit: own cache, no user git config, no colour."""
    base = tmp_path_factory.getbasetemp()
    gitconfig = base / "gitconfig"
    gitconfig.write_text("")
    clean = {
        key: value
        for key, value in os.environ.items()
        # GIT_DIR, GIT_INDEX_FILE, ... are set when the suite itself runs from a git hook.
        if not key.startswith(("GIT_", "PRE_COMMIT")) and key not in ("FORCE_COLOR", "NO_COLOR")
    }
    clean.update(
        PRE_COMMIT_HOME=str(base / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
        # Signing, templates, global hooks of the user's git setup stay out of the test.
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
    )
    return clean


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[str, str]:
    """(path, sha) of a git repository holding a snapshot of this working tree."""
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            shutil.copy2(source, repo / name)
    _git(repo, "init", "-q", env=env)
    _git(repo, "add", "-A", env=env)
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "snapshot", env=env)
    return str(repo), _git(repo, "rev-parse", "HEAD", env=env)


class Project:
    """A user's repository with both hooks configured and ``pre-commit install``-ed."""

    def __init__(self, path: Path, env: dict[str, str], repo: str, rev: str) -> None:
        self.path, self.env, self.repo, self.rev = path, env, repo, rev

    def configure(self, scan_args: str = "") -> None:
        """Write ``.pre-commit-config.yaml`` as the README shows it, pointing at the snapshot."""
        self.write(
            ".pre-commit-config.yaml",
            f"repos:\n"
            f"  - repo: {self.repo}\n"
            f"    rev: {self.rev}\n"
            f"    hooks:\n"
            f"      - id: m2m-guard\n"
            + (f"        args: {scan_args}\n" if scan_args else "")
            + "      - id: m2m-guard-policy\n",
        )

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, *names: str) -> tuple[int, str]:
        """``git add`` then ``git commit``: (exit code, what the user sees)."""
        _git(self.path, "add", "--", *names, env=self.env)
        done = subprocess.run(
            ["git", "commit", "-m", "change"],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return done.returncode, done.stdout + done.stderr

    def run(self, *args: str) -> tuple[int, str]:
        """``pre-commit run ARGS``: (exit code, output)."""
        done = subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return done.returncode, done.stdout + done.stderr

    def committed(self) -> list[str]:
        return _git(self.path, "ls-tree", "-r", "--name-only", "HEAD", env=self.env).split()


def _user_repo(path: Path, env: dict[str, str]) -> None:
    path.mkdir()
    _git(path, "init", "-q", env=env)
    _git(path, "config", "user.name", "Test User", env=env)
    _git(path, "config", "user.email", "test@example.com", env=env)
    _git(path, "config", "commit.gpgsign", "false", env=env)


@pytest.fixture
def project(tmp_path: Path, env: dict[str, str], hook_repo: tuple[str, str]) -> Iterator[Project]:
    repo, rev = hook_repo
    path = tmp_path / "project"
    _user_repo(path, env)
    project = Project(path, env, repo, rev)
    project.configure()
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=path,
        env=env,
        check=True,
        capture_output=True,
    )
    rc, out = project.commit(".pre-commit-config.yaml")  # installs the hook virtualenv, once
    assert rc == 0, out
    yield project


def test_bad_template_blocks_the_commit_until_it_is_fixed(project: Project) -> None:
    project.write("infra/auth.yaml", BAD_TEMPLATE)
    # Files the hook is given that define no Cognito client are read and ignored silently.
    project.write(".github/workflows/ci.yml", "on: [push]\njobs: {}\n")
    project.write("package.json", '{"name": "app", "version": "1.0.0"}\n')

    rc, out = project.commit("infra/auth.yaml", ".github/workflows/ci.yml", "package.json")
    assert rc != 0, out
    assert f"{SCAN_HOOK}." in out and "Failed" in out, out
    assert "\ninfra/auth.yaml:" in out, out  # the text report: path:line: on each finding
    assert "M2M-TTL-MAX" in out and "AccessTokenValidity is 1 day" in out, out
    assert "[SyncClient]" in out, out
    assert "package.json" not in out and "ci.yml" not in out, out
    assert "infra/auth.yaml" not in project.committed()

    project.write("infra/auth.yaml", GOOD_TEMPLATE)
    rc, out = project.commit("infra/auth.yaml")
    assert rc == 0, out
    assert f"{SCAN_HOOK}." in out and "Passed" in out, out
    assert "infra/auth.yaml" in project.committed()


TERRAFORM = """\
resource "aws_cognito_user_pool" "pool" {
  name = "orders"
}

resource "aws_cognito_resource_server" "orders" {
  user_pool_id = aws_cognito_user_pool.pool.id
  identifier   = "orders"
  name         = "Orders API"
  scope {
    scope_name        = "read"
    scope_description = "Read orders"
  }
}

resource "aws_cognito_user_pool_client" "sync" {
  name                                 = "svc-orders-sync"
  user_pool_id                         = aws_cognito_user_pool.pool.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["${aws_cognito_resource_server.orders.identifier}/read"]
  access_token_validity                = {ttl}
  token_validity_units {
    access_token = "hours"
  }
}
"""


@pytest.mark.skipif(
    not (ROOT / "m2m_guard" / "sources" / "terraform_hcl.py").is_file(),
    reason="Terraform HCL support is not in this tree",
)
def test_bad_terraform_blocks_the_commit_until_it_is_fixed(project: Project) -> None:
    # Also shows that the HCL parser is a declared dependency: the hook's virtualenv has only
    # what pyproject.toml asks for.
    project.write("terraform/cognito.tf", TERRAFORM.replace("{ttl}", "24"))
    rc, out = project.commit("terraform/cognito.tf")
    assert rc != 0, out
    assert "\nterraform/cognito.tf:" in out, out
    assert "AccessTokenValidity is 1 day" in out and "[aws_cognito_user_pool_client.sync]" in out, out

    project.write("terraform/cognito.tf", TERRAFORM.replace("{ttl}", "1"))
    rc, out = project.commit("terraform/cognito.tf")
    assert rc == 0, out
    assert "terraform/cognito.tf" in project.committed()


def test_many_files_are_checked_in_parallel_batches(project: Project) -> None:
    # pre-commit splits many files into batches run side by side: each finding is still
    # reported once, and a batch without findings does not hide another's.
    names = [f"stacks/app{i:02}.yaml" for i in range(12)]
    for name in names:
        project.write(name, GOOD_TEMPLATE.replace("svc-orders-sync", f"svc-{name[-9:-5]}"))
    project.write(names[7], BAD_TEMPLATE)
    rc, out = project.commit(*names)
    assert rc != 0, out
    assert out.count("AccessTokenValidity is 1 day") == 1, out
    assert f"\n{names[7]}:" in out, out


def test_scan_hook_uses_the_repository_policy_and_args(project: Project) -> None:
    project.write("infra/auth.yaml", GOOD_TEMPLATE)  # 1 hour: fine under the default pack
    rc, out = project.commit("infra/auth.yaml")
    assert rc == 0, out

    # A stricter `.m2m-guard.yaml`: the commit only checks the policy file itself ...
    project.write(".m2m-guard.yaml", POLICY.format(max="30m"))
    rc, out = project.commit(".m2m-guard.yaml")
    assert rc == 0, out
    assert f"{SCAN_HOOK}." in out and "(no files to check)Skipped" in out, out
    # ... and `--all-files` applies it to everything, found as the CLI finds it.
    rc, out = project.run("m2m-guard", "--all-files")
    assert rc != 0, out
    assert "ORDERS-TTL" in out and "at most 30 minutes" in out, out
    assert "M2M-TTL-MAX" not in out, out
    project.write("infra/auth.yaml", GOOD_TEMPLATE.replace("Orders API", "Orders"))
    rc, out = project.commit("infra/auth.yaml")
    assert rc != 0 and "ORDERS-TTL" in out, out

    # `args:` reach the command line: here another policy file.
    project.write("policies/ci.yaml", POLICY.format(max="2h"))
    project.configure(scan_args="[--policy, policies/ci.yaml]")
    rc, out = project.commit(".pre-commit-config.yaml", "policies/ci.yaml", "infra/auth.yaml")
    assert rc == 0, out
    rc, out = project.run("m2m-guard", "--all-files")
    assert rc == 0, out


def test_policy_hook_rejects_a_broken_policy_until_it_is_fixed(project: Project) -> None:
    project.write(".m2m-guard.yaml", POLICY.format(max="2x") + "    scopez: []\n")
    project.write("team/.m2m-guard.yml", POLICY.format(max="15m"))  # valid: both are checked
    rc, out = project.commit(".m2m-guard.yaml", "team/.m2m-guard.yml")
    assert rc != 0, out
    assert f"{POLICY_HOOK}." in out and "Failed" in out, out
    assert ".m2m-guard.yaml:5: rules[0].max: '2x' is not a duration" in out, out
    assert "rules[0].scopez: unknown key 'scopez'" in out, out
    assert "team/.m2m-guard.yml: valid policy, 1 rule, 0 waivers." in out, out
    # Policy files are not scanned as IaC: the scan hook has nothing to do.
    assert f"{SCAN_HOOK}." in out and "(no files to check)Skipped" in out, out

    project.write(".m2m-guard.yaml", POLICY.format(max="2h"))
    rc, out = project.commit(".m2m-guard.yaml", "team/.m2m-guard.yml")
    assert rc == 0, out
    assert f"{POLICY_HOOK}." in out and "Passed" in out, out


def test_scan_hook_ignores_unrelated_files_it_cannot_parse(project: Project) -> None:
    helm = "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n"
    project.write("chart/templates/deployment.yaml", helm)
    project.write(".vscode/settings.json", '{\n  // editor settings\n  "editor.tabSize": 2,\n}\n')
    project.write("k8s/app.yaml", "kind: Service\n---\nkind: Deployment\n")
    project.write("infra/auth.yaml", GOOD_TEMPLATE)
    rc, out = project.commit(
        "chart/templates/deployment.yaml", ".vscode/settings.json", "k8s/app.yaml", "infra/auth.yaml"
    )
    assert rc == 0, out


def readme_configs() -> list[str]:
    """The ``.pre-commit-config.yaml`` snippets of the README's pre-commit section, as written."""
    section = README.read_text(encoding="utf-8").split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```yaml\n(.*?)^```$", section, re.M | re.S)
    return [block for block in blocks if f"repo: {REPO_URL}\n" in block]


def test_readme_rev_is_this_release() -> None:
    configs = readme_configs()
    assert len(configs) == 2, configs  # the hooks, and the hooks with args
    for config in configs:
        (repo,) = yaml.safe_load(config)["repos"]
        assert repo["repo"] == REPO_URL
        assert repo["rev"] == f"v{__version__}", "the README's rev must be this version's release tag"


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> str:
    """A clone of this repository's HEAD with the README's rev as a tag: what pre-commit finds
    at the published repository's URL."""
    inside = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--is-inside-work-tree"], env=env, capture_output=True
    )
    if inside.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"{ROOT} is not a git work tree")
        pytest.skip(f"{ROOT} is not a git work tree")
    clone = tmp_path_factory.mktemp("published") / "m2m-guard"
    _git(ROOT, "clone", "--quiet", str(ROOT), str(clone), env=env)
    (repo,) = yaml.safe_load(readme_configs()[0])["repos"]
    _git(clone, "tag", "--force", repo["rev"], "HEAD", env=env)
    return str(clone)


def test_readme_configs_work_as_pasted(tmp_path: Path, env: dict[str, str], published: str) -> None:
    hooks, with_args = (config.replace(REPO_URL, published) for config in readme_configs())
    path = tmp_path / "project"
    _user_repo(path, env)
    project = Project(path, env, published, "")

    # Both hooks, from the README's first snippet: a template over the default pack's 1 hour
    # fails, a policy file is validated.
    project.write(".pre-commit-config.yaml", hooks)
    project.write("infra/auth.yaml", BAD_TEMPLATE)
    project.write("team/.m2m-guard.yml", POLICY.format(max="15m"))
    _git(path, "add", "-A", env=env)
    rc, out = project.run("--all-files")  # installs the hook virtualenv from the tag
    assert rc == 1, out
    assert re.search(rf"^{re.escape(SCAN_HOOK)}\.+Failed$", out, re.M), out
    assert "M2M-TTL-MAX" in out and "AccessTokenValidity is 1 day" in out, out
    assert re.search(rf"^{re.escape(POLICY_HOOK)}\.+Passed$", out, re.M), out
    project.write("infra/auth.yaml", GOOD_TEMPLATE)
    _git(path, "add", "-A", env=env)
    rc, out = project.run("--all-files")
    assert rc == 0, out

    # The snippet with args: its --policy file is the one used.
    project.write(".pre-commit-config.yaml", with_args)
    project.write("policies/ci.yaml", POLICY.format(max="30m"))
    _git(path, "add", "-A", env=env)
    rc, out = project.run("m2m-guard", "--all-files")
    assert rc == 1, out
    assert "ORDERS-TTL" in out and "at most 30 minutes" in out and "M2M-TTL-MAX" not in out, out
