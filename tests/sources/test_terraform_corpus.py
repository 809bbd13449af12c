"""Real public Terraform (../shared/corpus/terraform), laid out as in its repositories: every value
the files determine is evaluated; what stays unknown is what the files do not hold.

The corpus keeps some files of each repository (MANIFEST.tsv names each file's repository and
path): a module's variables.tf, or the file defining a local, is often not among them, and then a
value built from it cannot be known. Everything else (functions, for expressions, instances,
module arguments and outputs, dynamic blocks) must be evaluated.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.inputs import collect
from m2m_guard.model import AppClient, Unknown

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(), reason="../shared/corpus not present"
)

#: Reasons a value is unknown that name an input the corpus files do not hold, or a value known
#: only at apply (or where Terraform runs); a prefix says where (``for_each: ...``).
NOT_IN_THE_FILES = re.compile(
    r"^(?:(?:for_each|count|dynamic \w+|module\.\w+ (?:for_each|count)): )*"
    # a function m2m-guard does not evaluate, over an argument the files do not give either
    r"(?:(?:regex|formatlist|basename)\(\) is not evaluated \()?(?:"
    r"var\.\w+ is not declared"
    r"|local\.[\w.]+ is not defined"
    r"|module\.\w+ is not defined"
    r"|[\w.\[\]\"]+\.id is known after apply"
    r"|[\w.]+: [\w.]+ is not defined in \S+"
    r"|depends on (?:each|count)\.[\w.\[\]]+"
    r"|path\.cwd is not evaluated"
    r")\)?$"
)


@pytest.fixture(scope="module")
def repositories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus's Terraform files, each at its path in its repository."""
    root = tmp_path_factory.mktemp("repositories")
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        for row in list(csv.reader(manifest, delimiter="\t"))[1:]:
            if row[0].startswith("terraform/"):
                target = root / row[1].replace("/", "__") / row[2]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(CORPUS / row[0], target)
    return root


def clients(repositories: Path) -> Iterator[AppClient]:
    for repository in sorted(repositories.iterdir()):
        yield from collect([str(repository)], repository).clients


def unknowns(value: Any) -> Iterator[str]:
    if isinstance(value, Unknown):
        yield value.reason
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from unknowns(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from unknowns(item)


def test_no_value_the_files_determine_is_unknown(repositories: Path) -> None:
    found = list(clients(repositories))
    assert len(found) >= 40
    left = {
        (c.location.address, reason)
        for c in found
        for reason in [*unknowns(dict(c.record)), *([c.may_not_exist.reason] if c.may_not_exist else [])]
        if not NOT_IN_THE_FILES.match(reason)
    }
    assert left == set()
    # a value that depends on an instance is unknown only when the instances are
    for client in found:
        if any("depends on each." in r or "depends on count." in r for r in unknowns(dict(client.record))):
            assert client.may_not_exist is not None, client.location.address


def by_address(repositories: Path, repository: str, folder: str) -> dict[str, AppClient]:
    root = repositories / repository
    return {c.location.address or "": c for c in collect([str(root / folder)], root).clients}


def test_module_arguments_locals_sort_and_concat(repositories: Path) -> None:
    # wellcomecollection/storage-service: one local module per client, its scopes built with
    # sort(concat(...)) from conditionals over the call's arguments
    found = by_address(repositories, "wellcomecollection__storage-service", "terraform/app_clients")
    goobi = found["module.goobi_client.aws_cognito_user_pool_client.client"].record
    assert goobi["ClientName"] == "Goobi"
    assert goobi["AllowedOAuthScopes"] == (
        "https://api-stage.wellcomecollection.org/storage/v1/bags",
        "https://api-stage.wellcomecollection.org/storage/v1/ingests",
        "https://api.wellcomecollection.org/storage/v1/bags",
        "https://api.wellcomecollection.org/storage/v1/ingests",
    )
    assert goobi["RefreshTokenValidity"] == 1
    assert "GenerateSecret" not in goobi  # generate_secret = null: not set


def test_for_each_over_a_for_expression_of_a_typed_list_with_try_and_dynamic_blocks(
    repositories: Path,
) -> None:
    # lgallard/terraform-aws-cognito-user-pool: var.clients (a list of objects) becomes a map by
    # a for expression; every argument is try(each.value.x, null); token_validity_units is a
    # dynamic block guarded by can(...) and length(keys(...))
    found = by_address(repositories, "lgallard__terraform-aws-cognito-user-pool", "examples/complete")
    prefix = "module.aws_cognito_user_pool_complete_example.aws_cognito_user_pool_client.client"
    assert sorted(found) == [f'{prefix}["test1_0"]', f'{prefix}["test2_1"]', f'{prefix}["test3_2"]']
    test1 = found[f'{prefix}["test1_0"]'].record
    assert (test1["ClientName"], test1["AccessTokenValidity"], test1["GenerateSecret"]) == ("test1", 1, True)
    assert test1["TokenValidityUnits"] == {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}
    test3 = found[f'{prefix}["test3_2"]'].record
    assert (test3["AllowedOAuthFlows"], test3["AllowedOAuthScopes"]) == (
        ("code", "implicit"),
        ("email", "openid"),
    )
