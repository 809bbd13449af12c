"""Generate a synthetic repository of CloudFormation templates for the scan benchmark.

    python bench/generate.py OUT_DIR [--templates N] [--seed S]

The output is deterministic for a given seed and N (same bytes, same paths). About two thirds
of the templates are YAML written with short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...),
the rest JSON with long-form intrinsics (some shaped like ``cdk synth`` output). Each template
has Parameters, a UserPool, a resource server and one to four UserPoolClients (M2M clients
with ``client_credentials`` and assorted access-token TTLs and units, scopes written as
``!Sub "${Api}/read"``, plus user-facing clients), padded with unrelated resources (Lambda
functions with inline code, IAM roles, S3 buckets, DynamoDB tables, queues, log groups) to
3-15 KB like real templates. A few non-template files (package.json, tsconfig.json, config
YAML) sit in the nested folders too, as in a real repository.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

MIN_BYTES = 3 * 1024
MAX_BYTES = 15 * 1024


# -- intrinsic functions: one object, written short-form in YAML, long-form in JSON ----------


class Fn:
    """An intrinsic: ``Fn("Sub", "x-${Stage}")`` is ``!Sub`` in YAML, ``Fn::Sub`` in JSON."""

    __slots__ = ("name", "arg")

    def __init__(self, name: str, arg: object) -> None:
        self.name = name
        self.arg = arg

    def long_form(self) -> dict[str, Any]:
        if self.name == "Ref":
            return {"Ref": to_json(self.arg)}
        if self.name == "GetAtt":
            return {"Fn::GetAtt": str(self.arg).split(".", 1)}
        if self.name == "Condition":
            return {"Condition": self.arg}
        return {"Fn::" + self.name: to_json(self.arg)}


def Ref(name: str) -> Fn:  # noqa: N802 - reads like the template
    return Fn("Ref", name)


def Sub(text: str, variables: dict[str, Any] | None = None) -> Fn:  # noqa: N802
    return Fn("Sub", text if variables is None else [text, variables])


def GetAtt(target: str) -> Fn:  # noqa: N802
    return Fn("GetAtt", target)


def to_json(value: object) -> object:
    if isinstance(value, Fn):
        return value.long_form()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


# -- a small block-style YAML writer (PyYAML cannot emit short-form tags this way) -------------

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_ ./:@()+=-]*$")
_FLOW_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_RESERVED = frozenset(
    [
        "y",
        "n",
        "yes",
        "no",
        "true",
        "false",
        "on",
        "off",
        "null",
        "~",
        "Y",
        "N",
        "Yes",
        "No",
        "True",
        "False",
        "On",
        "Off",
        "Null",
        "YES",
        "NO",
        "TRUE",
        "FALSE",
        "ON",
        "OFF",
        "NULL",
    ]
)


def _scalar(value: object, quote: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if (
        not quote
        and _PLAIN.match(text)
        and text not in _RESERVED
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
    ):
        return text
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def _flow(value: object) -> str:
    if isinstance(value, Fn):
        return _tag(value)
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    # Flow context: anything beyond a bare word is quoted (":" "," "[" "{" are special there).
    return _scalar(value, quote=isinstance(value, str) and not _FLOW_PLAIN.match(value))


def _tag(fn: Fn) -> str:
    arg = fn.arg
    if fn.name == "Sub" and isinstance(arg, str):
        return f"!Sub {json.dumps(arg)}" if ("${" in arg or " " in arg) else f"!Sub {arg}"
    if isinstance(arg, str):
        return f"!{fn.name} {_scalar(arg)}"
    return f"!{fn.name} {_flow(arg)}"


def _simple(value: object) -> bool:
    """Written on the key's line: scalars, tags, short flow lists of scalars."""
    if isinstance(value, Fn):
        return True  # short-form tags stay on the key's line, however long
    if isinstance(value, list):
        return (
            0 < len(value) <= 4
            and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value)
            and sum(len(str(v)) for v in value) < 60
        )
    return not isinstance(value, (dict, list))


