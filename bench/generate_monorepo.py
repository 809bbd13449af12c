"""Generate a repository shaped like a real monorepo, where few files define Cognito resources.

    python bench/generate_monorepo.py OUT_DIR [--services N] [--seed S]

Most of a real repository's YAML and JSON cannot define an app client: SAM and CDK stacks of
Lambda functions, queues and tables, Helm charts (templates that are not even YAML), package
manifests and lock files, OpenAPI documents, test events, vendored JSON data, Terraform modules.
Shaped after aws-samples/serverless-patterns (about 4,900 YAML, JSON and Terraform files, 14 of
them defining app clients). Per service folder, one of: a SAM template (some with a Cognito
authorizer, which names ``UserPoolArn`` but defines no pool), a CDK app (``cdk.out`` template,
``tree.json``, ``package-lock.json``) or a Terraform module; with test events, an
``example-pattern.json``, sometimes a Helm chart, an OpenAPI document, a ``docker-compose.yml``,
a ``node_modules`` folder (which the scan skips). A ``vendor`` folder holds a few large JSON
service models. Among them, a few Cognito stacks that the scan must all find:

* SAM / CloudFormation templates and a ``cdk.out`` template with pools and M2M clients
  (bench/generate.py's templates);
* a Serverless Framework ``serverless.yml`` whose ``resources`` define a client;
* Terraform: a root module defining clients that calls a local module which never mentions
  Cognito, and a root module that mentions no Cognito resource but calls a local module
  defining a pool and a client;
* saved ``describe-user-pool-client`` and ``describe-user-pool`` output.

Deterministic for a given seed and N. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import generate  # bench/generate.py (run from bench/, or with bench/ on sys.path)
from generate import WORDS, Builder, Ref, render_json, render_json_cdk, render_yaml

#: The clients the Cognito stacks below hold that are not from bench/generate.py's templates.
FIXED_CLIENTS = 5


class AppBuilder(Builder):
    """A template of the same shape as generate.py's, with no Cognito resource: some have an
    API with a Cognito authorizer, given the pool's ARN as a parameter."""

    def cognito(self, params: dict[str, Any]) -> None:
        if self.rng.random() < 0.05:
            params["UserPoolArn"] = {"Type": "String", "Description": "Cognito user pool for the authorizer"}
            self.resources["Api"] = {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": Ref("Stage"),
                    "Auth": {
                        "DefaultAuthorizer": "CognitoAuth",
                        "Authorizers": {"CognitoAuth": {"UserPoolArn": Ref("UserPoolArn")}},
                    },
                },
            }


def _json(value: Any, indent: int = 2) -> str:
    return json.dumps(value, indent=indent) + "\n"


def package_lock(rng: random.Random, name: str, packages: int) -> str:
    deps = {}
    for i in range(packages):
        pkg = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}"
        deps[f"node_modules/{pkg}"] = {
            "version": f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "resolved": f"https://registry.npmjs.org/{pkg}/-/{pkg}-1.0.0.tgz",
            "integrity": "sha512-"
            + "".join(rng.choice("abcdefABCDEF0123456789+/") for _ in range(86))
            + "==",
            "dev": rng.random() < 0.5,
            "dependencies": {rng.choice(WORDS): "^1.0.0" for _ in range(rng.randint(0, 3))},
        }
    return _json({"name": name, "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": deps})


def cdk_tree(rng: random.Random, stack: str, constructs: int) -> str:
    """``cdk.out/tree.json``: the construct tree, naming each resource's CloudFormation type."""
    types = (
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::SQS::Queue",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
    )
    children = {}
    for i in range(constructs):
        kind = rng.choice(types)
        name = f"{rng.choice(WORDS).title()}{kind.split('::')[1]}{i}"
        children[name] = {
            "id": name,
            "path": f"{stack}/{name}",
            "children": {
                "Resource": {
                    "id": "Resource",
                    "path": f"{stack}/{name}/Resource",
                    "attributes": {
                        "aws:cdk:cloudformation:type": kind,
                        "aws:cdk:cloudformation:props": {
                            "tags": [{"key": "team", "value": rng.choice(WORDS)}]
                        },
                    },
                    "constructInfo": {"fqn": "aws-cdk-lib.CfnResource", "version": "2.150.0"},
                }
            },
            "constructInfo": {"fqn": "constructs.Construct", "version": "10.3.0"},
        }
    tree = {"id": "App", "path": "", "children": {stack: {"id": stack, "path": stack, "children": children}}}
    return _json({"version": "tree-0.1", "tree": tree})


