"""checkov resource configuration -> AppClient -> the engine -> PASSED / FAILED / UNKNOWN.

One checkov check per per-client rule type (``CKV_M2M_<TYPE>``) evaluates every rule of that type
in the policy named by ``M2M_GUARD_POLICY`` (a file or a built-in pack name), else the
``.m2m-guard.yaml`` found upward from the working directory, else the default pack. The policy is
loaded once per process; the rules run through :func:`m2m_guard.engine.evaluate`, so selectors,
waivers and the unknown-value handling are the scanner's own.

The client is the one ``m2m-guard scan`` sees: a per-resource ``conf`` lacks what the scanner
reads around the resource (the template's parameters and resource servers that ``Fn::Sub`` /
``Fn::Join`` scopes are built from, conditions, the pool's resource servers for
``undefined_scopes``, variables, locals and module outputs, and which plan attributes are known
only after apply: checkov drops them, so they would look unset). So the resource's file is read
by m2m-guard's own sources: a CloudFormation template (a Serverless ``serverless.yml``'s
``resources:`` too, which checkov's serverless framework hands to the same checks) or a plan JSON
on its own, a ``.tf`` file with its folder, evaluated as a root module by the evaluator ``scan``
uses (functions, ``for`` expressions, ``.tfvars``, one client per ``count`` / ``for_each``
instance, addressed as checkov addresses them); a resource of a module (``module.m["a"]....``)
through the nearest folder up that calls the module. A block m2m-guard finds makes no instance
is not judged. checkov's ``conf`` (:mod:`m2m_guard.checkov.conf`) is used only when the file
cannot be read that way.

Pool rule types whose verdict needs only the pool's own file (``POOL_TYPES``) have a check too,
on the pool resource (``AWS::Cognito::UserPool``, ``aws_cognito_user_pool``): the file is read
the same way, and the rule runs on the pool with the M2M clients there that belong to it (a
template's clients refer to its pool resource; a plan holds every client of its pools; a
``.tf`` folder is read whole). ``pool_budget`` has none: a pool's clients and usage may be
spread over many files and a usage file the check never sees.

Verdicts: FAILED when a rule of the type is violated at error or warning level and not waived;
UNKNOWN when the only outcomes are undetermined (an unknown value, or unknown whether the client
is M2M); PASSED otherwise, also for clients that are not M2M. A note-level rule never fails a
check; a policy that cannot be loaded fails every check. checkov's ``details`` are never used:
they make checkov's SARIF invalid.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# cfn_client and tf_client: the conf alone, for the checks' callers and tests
from m2m_guard.checkov.conf import cfn_client as cfn_client
from m2m_guard.checkov.conf import first
from m2m_guard.checkov.conf import tf_client as tf_client
from m2m_guard.engine import evaluate
from m2m_guard.files import display_path, project_root, read_input, shown_path
from m2m_guard.inputs import collect
from m2m_guard.model import AppClient, Severity
from m2m_guard.policy import NoSuchPolicy, Policy, PolicyLoadError, find_policy, load_policy
from m2m_guard.reporters.safe import printable_lines
from m2m_guard.rules import RULES
from m2m_guard.sources import SourceError, decode, load, parse
from m2m_guard.sources.terraform_hcl import parse as parse_tf
from m2m_guard.sources.vocabulary import CFN_CLIENT, CFN_POOL, TF_CLIENT, TF_POOL

POLICY_ENV = "M2M_GUARD_POLICY"
CHECK_PREFIX = "CKV_M2M_"
CFN_TYPE = CFN_CLIENT
TF_TYPE = TF_CLIENT
PASSED, FAILED, UNKNOWN = "PASSED", "FAILED", "UNKNOWN"

#: Rule types a checkov check can run: the per-client ones. ``pool_budget`` needs every client
#: of a pool at once, which a per-resource check never sees.
CLIENT_TYPES = tuple(sorted(name for name, spec in RULES.items() if spec.scope == "client"))
#: Pool rule types a check on the pool resource can run: their verdict depends only on the pool's
#: settings and its M2M clients, which the pool's own file (or ``.tf`` folder) holds.
POOL_TYPES = ("token_customization",)


class BridgeError(Exception):
    """The policy cannot be loaded: every check would be meaningless."""


def check_id(rule_type: str) -> str:
    return CHECK_PREFIX + rule_type.upper()


def check_name(rule_type: str) -> str:
    return f"m2m-guard {rule_type}: {RULES[rule_type].summary}"


# --- the policy -------------------------------------------------------------------------------

_POLICIES: dict[tuple[str | None, str], Policy] = {}
_BY_TYPE: dict[tuple[str | None, str, str], Policy] = {}
_BROKEN: dict[tuple[str | None, str], str] = {}


def _read_policy(name: str | None, cwd: Path) -> Policy:
    try:
        # a file named in M2M_GUARD_POLICY keeps that name; a found one is named as scans name it
        source = find_policy(name, cwd, lambda found: name if name is not None else shown_path(found, cwd))
    except NoSuchPolicy as exc:
        raise BridgeError(f"{POLICY_ENV}={exc}") from None
    path, label = cwd / source.path, source.label
    try:
        return load_policy(label, decode(read_input(path)))
    except OSError as exc:
        raise BridgeError(f"{path}: cannot read policy: {exc.strerror}") from None
    except SourceError as exc:
        raise BridgeError(f"{path}: policy: {exc.message}") from None
    except PolicyLoadError as exc:
        raise BridgeError("\n".join(exc.lines)) from None


def bridge_policy() -> Policy:
    """The policy for this process (cached per ``M2M_GUARD_POLICY`` value and directory).

    A policy that cannot be loaded raises :class:`BridgeError` every time, after printing its
    errors on stderr once: checkov would log an exception in a check as a traceback per
    resource, count the check as unknown and exit 0.
    """
    key = (os.environ.get(POLICY_ENV) or None, os.getcwd())
    if key in _BROKEN:
        raise BridgeError(_BROKEN[key])
    if key not in _POLICIES:
        try:
            _POLICIES[key] = _read_policy(key[0], Path(key[1]))
        except BridgeError as exc:
            # the policy is a file of the repository checkov scans: say it as every report does
            sys.stderr.write(f"m2m-guard: {printable_lines(str(exc))}\n")
            _BROKEN[key] = str(exc)
            raise
    return _POLICIES[key]


def policy_for(rule_type: str) -> Policy:
    """The bridge policy restricted to the rules of one type."""
    key = (os.environ.get(POLICY_ENV) or None, os.getcwd(), rule_type)
    if key not in _BY_TYPE:
        policy = bridge_policy()
        rules = tuple(r for r in policy.rules if r.spec.type == rule_type)
        _BY_TYPE[key] = dataclasses.replace(policy, rules=rules)
    return _BY_TYPE[key]


def verdict(rule_type: str, client: AppClient | None, today: dt.date | None = None) -> str:
    """PASSED, FAILED or UNKNOWN for one client (None: a resource that is not created)."""
    return _judged(rule_type, None if client is None else [client], today)


def pool_verdict(rule_type: str, clients: Sequence[AppClient] | None, today: dt.date | None = None) -> str:
    """PASSED, FAILED or UNKNOWN for one pool resource, given the clients of its file that belong
    to it (None: its file could not be read, so they are not known)."""
    if clients is None:
        return UNKNOWN if policy_for(rule_type).rules else PASSED
    return _judged(rule_type, clients, today)


def _judged(rule_type: str, clients: Sequence[AppClient] | None, today: dt.date | None) -> str:
    policy = policy_for(rule_type)
    if not clients or not policy.rules:
        return PASSED
    today = today or dt.datetime.now(dt.timezone.utc).date()
    findings = [f for f in evaluate(policy, list(clients), today=today).findings if f.suppression is None]
    if any(not f.undetermined and f.level is not Severity.NOTE for f in findings):
        return FAILED
    return UNKNOWN if any(f.undetermined for f in findings) else PASSED


def worst_severity(rule_type: str) -> Severity | None:
    levels = [r.severity for r in policy_for(rule_type).rules]
    return max(levels, key=lambda s: s.rank) if levels else None


# --- the resource's file, read by m2m-guard's own sources --------------------------------------


@functools.lru_cache(maxsize=64)
def _file_clients(path: str, kind: str) -> dict[str, AppClient] | None:
    """The clients m2m-guard reads from ``path`` by logical id / address; None if it cannot."""
    try:
        # the files of the repository checkov scans: regular files only, within the size limit
        found, clients = load(parse(path, decode(read_input(path))))
    except (OSError, SourceError, RecursionError, ValueError):
        return None
    return {c.location.name: c for c in clients} if found == kind else None


def cfn_resource(conf: Mapping[str, Any], entity_path: str) -> AppClient | None:
    """The client a CloudFormation check judges; None when the template does not create it."""
    logical_id = entity_path.rsplit(":", 1)[-1] if entity_path else ""
    client = cfn_client(conf, logical_id)
    if logical_id and client.location.path:
        known = _file_clients(client.location.path, "cloudformation")
        if known is not None:
            # m2m-guard read the template: a client it does not list is not created under the
            # parameter defaults (a false Condition).
            return known.get(logical_id)
    return client


def _belongs(client: AppClient, path: str, name: str) -> bool:
    """Whether ``client``'s pool is the pool resource ``name`` defined in ``path``."""
    where = client.pool.location
    return where is not None and where.path == path and where.name == name