def _block(value: object, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, Comment):
                out.append(f"{pad}# {key.text}")
                continue
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, str) and "\n" in item:
                out.append(f"{head} |")
                out.extend((" " * (indent + 2) + line).rstrip() for line in item.rstrip("\n").split("\n"))
            elif _simple(item):
                out.append(f"{head} {_flow(item) if isinstance(item, (list, Fn)) else _scalar(item)}")
            elif isinstance(item, (dict, list)) and not item:
                out.append(f"{head} {'{}' if isinstance(item, dict) else '[]'}")
            else:
                out.append(head)
                # Lists under a key: indented by two (the common CloudFormation style).
                _block(item, indent + 2, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _block(item, indent + 2, sub)
                first = sub[0][indent + 2 :]
                out.append(f"{pad}- {first}")
                out.extend(sub[1:])
            elif isinstance(item, list):
                out.append(f"{pad}- {_flow(item)}")
            else:
                out.append(f"{pad}- {_flow(item) if isinstance(item, Fn) else _scalar(item)}")
    else:
        out.append(pad + _scalar(value))


class Comment:
    """A dict key that becomes a ``# comment`` line in YAML and is dropped in JSON."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def drop_comments(value: object) -> object:
    if isinstance(value, dict):
        return {k: drop_comments(v) for k, v in value.items() if not isinstance(k, Comment)}
    if isinstance(value, list):
        return [drop_comments(v) for v in value]
    if isinstance(value, Fn):
        return Fn(value.name, drop_comments(value.arg))
    return value


def to_yaml(template: dict[str, Any]) -> str:
    out: list[str] = []
    for index, (key, section) in enumerate(template.items()):
        if index and isinstance(section, dict):
            out.append("")
        _block({key: section}, 0, out)
    return "\n".join(out) + "\n"


# -- template content -----------------------------------------------------------------------

WORDS = [
    "orders",
    "billing",
    "payments",
    "inventory",
    "shipping",
    "catalog",
    "search",
    "reports",
    "ledger",
    "audit",
    "notifications",
    "identity",
    "pricing",
    "checkout",
    "returns",
    "analytics",
    "ingest",
    "export",
    "partner",
    "webhooks",
    "scheduler",
    "metering",
    "invoices",
    "refunds",
    "loyalty",
    "claims",
    "quotes",
    "fleet",
    "telemetry",
]
TEAMS = ["platform", "core", "commerce", "data", "edge", "finance", "growth", "infra", "ops", "security"]
RUNTIMES = ("python3.12", "python3.11", "nodejs20.x", "nodejs18.x")
UNITS = ("minutes", "hours", "days", "seconds")

PY_HANDLER = """import json
import os
import logging

import boto3

LOG = logging.getLogger()
LOG.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    LOG.info("event %s", json.dumps(event)[:{n}])
    body = json.loads(event.get("body") or "{{}}")
    item = {{"pk": body.get("id", context.aws_request_id), "kind": "{word}"}}
    TABLE.put_item(Item=item)
    return {{"statusCode": 200, "body": json.dumps({{"ok": True, "id": item["pk"]}})}}
"""

JS_HANDLER = """const {{ DynamoDBClient, PutItemCommand }} = require("@aws-sdk/client-dynamodb");
const client = new DynamoDBClient({{}});

exports.handler = async (event) => {{
  console.log("{word} event", JSON.stringify(event).slice(0, {n}));
  const body = JSON.parse(event.body || "{{}}");
  await client.send(new PutItemCommand({{
    TableName: process.env.TABLE_NAME,
    Item: {{ pk: {{ S: body.id || event.requestContext.requestId }}, kind: {{ S: "{word}" }} }},
  }}));
  return {{ statusCode: 200, body: JSON.stringify({{ ok: true }}) }};
}};
"""


class Builder:
    """Builds one template as Python data (with Fn objects), in a realistic shape."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.service = rng.choice(WORDS)
        self.team = rng.choice(TEAMS)
        self.resources: dict[Any, Any] = {}  # str keys, and Comment markers
        self.outputs: dict[str, Any] = {}

    def pick(self, *options: Any) -> Any:
        return self.rng.choice(options)

    # ---- sections ----

    def parameters(self) -> dict[str, Any]:
        rng = self.rng
        params: dict[str, Any] = {
            "Stage": {
                "Type": "String",
                "Default": self.pick("prod", "dev", "staging", "test"),
                "AllowedValues": ["dev", "test", "staging", "prod"],
                "Description": "Deployment stage",
            },
            "ServiceName": {"Type": "String", "Default": self.service},
        }
        if rng.random() < 0.5:
            params["ApiIdentifier"] = {
                "Type": "String",
                "Default": f"https://api.example.com/{self.service}",
                "Description": "Resource server identifier (URI)",
            }
        if rng.random() < 0.4:
            params["TokenMinutes"] = {
                "Type": "Number",
                "Default": rng.choice([5, 15, 30, 60, 120]),
                "MinValue": 5,
                "MaxValue": 1440,
            }
        if rng.random() < 0.5:
            params["LogRetentionDays"] = {"Type": "Number", "Default": rng.choice([7, 14, 30, 90, 365])}
        if rng.random() < 0.3:
            params["VpcSubnetIds"] = {
                "Type": "List<AWS::EC2::Subnet::Id>",
                "Description": "Subnets for the functions",
            }
        if rng.random() < 0.3:
            params["AlarmEmail"] = {"Type": "String", "Default": f"{self.team}-oncall@example.com"}
        return params

    def cognito(self, params: dict[str, Any]) -> None:
        rng = self.rng
        r = self.resources
        r[Comment("--- Cognito -------------------------------------------------------")] = None
        pool = {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": Sub("${ServiceName}-${Stage}-users"),
                "UsernameAttributes": ["email"],
                "AutoVerifiedAttributes": ["email"],
                "MfaConfiguration": self.pick("OFF", "OPTIONAL", "ON"),
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": rng.choice([8, 10, 12, 14]),
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": rng.random() < 0.5,
                        "TemporaryPasswordValidityDays": 7,
                    }
                },
                "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
                "Schema": [
                    {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": True},
                    {
                        "Name": "tenant_id",
                        "AttributeDataType": "String",
                        "Mutable": False,
                        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
                    },
                ],
                "UserPoolTags": {"team": self.team, "service": self.service},
            },
        }
        if rng.random() < 0.3:
            pool["DeletionPolicy"] = "Retain"
            pool["UpdateReplacePolicy"] = "Retain"
        r["UserPool"] = pool
        r["UserPoolDomain"] = {
            "Type": "AWS::Cognito::UserPoolDomain",
            "Properties": {
                "Domain": Sub("${ServiceName}-${Stage}-" + str(self.index)),
                "UserPoolId": Ref("UserPool"),
            },
        }
        identifier = Ref("ApiIdentifier") if "ApiIdentifier" in params else Sub("${ServiceName}-api-${Stage}")
        scopes = [
            {"ScopeName": name, "ScopeDescription": f"{name.title()} access to {self.service}"}
            for name in ["read", "write", "admin"][: rng.randint(2, 3)]
        ]
        r["Api"] = {
            "Type": "AWS::Cognito::UserPoolResourceServer",
            "Properties": {
                "UserPoolId": Ref("UserPool"),
                "Identifier": identifier,
                "Name": Sub("${ServiceName} API"),
                "Scopes": scopes,
            },
        }
        for n in range(rng.randint(1, 4)):
            self.client(n, params, [s["ScopeName"] for s in scopes])

    def client(self, n: int, params: dict[str, Any], scopes: list[str]) -> None:
        rng = self.rng
        m2m = n == 0 and rng.random() < 0.85 or n > 0 and rng.random() < 0.55
        name = f"{rng.choice(WORDS).title()}{'Service' if m2m else 'Web'}Client"
        while name in self.resources:
            name = name.replace("Client", "2Client")
        pool_id = rng.choice([Ref("UserPool"), Ref("UserPool"), GetAtt("UserPool.UserPoolId")])
        if m2m:
            props: dict[str, Any] = {
                "UserPoolId": pool_id,
                "ClientName": Sub("${ServiceName}-" + name.lower() + "-${Stage}"),
                "GenerateSecret": rng.random() < 0.95,
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": [
                    Sub("${Api}/" + s) for s in rng.sample(scopes, rng.randint(1, len(scopes)))
                ],
            }
            roll = rng.random()
            if roll < 0.08:
                props["AllowedOAuthScopes"].append("openid")  # a user scope on an M2M client
            elif roll < 0.12:
                props["AllowedOAuthScopes"] = [Sub("${Api}/*")]
            elif roll < 0.16:
                props["AllowedOAuthScopes"].append("https://unknown.example.com/read")
            roll = rng.random()
            if roll < 0.15 and "TokenMinutes" in params:
                props["AccessTokenValidity"] = Ref("TokenMinutes")
                props["TokenValidityUnits"] = {"AccessToken": "minutes"}
            elif roll < 0.25:
                props["AccessTokenValidity"] = rng.choice([1, 2, 8, 24])  # hours, no units
            elif roll < 0.9:
                unit = rng.choice(UNITS)
                value = {
                    "minutes": [3, 5, 15, 30, 60, 90],
                    "hours": [1, 2, 12, 24],
                    "days": [1, 2],
                    "seconds": [300, 900, 3600, 7200],
                }[unit]
                props["AccessTokenValidity"] = rng.choice(value)
                props["TokenValidityUnits"] = {"AccessToken": unit}
            if rng.random() < 0.1:
                props["ExplicitAuthFlows"] = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
            if rng.random() < 0.05:
                props["AllowedOAuthFlows"] = ["client_credentials", "code"]
                props["CallbackURLs"] = ["https://app.example.com/callback"]
            props["PreventUserExistenceErrors"] = "ENABLED"
            props["EnableTokenRevocation"] = True
        else:
            props = {
                "UserPoolId": pool_id,
                "ClientName": Sub("${ServiceName}-web-${Stage}"),
                "GenerateSecret": False,
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid", "email", "profile"],
                "CallbackURLs": [
                    Sub("https://${ServiceName}.example.com/auth/callback"),
                    "http://localhost:3000/auth/callback",
                ],
                "LogoutURLs": [Sub("https://${ServiceName}.example.com/")],
                "SupportedIdentityProviders": ["COGNITO"],
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "AccessTokenValidity": 60,
                "IdTokenValidity": 60,
                "RefreshTokenValidity": 30,
                "TokenValidityUnits": {
                    "AccessToken": "minutes",
                    "IdToken": "minutes",
                    "RefreshToken": "days",
                },
                "PreventUserExistenceErrors": "ENABLED",
            }
        self.resources[name] = {"Type": "AWS::Cognito::UserPoolClient", "Properties": props}
        self.outputs[f"{name}Id"] = {
            "Description": f"App client id of {name}",
            "Value": Ref(name),
            "Export": {"Name": Sub("${AWS::StackName}-" + name)},
        }

    # ---- unrelated resources ----

    def filler(self) -> tuple[str, dict[str, Any]]:
        kind = self.rng.choices(
            ["function", "role", "bucket", "table", "queue", "loggroup", "topic"],
            weights=[4, 3, 3, 2, 2, 1, 1],
        )[0]
        word = self.rng.choice(WORDS).title()
        name = f"{word}{kind.title()}"
        suffix = 2
        while name in self.resources:
            name, suffix = f"{word}{kind.title()}{suffix}", suffix + 1
        return name, getattr(self, "_" + kind)(name, word.lower())

    def _function(self, name: str, word: str) -> dict[str, Any]:
        rng = self.rng
        runtime = rng.choice(RUNTIMES)
        code = (PY_HANDLER if runtime.startswith("python") else JS_HANDLER).format(
            word=word, n=rng.randint(200, 2000)
        )
        props: dict[str, Any] = {
            "FunctionName": Sub("${ServiceName}-" + word + "-${Stage}"),
            "Runtime": runtime,
            "Handler": "index.handler",
            "MemorySize": rng.choice([128, 256, 512, 1024]),
            "Timeout": rng.choice([3, 10, 30, 60]),
            "Role": GetAtt(name.replace("Function", "") + "Role.Arn")
            if rng.random() < 0.5
            else GetAtt("LambdaRole.Arn"),
            "Environment": {
                "Variables": {
                    "TABLE_NAME": Ref("Table")
                    if rng.random() < 0.5
                    else Sub("${ServiceName}-${Stage}-" + word),
                    "STAGE": Ref("Stage"),
                    "LOG_LEVEL": rng.choice(["INFO", "DEBUG", "WARNING"]),
                    "POWERTOOLS_SERVICE_NAME": Ref("ServiceName"),
                }
            },
            "Tags": [{"Key": "team", "Value": self.team}, {"Key": "component", "Value": word}],
        }
        if rng.random() < 0.6:
            props["Code"] = {"ZipFile": code}
        else:
            props["Code"] = {
                "S3Bucket": Sub("${ServiceName}-artifacts-${AWS::AccountId}"),
                "S3Key": f"lambda/{word}/{rng.randrange(16**8):08x}.zip",
            }
        if rng.random() < 0.3:
            props["TracingConfig"] = {"Mode": "Active"}
        return {"Type": "AWS::Lambda::Function", "Properties": props}

    def _role(self, name: str, word: str) -> dict[str, Any]:
        rng = self.rng
        statements = [
            {
                "Effect": "Allow",
                "Action": rng.sample(
                    [
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:BatchWriteItem",
                    ],
                    3,
                ),
                "Resource": [
                    Sub(
                        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ServiceName}-*"
                    ),
                    Sub(
                        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ServiceName}-*/index/*"
                    ),
                ],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "sqs:SendMessage",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                ],
                "Resource": Sub(
                    "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${ServiceName}-*"
                ),
            },
        ]
        if rng.random() < 0.5:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": Sub("arn:${AWS::Partition}:s3:::${ServiceName}-" + word + "-*/*"),
                }
            )
        return {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": Sub("${ServiceName}-" + word + "-${Stage}-${AWS::Region}"),
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": ["lambda.amazonaws.com"]},
                            "Action": ["sts:AssumeRole"],
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                ],
                "Policies": [
                    {
                        "PolicyName": f"{word}-access",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                    }
                ],
                "Tags": [{"Key": "team", "Value": self.team}],
            },
        }

    def _bucket(self, name: str, word: str) -> dict[str, Any]:
        rng = self.rng
        props: dict[str, Any] = {
            "BucketName": Sub("${ServiceName}-" + word + "-${Stage}-${AWS::AccountId}"),
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {"SSEAlgorithm": rng.choice(["AES256", "aws:kms"])},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-noncurrent",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": rng.choice([30, 60, 90])},
                    },
                    {
                        "Id": "archive",
                        "Status": "Enabled",
                        "Prefix": "archive/",
                        "Transitions": [
                            {"StorageClass": "GLACIER", "TransitionInDays": rng.choice([90, 180, 365])}
                        ],
                    },
                ]
            },
            "Tags": [
                {"Key": "team", "Value": self.team},
                {"Key": "data-class", "Value": rng.choice(["internal", "confidential"])},
            ],
        }
        if rng.random() < 0.3:
            props["NotificationConfiguration"] = {
                "QueueConfigurations": [{"Event": "s3:ObjectCreated:*", "Queue": GetAtt("IngestQueue.Arn")}]
            }
        return {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": props}

    def _table(self, name: str, word: str) -> dict[str, Any]:
        return {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": Sub("${ServiceName}-${Stage}-" + word),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                    {"AttributeName": "gsi1pk", "AttributeType": "S"},
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "gsi1",
                        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            },
        }

    def _queue(self, name: str, word: str) -> dict[str, Any]:
        return {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": Sub("${ServiceName}-${Stage}-" + word),
                "VisibilityTimeout": self.rng.choice([30, 60, 180, 900]),
                "MessageRetentionPeriod": 1209600,
                "KmsMasterKeyId": "alias/aws/sqs",
                "RedrivePolicy": {"deadLetterTargetArn": GetAtt("DeadLetterQueue.Arn"), "maxReceiveCount": 5},
            },
        }

    def _loggroup(self, name: str, word: str) -> dict[str, Any]:
        return {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": Sub("/aws/lambda/${ServiceName}-" + word + "-${Stage}"),
                "RetentionInDays": self.rng.choice([7, 14, 30, 90]),
            },
        }

    def _topic(self, name: str, word: str) -> dict[str, Any]:
        return {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": Sub("${ServiceName}-" + word + "-alarms"),
                "Subscription": [{"Protocol": "email", "Endpoint": f"{self.team}-oncall@example.com"}],
            },
        }

    # ---- whole template ----

    def build(self, target: int, render: Callable[[dict[str, Any]], str]) -> str:
        rng = self.rng
        params = self.parameters()
        template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
        if rng.random() < 0.25:
            template["Transform"] = "AWS::Serverless-2016-10-31"
        template["Description"] = (
            f"{self.service.title()} service ({self.team} team): API, identity and storage."
        )
        template["Parameters"] = params
        if rng.random() < 0.4:
            template["Conditions"] = {"IsProd": Fn("Equals", [Ref("Stage"), "prod"])}
        if rng.random() < 0.2:
            template["Mappings"] = {
                "StageConfig": {
                    "dev": {"LogLevel": "DEBUG", "Memory": 256},
                    "prod": {"LogLevel": "INFO", "Memory": 1024},
                }
            }
        template["Resources"] = self.resources
        template["Outputs"] = self.outputs
        self.cognito(params)
        self.resources[Comment("--- Application ---------------------------------------------------")] = None
        text = render(template)
        while len(text.encode()) < target:
            name, body = self.filler()
            self.resources[name] = body
            if rng.random() < 0.3:
                self.outputs[f"{name}Arn"] = {"Value": GetAtt(name + ".Arn")}
            text = render(template)
            if len(text.encode()) > MAX_BYTES:  # never overshoot the realistic range
                del self.resources[name]
                self.outputs.pop(f"{name}Arn", None)
                text = render(template)
                break
        return text