def helm_chart(rng: random.Random, folder: Path, name: str) -> None:
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\ndescription: {name} service\ntype: application\n"
        f'version: 0.{rng.randint(1, 30)}.0\nappVersion: "1.{rng.randint(0, 9)}"\n'
    )
    values = (
        f"replicaCount: {rng.randint(1, 5)}\nimage:\n  repository: registry.example.com/{name}\n"
        '  pullPolicy: IfNotPresent\n  tag: ""\nservice:\n  type: ClusterIP\n  port: 80\n'
        "ingress:\n  enabled: false\n  annotations: {}\n  hosts:\n    - host: chart-example.local\n"
        "      paths:\n        - path: /\n          pathType: ImplementationSpecific\n"
        "resources:\n  limits: {cpu: 500m, memory: 512Mi}\n  requests: {cpu: 100m, memory: 128Mi}\n"
        "env:\n" + "".join(f"  {w.upper()}_URL: https://{w}.internal\n" for w in rng.sample(WORDS, 6))
    )
    (folder / "values.yaml").write_text(values)
    (folder / "values-prod.yaml").write_text("replicaCount: 6\nautoscaling:\n  enabled: true\n")
    (folder / "templates" / "deployment.yaml").write_text(
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "chart.fullname" . }}\n'
        '  labels:\n    {{- include "chart.labels" . | nindent 4 }}\nspec:\n'
        "  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n"
        '        - name: {{ .Chart.Name }}\n          image: "{{ .Values.image.repository }}"\n'
        "          env:\n          {{- range $k, $v := .Values.env }}\n"
        "            - name: {{ $k }}\n              value: {{ $v | quote }}\n          {{- end }}\n"
    )
    (folder / "templates" / "service.yaml").write_text(
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include "chart.fullname" . }}\n'
        "spec:\n  type: {{ .Values.service.type }}\n  ports:\n    - port: {{ .Values.service.port }}\n"
    )


def openapi(rng: random.Random, name: str) -> str:
    paths = []
    for word in rng.sample(WORDS, rng.randint(8, len(WORDS))):
        paths.append(
            f"  /{word}:\n    get:\n      summary: List {word}\n      responses:\n"
            f"        '200':\n          description: The {word} list\n          content:\n"
            f"            application/json:\n              schema:\n"
            f"                $ref: '#/components/schemas/{word.title()}List'\n"
            f"    post:\n      summary: Create a {word}\n      requestBody:\n        required: true\n"
            f"        content:\n          application/json:\n            schema:\n"
            f"              $ref: '#/components/schemas/{word.title()}'\n"
            f"      responses:\n        '201':\n          description: Created\n"
        )
    return f"openapi: 3.0.1\ninfo:\n  title: {name} API\n  version: '1.0'\npaths:\n" + "".join(paths)