def cfn_pool_members(conf: Mapping[str, Any], entity_path: str) -> list[AppClient] | None:
    """The clients of a CloudFormation pool resource's template that belong to it; None when
    m2m-guard cannot read the template."""
    logical_id = entity_path.rsplit(":", 1)[-1] if entity_path else ""
    props = conf.get("Properties")
    path = str((props if isinstance(props, Mapping) else conf).get("__file__") or "")
    known = _file_clients(path, "cloudformation") if logical_id and path else None
    if known is None:
        return None
    return [c for c in known.values() if _belongs(c, path, logical_id)]


def tf_pool_members(conf: Mapping[str, Any], entity_path: str = "") -> list[AppClient] | None:
    """The clients of a Terraform pool resource's plan (or ``.tf`` folder) that belong to it;
    None when m2m-guard cannot read it."""
    address = str(first(conf.get("__address__")) or "")
    path = str(first(conf.get("__file__")) or entity_path.split(":", 1)[0])
    if not (address and path):
        return None
    if "__start_line__" not in conf:  # plan JSON
        known = _file_clients(path, "terraform-plan")
        return None if known is None else [c for c in known.values() if _belongs(c, path, address)]
    root = project_root(Path.cwd())
    try:
        real = (Path.cwd() / path.lstrip("/\\")).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    shown = display_path(real, root)
    clients = _folder_clients(str(real.parent), str(root))[0].values()
    return [c for c in clients if _belongs(c, shown, address)]