def render_yaml(template: dict[str, Any]) -> str:
    return to_yaml(template)


def render_json(template: dict[str, Any]) -> str:
    return json.dumps(to_json(drop_comments(template)), indent=2) + "\n"


def render_json_cdk(template: dict[str, Any]) -> str:
    """``cdk synth`` style: one-space indent and an ``aws:cdk:path`` Metadata on every resource."""
    data = to_json(drop_comments(template))
    for logical_id, body in data["Resources"].items():  # type: ignore[index]
        body["Metadata"] = {"aws:cdk:path": f"Stack/{logical_id}/Resource"}
    return json.dumps(data, indent=1) + "\n"


# -- non-template files -------------------------------------------------------------------


def package_json(rng: random.Random, name: str) -> str:
    deps = {
        d: f"^{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        for d in rng.sample(
            [
                "aws-cdk-lib",
                "constructs",
                "@aws-sdk/client-dynamodb",
                "esbuild",
                "typescript",
                "jest",
                "eslint",
                "zod",
                "axios",
            ],
            5,
        )
    }
    return (
        json.dumps(
            {
                "name": name,
                "version": "1.0.0",
                "private": True,
                "scripts": {"build": "tsc", "test": "jest", "deploy": "sam deploy"},
                "dependencies": deps,
            },
            indent=2,
        )
        + "\n"
    )


