"""checkov resource configuration -> AppClient -> the engine -> PASSED / FAILED / UNKNOWN.

One checkov check per per-client rule type (``CKV_M2M_<TYPE>``) evaluates every rule of that type
in the policy named by ``M2M_GUARD_POLICY`` (a file or a built-in pack name), else the
``.m2m-guard.yaml`` found upward from the working directory, else the default pack. The policy is
loaded once per process; the rules run through :func:`m2m_guard.engine.evaluate`, so selectors,
waivers and the unknown-value handling are the scanner's own.

The client comes from checkov's ``conf`` of the resource (shapes in ../shared/notes/ecosystem.md
§3.3): CloudFormation (the resource dict; intrinsics checkov leaves as dicts are unknown),
Terraform HCL (every attribute list-wrapped; unresolved expressions are unknown) and
terraform_plan (``_hclify``-wrapped values). A per-resource ``conf`` lacks what the scanner
reads around the resource: the template's parameters and resource servers that ``Fn::Sub`` /
``Fn::Join`` scopes are built from, conditions, the pool's resource servers (for
``undefined_scopes``), and which plan attributes are known only after apply (checkov drops them,
so they would look unset). So when the resource's file is a CloudFormation template or a plan
JSON that m2m-guard's own source reads, the client is taken from that source, as
``m2m-guard scan`` sees it; the ``conf`` mapping is used for Terraform HCL and whenever the file
cannot be read that way.

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from m2m_guard.engine import evaluate
from m2m_guard.inputs import display_path, project_root, read_input
from m2m_guard.model import ABSENT, AppClient, Location, Pool, Severity, Unknown
from m2m_guard.policy import NoSuchPolicy, Policy, PolicyLoadError, find_policy, load_policy
from m2m_guard.reporters.safe import printable_lines
from m2m_guard.rules import RULES
from m2m_guard.sources import SourceError, decode, load, parse
from m2m_guard.sources.normalize import SECRET_KEYS, normalize
from m2m_guard.sources.vocabulary import (
    ATTRIBUTE_KEYS,
    BLOCK_ATTRIBUTES,
    CFN_CLIENT,
    TF_CLIENT,
    TF_POOL,
    pascal,
)

POLICY_ENV = "M2M_GUARD_POLICY"
CHECK_PREFIX = "CKV_M2M_"
CFN_TYPE = CFN_CLIENT
TF_TYPE = TF_CLIENT
PASSED, FAILED, UNKNOWN = "PASSED", "FAILED", "UNKNOWN"

#: Rule types a checkov check can run: the per-client ones. ``pool_budget`` needs every client
#: of a pool at once, which a per-resource check never sees.
CLIENT_TYPES = tuple(sorted(name for name, spec in RULES.items() if spec.scope == "client"))


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
    def name_file(found: Path) -> str:
        # a file named in M2M_GUARD_POLICY keeps that name; a found one is named as the CLI
        # names it, relative to the git work tree
        return name if name is not None else display_path(found.resolve(), project_root(cwd).resolve())

    try:
        source = find_policy(name, cwd, name_file)
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
    policy = policy_for(rule_type)
    if client is None or not policy.rules:
        return PASSED
    today = today or dt.datetime.now(dt.timezone.utc).date()
    findings = [f for f in evaluate(policy, [client], today=today).findings if f.suppression is None]
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


def _dunder(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("__")


def _first(value: Any) -> Any:
    """checkov wraps Terraform values in one-element lists (``__file__``: ``["plan.json"]``)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


# --- CloudFormation ----------------------------------------------------------------------------

_INTRINSIC = re.compile(r"^(Ref|Condition|Fn::[A-Za-z]+)$")


def _cfn_value(value: Any) -> Any:
    """A property value with checkov's line keys dropped; intrinsics checkov left are unknown."""
    if isinstance(value, Mapping):
        keys = [k for k in value if not _dunder(k)]
        if len(keys) == 1 and isinstance(keys[0], str) and _INTRINSIC.match(keys[0]):
            if keys[0] == "Ref" and value["Ref"] == "AWS::NoValue":
                return ABSENT
            return Unknown(f"a {keys[0]} that checkov does not resolve")
        items = {k: _cfn_value(value[k]) for k in keys}
        return {k: v for k, v in items.items() if v is not ABSENT}
    if isinstance(value, list):
        return [v for v in map(_cfn_value, value) if v is not ABSENT]
    return value