# --- Terraform (HCL and plan) --------------------------------------------------------------------


def tf_resource(conf: Mapping[str, Any], entity_path: str = "") -> AppClient | None:
    """The client a Terraform check judges (None: not created), as m2m-guard reads its file."""
    if first(conf.get("for_each")) in ({}, []):
        return None  # for_each over an empty collection creates nothing (checkov does count = 0)
    client = tf_client(conf, entity_path)
    address, path = client.location.address, client.location.path
    if not (address and path):
        return client
    if "__start_line__" in conf:  # HCL conf has __start_line__, plan conf __startline__
        found = _hcl_client(path, address, client.location.line)
        return client if isinstance(found, _Unread) else found
    known = _file_clients(path, "terraform-plan")
    return known[address] if known is not None and address in known else client


class _Unread:
    """The ``.tf`` file could not be read by m2m-guard as checkov names it: checkov's conf decides."""


_UNREAD = _Unread()


def _hcl_client(path: str, address: str, line: int | None) -> AppClient | _Unread | None:
    """The client at ``address`` (an instance, as checkov expands count and for_each) of a
    ``.tf`` file, read with its folder and evaluated as ``m2m-guard scan`` evaluates it; None when
    m2m-guard finds that the block makes no instance (``for_each = toset([])``, a count of 0 that
    checkov does not compute); ``_UNREAD`` when it cannot tell.

    checkov names the file from the folder it scans (``/infra/main.tf``), which the working
    directory usually is (``checkov -d .``); the client must also start on checkov's line, so a
    file of the same name elsewhere is never taken for it.
    """
    root = project_root(Path.cwd())
    try:
        real = (Path.cwd() / path.lstrip("/\\")).resolve(strict=True)
    except (OSError, RuntimeError):
        return _UNREAD
    shown = display_path(real, root)
    if address.startswith("module."):
        return _module_client(real, root, shown, address, line)
    clients, blocks = _folder_clients(str(real.parent), str(root))
    found = _instance(clients, shown, address, line)
    if found is None and (shown, line) in blocks and not _at(clients, shown, line):
        return None  # m2m-guard read the block: it makes no instance
    return found or _UNREAD


def _module_client(
    real: Path, root: Path, shown: str, address: str, line: int | None
) -> AppClient | _Unread | None:
    """A resource of a module, as checkov addresses it from the folder that calls the module:
    that folder (the nearest one up from the module's whose clients come from this block) is
    read as the root module; an instance it does not make is not created."""
    for folder in list(real.parents)[1 : MAX_MODULE_CALLER_DEPTH + 1]:
        if not folder.is_relative_to(root):
            break
        clients, _ = _folder_clients(str(folder), str(root))
        if _at(clients, shown, line):
            return _instance(clients, shown, address, line)
    return _UNREAD


#: How many folders up from a module's folder the bridge looks for the folder that calls it.
MAX_MODULE_CALLER_DEPTH = 4


def _at(clients: Mapping[tuple[str, str, int | None], AppClient], shown: str, line: int | None) -> bool:
    return any(p == shown and n == line for p, _, n in clients)