def service_model(rng: random.Random, service: str, operations: int, cfn: bool) -> str:
    """Something like a vendored botocore service-2.json: large JSON with escaped HTML in docs
    (``cfn``: which name CloudFormation types)."""
    example = "AWS::{}::Stack" if cfn else "arn:aws:{}:::stack"
    shapes = {}
    for i in range(operations):
        word = rng.choice(WORDS).title()
        shapes[f"{word}{i}Request"] = {
            "type": "structure",
            "required": [f"{word}Id"],
            "members": {
                f"{word}Id": {"shape": "String", "documentation": f"<p>The id of the {word.lower()}.</p>"},
                "Type": {
                    "shape": "String",
                    "documentation": f"<p>For example <code>{example.format(word)}</code>.</p>",
                },
                "MaxResults": {
                    "shape": "Integer",
                    "documentation": "<p>At most this many &amp; no more.</p>",
                },
            },
        }
    ops = {name.removesuffix("Request"): {"name": name, "http": {"method": "POST"}} for name in shapes}
    # Go and botocore escape <, > and & in JSON text as \u003c, \u003e, \u0026
    text = json.dumps({"metadata": {"serviceId": service}, "operations": ops, "shapes": shapes}, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def terraform_module(rng: random.Random, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tf").write_text(
        f'resource "aws_sqs_queue" "{name}" {{\n  name = "${{var.prefix}}-{name}"\n'
        f"  visibility_timeout_seconds = {rng.choice([30, 60, 300])}\n}}\n\n"
        f'resource "aws_lambda_function" "{name}" {{\n  function_name = "${{var.prefix}}-{name}"\n'
        '  runtime       = "python3.12"\n  handler       = "app.handler"\n'
        '  role          = aws_iam_role.lambda.arn\n  filename      = "build/app.zip"\n}\n'
    )
    (folder / "variables.tf").write_text('variable "prefix" {\n  type    = string\n  default = "dev"\n}\n')
    (folder / "outputs.tf").write_text(f'output "queue_url" {{\n  value = aws_sqs_queue.{name}.url\n}}\n')
    (folder / "terraform.tfvars").write_text('prefix = "prod"\n')


def service(rng: random.Random, out: Path, index: int, counts: dict[str, int]) -> None:
    builder = AppBuilder(random.Random(rng.getrandbits(64)), index)
    folder = out / "patterns" / f"{builder.service}-{builder.team}-{index:04d}"
    folder.mkdir(parents=True)
    kind = rng.choices(["sam", "cdk", "terraform"], weights=[70, 20, 10])[0]
    target = int(3 * 1024 + 9 * 1024 * rng.random() ** 1.7)
    if kind == "sam":
        (folder / rng.choice(["template.yaml", "template.yml"])).write_text(
            builder.build(target, render_yaml)
        )
    elif kind == "cdk":
        (folder / "cdk.json").write_text(_json({"app": "npx ts-node bin/app.ts", "context": {}}))
        (folder / "tsconfig.json").write_text(generate.tsconfig(rng, builder.service))
        (folder / "package.json").write_text(generate.package_json(rng, builder.service))
        (folder / "package-lock.json").write_text(package_lock(rng, builder.service, rng.randint(50, 600)))
        cdk_out = folder / "cdk.out"
        cdk_out.mkdir()
        (cdk_out / f"{builder.service.title()}Stack.template.json").write_text(
            builder.build(target, render_json_cdk)
        )
        (cdk_out / "manifest.json").write_text(_json({"version": "36.0.0", "artifacts": {}}))
        (cdk_out / "tree.json").write_text(
            cdk_tree(rng, f"{builder.service.title()}Stack", rng.randint(5, 40))
        )
    else:
        terraform_module(rng, folder, builder.service)
    (folder / "example-pattern.json").write_text(
        _json(
            {"title": f"{builder.service} pattern", "language": "Python", "level": "200", "framework": kind}
        )
    )
    (folder / "events").mkdir()
    for n in range(rng.randint(1, 3)):
        body = {"body": json.dumps({"id": n, "word": rng.choice(WORDS)}), "httpMethod": "POST", "path": "/"}
        (folder / "events" / f"event{n}.json").write_text(_json(body))
    if rng.random() < 0.15:
        helm_chart(rng, folder / "charts" / builder.service, builder.service)
    if rng.random() < 0.1:
        (folder / "openapi.yaml").write_text(openapi(rng, builder.service))
    if rng.random() < 0.05:
        (folder / "docker-compose.yml").write_text(
            f"services:\n  {builder.service}:\n    build: .\n    ports: ['8080:8080']\n"
        )
    if rng.random() < 0.2:  # installed dependencies: the walk skips node_modules
        modules = folder / "src" / "node_modules" / builder.service
        modules.mkdir(parents=True)
        (modules / "package.json").write_text(generate.package_json(rng, builder.service))
    counts[kind] += 1


def cognito_stacks(rng: random.Random, out: Path) -> int:
    """The few Cognito stacks; returns how many files define app clients."""
    folder = out / "identity"
    for i, (name, render) in enumerate(
        [("m2m-api/template.yaml", render_yaml), ("partners/template.json", render_json)]
        + [("tokens/template.yaml", render_yaml)]
    ):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Builder(random.Random(rng.getrandbits(64)), 9000 + i).build(8 * 1024, render))
    cdk = folder / "admin-cdk" / "cdk.out" / "AdminStack.template.json"
    cdk.parent.mkdir(parents=True)
    cdk.write_text(Builder(random.Random(rng.getrandbits(64)), 9100).build(6 * 1024, render_json_cdk))
    (folder / "jobs").mkdir()
    (folder / "jobs" / "serverless.yml").write_text(
        "service: jobs\nprovider:\n  name: aws\n  runtime: python3.12\n"
        "resources:\n  Resources:\n    JobsPool:\n      Type: AWS::Cognito::UserPool\n"
        "    JobsClient:\n      Type: AWS::Cognito::UserPoolClient\n      Properties:\n"
        "        UserPoolId: !Ref JobsPool\n        GenerateSecret: true\n"
        "        AllowedOAuthFlowsUserPoolClient: true\n        AllowedOAuthFlows: [client_credentials]\n"
        "        AllowedOAuthScopes: ['jobs/run']\n        AccessTokenValidity: 12\n"
    )
    tf = out / "terraform"
    for sub in ("auth", "billing", "modules/naming", "modules/identity"):
        (tf / sub).mkdir(parents=True)
    # a root defining clients, named through a module that never mentions Cognito
    (tf / "auth" / "main.tf").write_text(
        'module "naming" {\n  source = "../modules/naming"\n  service = "auth"\n}\n\n'
        'resource "aws_cognito_user_pool" "main" {\n  name = module.naming.pool_name\n}\n\n'
        'resource "aws_cognito_user_pool_client" "reports" {\n  name = "${module.naming.prefix}-reports"\n'
        "  user_pool_id = aws_cognito_user_pool.main.id\n  generate_secret = true\n"
        '  allowed_oauth_flows_user_pool_client = true\n  allowed_oauth_flows = ["client_credentials"]\n'
        '  allowed_oauth_scopes = ["reports/read"]\n  access_token_validity = var.ttl_hours\n}\n'
    )
    (tf / "auth" / "variables.tf").write_text('variable "ttl_hours" {\n  default = 24\n}\n')
    (tf / "modules" / "naming" / "main.tf").write_text(
        'variable "service" {}\n\noutput "prefix" {\n  value = "acme-${var.service}"\n}\n\n'
        'output "pool_name" {\n  value = "acme-${var.service}-pool"\n}\n'
    )
    # a root that mentions no Cognito resource, calling a module that defines a pool and a client
    (tf / "billing" / "main.tf").write_text(
        'module "identity" {\n  source = "../modules/identity"\n  ttl    = 48\n}\n'
    )
    (tf / "modules" / "identity" / "main.tf").write_text(
        'variable "ttl" {}\n\nresource "aws_cognito_user_pool" "pool" {\n  name = "billing"\n}\n\n'
        'resource "aws_cognito_user_pool_client" "invoices" {\n  name = "invoices"\n'
        "  user_pool_id = aws_cognito_user_pool.pool.id\n  generate_secret = true\n"
        '  allowed_oauth_flows_user_pool_client = true\n  allowed_oauth_flows = ["client_credentials"]\n'
        '  allowed_oauth_scopes = ["invoices/read"]\n  access_token_validity = var.ttl\n}\n'
    )
    audits = out / "audits"
    audits.mkdir()
    (audits / "partner-client.json").write_text(
        _json(
            {
                "UserPoolClient": {
                    "UserPoolId": "eu-west-1_Partners1",
                    "ClientName": "partner-sync",
                    "ClientId": "3n4b5urk1ft4fl3mg5e62d9ado",
                    "AllowedOAuthFlows": ["client_credentials"],
                    "AllowedOAuthScopes": ["partners/sync"],
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AccessTokenValidity": 1,
                    "TokenValidityUnits": {"AccessToken": "days"},
                }
            }
        )
    )
    (audits / "partner-pool.json").write_text(
        _json({"UserPool": {"Id": "eu-west-1_Partners1", "Name": "partners", "UserPoolTier": "ESSENTIALS"}})
    )
    return 9


def generate_monorepo(out: Path, services: int = 800, seed: int = 1) -> dict[str, int]:
    """Write the repository; returns counts by kind (files defining clients in ``cognito``)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"sam": 0, "cdk": 0, "terraform": 0}
    for index in range(services):
        service(rng, out, index, counts)
    vendor = out / "layers" / "shared" / "python" / "vendor" / "models"
    for name in rng.sample(WORDS, min(len(WORDS), max(2, services // 50))):
        (vendor / name).mkdir(parents=True)
        (vendor / name / "service-2.json").write_text(
            service_model(rng, name, rng.randint(200, 1500), rng.random() < 0.3)
        )
    counts["cognito"] = cognito_stacks(rng, out)
    files = [p for p in out.rglob("*") if p.is_file()]
    counts["files"] = len(files)
    counts["bytes"] = sum(p.stat().st_size for p in files)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", metavar="OUT_DIR")
    parser.add_argument("--services", type=int, default=800, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    args = parser.parse_args(argv)
    counts = generate_monorepo(Path(args.out_dir), args.services, args.seed)
    print(f"{args.out_dir}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