def config_yaml(rng: random.Random, name: str) -> str:
    return (
        f"# settings for {name}\n"
        f"service: {name}\n"
        f"owner: {rng.choice(TEAMS)}\n"
        "environments:\n"
        + "".join(
            f"  {env}:\n    replicas: {rng.randint(1, 6)}\n    log_level: info\n"
            for env in ("dev", "staging", "prod")
        )
        + "alerts:\n  - latency_p99_ms: 800\n  - error_rate: 0.01\n"
    )


def tsconfig(rng: random.Random, name: str) -> str:
    return (
        json.dumps(
            {
                "compilerOptions": {
                    "target": "ES2022",
                    "module": "commonjs",
                    "strict": True,
                    "outDir": "dist",
                },
                "include": ["src"],
            },
            indent=2,
        )
        + "\n"
    )


def generate(out: Path, templates: int = 2000, seed: int = 1) -> dict[str, int]:
    """Write the synthetic repository; returns counts by kind."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"yaml": 0, "json": 0, "other": 0, "bytes": 0}
    for i in range(templates):
        trng = random.Random(rng.getrandbits(64))
        builder = Builder(trng, i)
        area = trng.choice(["services", "stacks", "infra", "apps"])
        folder = out / area / f"{builder.team}" / f"{builder.service}-{i:04d}"
        style = trng.random()
        # Sizes: skewed toward the small end, like real repositories.
        target = int(MIN_BYTES + (MAX_BYTES - MIN_BYTES - 1024) * trng.random() ** 1.7)
        if style < 0.65:
            render, name, kind = (
                render_yaml,
                trng.choice(["template.yaml", "template.yml", "stack.yaml", "cfn/api.yaml"]),
                "yaml",
            )
        elif style < 0.9:
            render, name, kind = render_json, trng.choice(["template.json", "stack.template.json"]), "json"
        else:
            render, name, kind = (
                render_json_cdk,
                f"cdk.out/{builder.service.title()}Stack.template.json",
                "json",
            )
        text = builder.build(target, render)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counts[kind] += 1
        counts["bytes"] += len(text.encode())
        if trng.random() < 0.06:  # a few non-template files among them
            maker, other = trng.choice(
                [
                    (package_json, "package.json"),
                    (config_yaml, "config/settings.yaml"),
                    (tsconfig, "tsconfig.json"),
                ]
            )
            extra = folder / other
            extra.parent.mkdir(parents=True, exist_ok=True)
            extra.write_text(maker(trng, builder.service), encoding="utf-8")
            counts["other"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", metavar="OUT_DIR")
    parser.add_argument("--templates", type=int, default=2000, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    args = parser.parse_args(argv)
    counts = generate(Path(args.out_dir), args.templates, args.seed)
    print(
        f"{args.out_dir}: {counts['yaml']} YAML + {counts['json']} JSON templates "
        f"({counts['bytes'] / 1e6:.1f} MB), {counts['other']} other files",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