def _cfn_pool(expr: Any, path: str, logical_id: str) -> Pool:
    if isinstance(expr, Mapping):
        ref = expr.get("Ref")
        att = expr.get("Fn::GetAtt")
        target = (
            ref
            if isinstance(ref, str)
            else (att[0] if isinstance(att, list) and att and isinstance(att[0], str) else None)
        )
        if target:
            # checkov substitutes parameters that have a default, so a Ref left here names a
            # resource (the pool) or a parameter without a default: either identifies the pool.
            return Pool(key=f"{path}#{target}", label=target, names=(target,))
    if isinstance(expr, str) and expr:
        return Pool(key=expr, label=expr, names=(expr,))
    return Pool(key=f"{path}#{logical_id}:pool", label="unknown user pool (UserPoolId)")


def cfn_client(conf: Mapping[str, Any], logical_id: str) -> AppClient:
    """An AppClient from checkov's CloudFormation ``conf`` alone."""
    props = conf.get("Properties")
    path = str((props if isinstance(props, Mapping) else conf).get("__file__") or "")
    line = props.get("__startline__") if isinstance(props, Mapping) else conf.get("__startline__")
    location = Location(path, line if isinstance(line, int) else None, logical_id=logical_id or None)
    if not isinstance(props, Mapping):
        reason = "Properties is not a mapping"
        raw: dict[str, Any] = {k: Unknown(reason) for k in ("AllowedOAuthFlows", "ExplicitAuthFlows")}
        return AppClient(normalize(raw), location, _cfn_pool(None, path, logical_id))
    raw = {}
    for key, value in props.items():
        if _dunder(key) or key == "resource_type" or key in SECRET_KEYS:
            continue  # resource_type is checkov's own addition
        resolved = _cfn_value(value)
        if resolved is not ABSENT:
            raw[key] = resolved
    return AppClient(normalize(raw), location, _cfn_pool(props.get("UserPoolId"), path, logical_id))


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


# --- Terraform (HCL and plan) --------------------------------------------------------------------

#: An expression checkov left unrendered: interpolation, or a reference to a variable, local,
#: module output, data source or resource attribute (``aws_x.name.attr``).
_EXPRESSION = re.compile(
    r"\$\{|^(var|local|module|data|each|count|path|self)\."
    r"|^[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*(\[[^\]]*\])?\.[a-z_][a-z0-9_]*(\[\d+\])?$"
)
_POOL_ADDRESS = re.compile(rf"^(?:\$\{{)?((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*{TF_POOL}\.[\w-]+)")
_TF_SKIP = frozenset(
    {
        "start_line",
        "end_line",
        "references_",
        "count",
        "for_each",
        "depends_on",
        "lifecycle",
        "provider",
        "dynamic",
        "provisioner",
    }
)


def _tf_scalar(value: Any, refs: frozenset[str]) -> Any:
    if isinstance(value, str):
        if value in refs:
            # checkov's plan parser puts the configuration's reference where the planned value
            # is known only after apply.
            return Unknown("known after apply")
        if _EXPRESSION.search(value):
            return Unknown(f"the Terraform expression {value[:60]!r} is not resolved")
    return value


def _tf_value(attr: str, value: Any, refs: frozenset[str]) -> Any:
    value = _first(value)
    if attr in BLOCK_ATTRIBUTES:
        block = value[0] if isinstance(value, list) and value else value
        if not isinstance(block, Mapping):
            return ABSENT if block in (None, []) else Unknown(f"{attr} is not a block")
        items = {
            pascal(k): _tf_scalar(_first(v), refs)
            for k, v in block.items()
            if isinstance(k, str) and not _dunder(k) and k not in _TF_SKIP
        }
        return {k: v for k, v in items.items() if v is not None}
    if isinstance(value, list):
        return [_tf_scalar(_first(v), refs) for v in value]
    return _tf_scalar(value, refs)