def _instance(
    clients: Mapping[tuple[str, str, int | None], AppClient], shown: str, address: str, line: int | None
) -> AppClient | None:
    """The client at ``address``; else, when checkov expanded instances m2m-guard could not
    count (``svc["a"]``, ``module.m[0].…``), the one client standing for all of them."""
    found = clients.get((shown, address, line))
    if found is None:
        bare = _INSTANCE_KEY.sub("", address)
        found = next((c for (p, a, n), c in clients.items() if p == shown and n == line and a == bare), None)
    return found


#: An instance key in an address: [0], ["reader"].
_INSTANCE_KEY = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]')


@functools.lru_cache(maxsize=64)
def _folder_clients(
    folder: str, root: str
) -> tuple[dict[tuple[str, str, int | None], AppClient], frozenset[tuple[str, int | None]]]:
    """The clients of one folder's ``.tf`` files evaluated as a root module, as a scan of the
    folder evaluates them, by (path, address, line); and the (path, line) of the client blocks
    of its files that m2m-guard read."""
    files = sorted(str(p) for p in Path(folder).glob("*.tf") if not p.name.startswith("."))
    clients = collect(files, Path(root), hook=True).clients  # hook: read as a walk finds them
    found = {(c.location.path, c.location.address or "", c.location.line): c for c in clients}
    return found, frozenset(_client_blocks(files, Path(root)))


def _client_blocks(files: list[str], root: Path) -> set[tuple[str, int | None]]:
    blocks: set[tuple[str, int | None]] = set()
    for file in files:
        try:
            parsed = parse_tf(file, decode(read_input(file)))
        except (OSError, SourceError, RecursionError):
            continue
        shown = display_path(Path(file), root)
        blocks.update((shown, b.line) for b in parsed if b.type == "resource" and b.labels[:1] == (TF_TYPE,))
    return blocks


# --- the checks --------------------------------------------------------------------------------


def make_checks(rule_type: str) -> tuple[Any, Any]:
    """The CloudFormation and the Terraform check of one rule type (registered with checkov)."""
    from checkov.cloudformation.checks.resource.base_resource_check import (
        BaseResourceCheck as CfnCheck,
    )
    from checkov.common.bridgecrew.severities import BcSeverities, Severities
    from checkov.common.models.enums import CheckCategories, CheckResult
    from checkov.terraform.checks.resource.base_resource_check import (
        BaseResourceCheck as TfCheck,
    )

    results = {PASSED: CheckResult.PASSED, FAILED: CheckResult.FAILED, UNKNOWN: CheckResult.UNKNOWN}
    severities = {
        Severity.ERROR: Severities[BcSeverities.HIGH],
        Severity.WARNING: Severities[BcSeverities.MEDIUM],
        Severity.NOTE: Severities[BcSeverities.LOW],
    }

    def judge(check: Any, decide: Callable[[], str]) -> Any:
        try:
            if check.severity is None:
                # The policy's severity, once it is loaded (not at import): checkov's SARIF level.
                worst = worst_severity(rule_type)
                check.severity = severities[worst] if worst else None
            return results[decide()]
        except BridgeError:
            # Fail closed: an exception would make checkov count UNKNOWN and exit 0, and
            # SystemExit is lost in checkov's forked runners (the errors are on stderr).
            return CheckResult.FAILED

    pool = RULES[rule_type].scope == "pool"

    def scan_cfn(self: Any, conf: dict[str, Any]) -> Any:
        entity = getattr(self, "entity_path", "")
        if pool:
            return judge(self, lambda: pool_verdict(rule_type, cfn_pool_members(conf, entity)))
        return judge(self, lambda: verdict(rule_type, cfn_resource(conf, entity)))

    def scan_tf(self: Any, conf: dict[str, Any]) -> Any:
        entity = getattr(self, "entity_path", "")
        if pool:
            return judge(self, lambda: pool_verdict(rule_type, tf_pool_members(conf, entity)))
        return judge(self, lambda: verdict(rule_type, tf_resource(conf, entity)))

    common = {"name": check_name(rule_type), "id": check_id(rule_type), "categories": [CheckCategories.IAM]}
    camel = "".join(part.title() for part in rule_type.split("_"))
    cfn_class = type(f"{camel}CloudFormationCheck", (CfnCheck,), {"scan_resource_conf": scan_cfn})
    tf_class = type(f"{camel}TerraformCheck", (TfCheck,), {"scan_resource_conf": scan_tf})
    return (
        cfn_class(**common, supported_resources=[CFN_POOL if pool else CFN_TYPE]),
        tf_class(**common, supported_resources=[TF_POOL if pool else TF_TYPE]),
    )
