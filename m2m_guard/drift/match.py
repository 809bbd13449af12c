"""Matching the app clients the code defines with the live ones: pure, no I/O.

A code pool is matched with live pools by what identifies it in the code:

* a literal pool id (a CloudFormation ``UserPoolId`` that is a literal or a parameter's
  ``Default``, a Terraform ``user_pool_id`` string, a plan's known id): the live pool of that
  id;
* else the pool's name (CloudFormation ``UserPoolName``, Terraform ``name``) where the code
  defines the pool: every live pool of that name, in every account and region read, since one
  template is often deployed to several;
* else nothing: a pool id from ``Fn::ImportValue`` (live pools carry no CloudFormation exports
  or stack outputs), a parameter without ``Default``, a name that is unknown. Its clients are
  ``unmatched``, and say why.

Within a matched pair of pools, clients are matched by ClientName. The result is a list of
:class:`~m2m_guard.model.drift.DriftCase` for the drift rules to judge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from m2m_guard.model import AppClient, Pool, Unknown
from m2m_guard.model.drift import DriftCase

UNKNOWN_POOL = "unknown user pool ("


@dataclass(frozen=True)
class CodePool:
    """What identifies one pool of the code: literal ids, names, or why nothing does."""

    pool: Pool
    ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    unknown: str | None = None
    #: Whether the scanned code defines the pool resource itself (not just names its id).
    defines: bool = False

    @property
    def label(self) -> str:
        """``UserPool (infra/auth.yaml)``, ``aws_cognito_user_pool.main (infra/main.tf)``, or
        the literal id."""
        where = self.pool.location
        return f"{where.name} ({where.path})" if where else self.pool.label


def code_pool(pool: Pool) -> CodePool:
    """How the code identifies ``pool`` (see the module docstring)."""
    location = pool.location
    own = {pool.key, *((location.logical_id, location.address) if location else ())}
    names = tuple(n for n in pool.names if n not in own)
    defines = location is not None
    if pool.key.startswith("import:"):
        export = pool.key.removeprefix("import:")
        return CodePool(
            pool,
            unknown=f"its user pool id is the CloudFormation export {export} (Fn::ImportValue), and live "
            "pools carry no exports or stack outputs, so it cannot be matched with one",
        )
    if "#" not in pool.key:  # a literal pool id (Pool.of_id)
        return CodePool(pool, ids=(pool.key,), names=names, defines=defines)
    if pool.label.startswith(UNKNOWN_POOL):
        why = pool.label.removeprefix(UNKNOWN_POOL).removesuffix(")")
        return CodePool(pool, unknown=f"its user pool is unknown ({why}), so it cannot be matched")
    if not defines:  # a parameter without Default, or a pool defined in no scanned file
        return CodePool(
            pool,
            unknown=f"its user pool id is {pool.label}, which has no value in the scanned code, so it "
            "cannot be matched with a live pool",
        )
    declared = pool.declared_name
    if isinstance(declared, Unknown):
        return CodePool(
            pool,
            unknown=f"the name of its user pool {location.name if location else pool.label} is "
            f"{declared}, so it cannot be matched with a live pool",
            defines=True,
        )
    if isinstance(declared, str):
        names = (declared,)
    if not names:
        return CodePool(
            pool,
            unknown=f"the name of its user pool {location.name if location else pool.label} is not "
            "known, so it cannot be matched with a live pool",
            defines=True,
        )
    return CodePool(pool, names=names, defines=True)


def _name(client: AppClient) -> str | None:
    name = client.record.get("ClientName")
    return name if isinstance(name, str) and name else None


def _name_problem(client: AppClient) -> str:
    name = client.record.get("ClientName")
    if isinstance(name, Unknown):
        return f"its ClientName is {name}, so it cannot be matched with a live client"
    return "its ClientName is not set in the code, so its live name cannot be told"


def _maybe_m2m(client: AppClient) -> bool:
    return client.is_m2m is not False


@dataclass
class _Target:
    """A live pool, its clients, and the code pools (with their named clients) matched to it."""

    pool: Pool
    clients: list[AppClient]
    code: list[tuple[CodePool, list[AppClient]]]
    #: Why a live client of the pool may be the code's though no name matches.
    doubts: list[str]


def match(code: Sequence[AppClient], live: Sequence[AppClient], *, searched: str) -> list[DriftCase]:
    """Every case of comparing ``code`` with ``live`` (pools already merged per key);
    ``searched`` says where live pools were looked for ("the 2 account-regions read: ...")."""
    targets: dict[str, _Target] = {}
    for client in live:
        target = targets.setdefault(client.pool.key, _Target(client.pool, [], [], []))
        target.clients.append(client)
    by_id = {key: [key] for key in targets}
    by_name: dict[str, list[str]] = {}
    for key, target in targets.items():
        if target.pool.name:
            by_name.setdefault(target.pool.name, []).append(key)
    nameless = any(not t.pool.name for t in targets.values())

    cases: list[DriftCase] = []
    lost_names: dict[str, str] = {}  # ClientName of code clients that match nothing -> why
    for pool, members in _code_pools(code):
        named = [c for c in members if _name(c)]
        for client in members:
            if not _name(client) and _maybe_m2m(client):
                cases.append(DriftCase("unmatched", code=client, unknown=_name_problem(client)))
        if pool.unknown:
            cases.extend(DriftCase("unmatched", code=c, unknown=pool.unknown) for c in named if _maybe_m2m(c))
            lost_names.update((str(_name(c)), pool.unknown) for c in named)
            continue
        # a literal id is decisive; a name matches every live pool of that name
        found = by_id if pool.ids else by_name
        keys = [key for ident in (pool.ids or pool.names) for key in found.get(ident, [])]
        if not keys:
            cases.extend(_not_found(pool, named, searched, nameless))
            if not pool.ids and nameless:
                lost_names.update((str(_name(c)), "AWS Config's items name no user pool") for c in named)
            continue
        doubts = [
            f"the code defines a client of this pool that cannot be matched by name: {_name_problem(c)}"
            for c in members
            if not _name(c) and _maybe_m2m(c)
        ]
        for key in dict.fromkeys(keys):
            targets[key].code.append((pool, named))
            targets[key].doubts.extend(doubts)
    for target in targets.values():
        cases.extend(_compare_pool(target, lost_names))
    return cases


def _code_pools(code: Iterable[AppClient]) -> list[tuple[CodePool, list[AppClient]]]:
    groups: dict[str, tuple[CodePool, list[AppClient]]] = {}
    for client in code:
        if client.pool.key not in groups:
            groups[client.pool.key] = (code_pool(client.pool), [])
        groups[client.pool.key][1].append(client)
    return list(groups.values())


def _not_found(pool: CodePool, named: list[AppClient], searched: str, nameless: bool) -> list[DriftCase]:
    """The cases of a code pool that matches no live pool."""
    if not pool.ids and nameless:
        why = (
            f"its user pool is named {', '.join(pool.names)} in the code, and the live clients come from "
            "AWS Config, whose items name no user pool: only pools the code names by id can be matched"
        )
        return [DriftCase("unmatched", code=c, unknown=why) for c in named if _maybe_m2m(c)]
    what = f"with id {', '.join(pool.ids)}" if pool.ids else f"named {', '.join(pool.names)}"
    text = f"no live user pool {what} in {searched}"
    return [DriftCase("missing", code=c, searched=text) for c in named if _maybe_m2m(c)]


def _compare_pool(target: _Target, lost_names: dict[str, str]) -> list[DriftCase]:
    """Pairs, shadows and missing clients of one live pool."""
    defined_by = "; ".join(pool.label for pool, _ in target.code if pool.defines) or None
    code_by_name: dict[str, list[AppClient]] = {}
    for _, named in target.code:
        for client in named:
            code_by_name.setdefault(str(_name(client)), []).append(client)
    live_names = Counter(_name(c) for c in target.clients)
    cases: list[DriftCase] = []
    for live in target.clients:
        name = _name(live)
        ours = code_by_name.get(name or "", [])
        shadow = DriftCase("shadow", live=live, live_pool=target.pool, defined_by=defined_by)
        for client in ours:
            if _maybe_m2m(client) or live.is_m2m is True:
                cases.append(DriftCase("pair", code=client, live=live, live_pool=target.pool))
        if live.is_m2m is not True:
            continue
        if ours and live_names[name] > len(ours):
            times = "once" if len(ours) == 1 else f"{len(ours)} times"
            why = (
                f"{live_names[name]} live clients of this pool are named {name}, which the scanned code "
                f"defines {times}: which of them is the code's cannot be told"
            )
            cases.append(_with_unknown(shadow, why))
        elif not ours:
            doubt = next(iter(target.doubts), None)
            if doubt is None and name in lost_names:
                doubt = (
                    f"the scanned code defines a client named {name} in a user pool it cannot match "
                    f"({lost_names[name]})"
                )
            cases.append(_with_unknown(shadow, doubt) if doubt else shadow)
    for name, ours in code_by_name.items():
        if name not in live_names:
            cases.extend(DriftCase("missing", code=c, live_pool=target.pool) for c in ours if _maybe_m2m(c))
    return cases


def _with_unknown(case: DriftCase, why: str) -> DriftCase:
    return DriftCase(case.kind, case.code, case.live, case.live_pool, case.defined_by, why, case.searched)