def _tf_pool(value: Any, path: str, address: str) -> Pool:
    if isinstance(value, str):
        found = _POOL_ADDRESS.match(value)
        if found:
            pool = found.group(1)
            return Pool(key=f"{path}#{pool}", label=pool, names=(pool,))
        if not isinstance(_tf_scalar(value, frozenset()), Unknown):
            return Pool(key=value, label=value, names=(value,))
    return Pool(key=f"{path}#{address}:pool", label="unknown user pool (user_pool_id)")


def tf_client(conf: Mapping[str, Any], entity_path: str = "") -> AppClient:
    """An AppClient from checkov's Terraform or terraform_plan ``conf`` alone.

    ``entity_path`` is checkov's ``FILE:TYPE:NAME`` of the resource; HCL ``conf`` has no
    ``__file__``, so the file comes from there.
    """
    address = str(_first(conf.get("__address__")) or "")
    path = str(_first(conf.get("__file__")) or entity_path.split(":", 1)[0])
    line = _first(conf.get("__start_line__", conf.get("__startline__")))
    refs = frozenset(
        r
        for group in conf.get("references_") or ()
        if isinstance(group, list)
        for r in group
        if isinstance(r, str)
    )
    raw: dict[str, Any] = {}
    for attr, value in conf.items():
        if not isinstance(attr, str) or _dunder(attr) or attr in _TF_SKIP or attr in SECRET_KEYS:
            continue
        converted = _tf_value(attr, value, refs)
        if converted is not ABSENT:
            raw[ATTRIBUTE_KEYS.get(attr, attr)] = converted
    location = Location(path, line if isinstance(line, int) else None, address=address or None)
    pool = _tf_pool(_first(conf.get("user_pool_id")), path, address)
    return AppClient(normalize(raw), location, pool)


def tf_resource(conf: Mapping[str, Any], entity_path: str = "") -> AppClient | None:
    """The client a Terraform check judges (None: not created); plans as m2m-guard reads them."""
    if _first(conf.get("for_each")) in ({}, []):
        return None  # for_each over an empty collection creates nothing (checkov does count = 0)
    client = tf_client(conf, entity_path)
    is_plan = "__start_line__" not in conf  # HCL conf has __start_line__, plan conf __startline__
    address, path = client.location.address, client.location.path
    if is_plan and address and path:
        known = _file_clients(path, "terraform-plan")
        if known is not None and address in known:
            return known[address]
    return client


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

    def judge(check: Any, client: AppClient | None) -> Any:
        try:
            if check.severity is None:
                # The policy's severity, once it is loaded (not at import): checkov's SARIF level.
                worst = worst_severity(rule_type)
                check.severity = severities[worst] if worst else None
            return results[verdict(rule_type, client)]
        except BridgeError:
            # Fail closed: an exception would make checkov count UNKNOWN and exit 0, and
            # SystemExit is lost in checkov's forked runners (the errors are on stderr).
            return CheckResult.FAILED

    def scan_cfn(self: Any, conf: dict[str, Any]) -> Any:
        return judge(self, cfn_resource(conf, getattr(self, "entity_path", "")))

    def scan_tf(self: Any, conf: dict[str, Any]) -> Any:
        return judge(self, tf_resource(conf, getattr(self, "entity_path", "")))

    common = {"name": check_name(rule_type), "id": check_id(rule_type), "categories": [CheckCategories.IAM]}
    camel = "".join(part.title() for part in rule_type.split("_"))
    cfn_class = type(f"{camel}CloudFormationCheck", (CfnCheck,), {"scan_resource_conf": scan_cfn})
    tf_class = type(f"{camel}TerraformCheck", (TfCheck,), {"scan_resource_conf": scan_tf})
    return (
        cfn_class(**common, supported_resources=[CFN_TYPE]),
        tf_class(**common, supported_resources=[TF_TYPE]),
    )
