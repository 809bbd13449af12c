"""Which files found in a directory walk are worth parsing, decided from their raw bytes.

Most files of a real repository (package manifests, Helm values, stacks of functions and
queues) cannot hold a Cognito resource, and parsing them costs more than everything else a scan
does. Each reader recognises its documents by content, one file at a time (none follows a
nested stack, an ``AWS::Include``, a Serverless ``${file()}``), so a file is worth parsing only
when its own text holds what some reader cannot do without:

====================================  ======================================================
reader                                text it cannot do without
====================================  ======================================================
CloudFormation, SAM, CDK, Serverless  ``AWS::Cognito::UserPoolClient``, a resource's ``Type``
                                      (its pools come from its clients' references)
Terraform plan or state JSON          ``aws_cognito_user_pool_client``, a resource's ``type``
describe-user-pool-client output      the key ``UserPoolClient``, ``UserPoolClients`` or
                                      ``UserPoolId``
describe-user-pool output             the key ``UserPool``
saved sweep (inventory)               ``m2mGuardInventory``, its format key (a sweep of a region
                                      without clients still replaces an older one)
====================================  ======================================================

:func:`may_hold` looks for ``AWS::Cognito::``, ``aws_cognito_`` and ``m2mGuardInventory``, and
for ``UserPool``, ``UserPoolClient``, ``UserPoolClients`` or ``UserPoolId`` as a whole word
(``UserPoolArn``, a Cognito authorizer's parameter, is none of them). ``AWS::Cognito::`` and
``aws_cognito_`` also let through every file that DESIGN (semantics 12) says may define Cognito
resources: a broken one fails the run, so it must be parsed to know. Terraform ``.tf`` files are
not judged here: the Terraform reader takes every ``.tf`` file of a folder and decides from the
folders' texts and their local module calls (``may_define`` in m2m_guard/sources/tf_modules.py),
and reads the ``.tfvars`` beside them itself.

A marker may also be spelled with escapes that the YAML or JSON parser decodes
(``"AWS::Cognito::UserPool\\u0043lient"``, or a double-quoted YAML string continued on the next
line after a ``\\``), or sit in a UTF-16 file: such files are decoded, or unescaped, before the
markers are looked for, so that the filter never drops a file a reader would find something in.
"""

from __future__ import annotations

import codecs
import re

#: Text that marks an input as possibly defining Cognito resources (DESIGN, semantics 12).
COGNITO_MARKERS = ("AWS::Cognito::", "aws_cognito_")
#: Looked for as they are (``in``: the common case, a file holding none, costs one fast pass each).
_MARKERS = (b"AWS::Cognito::", b"aws_cognito_", b"m2mGuardInventory")
#: The describe keys as whole words, looked for only in text that holds ``UserPool``. Patterns
#: are compiled by ``re`` when first used: most scans never need them.
_POOL_KEY = rb"UserPool(?:Clients?|Id)?(?![A-Za-z0-9_])"
#: The escapes YAML double-quoted and JSON strings decode into a character a marker has (a
#: letter, a digit, ``:`` or ``_``: ``\\xNN``, ``\\uNNNN``, ``\\UNNNNNNNN``), and YAML's escaped
#: line break, which joins the next line (its indentation dropped) with nothing in between; line
#: breaks as libyaml knows them: CR, LF, CR LF, NEL, LS, PS (UTF-8). No other escape yields a
#: marker's character; one that yields another (``\\u003c`` in Go's JSON) cannot be inside a
#: marker, and is left as it is.
_CHAR = rb"(3[0-9Aa]|4[1-9A-Fa-f]|5[0-9AaFf]|6[1-9A-Fa-f]|7[0-9Aa])"
_ESCAPE = (
    rb"\\(?:u00"
    + _CHAR
    + rb"|x"
    + _CHAR
    + rb"|U000000"
    + _CHAR
    + rb"|(?:\r\n?|\n|\xc2\x85|\xe2\x80[\xa8\xa9])[ \t]*)"
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def may_hold(data: bytes) -> bool:
    """Whether a file with these bytes may hold an app client, a user pool or a saved sweep,
    or mention Cognito resources (then it must be parsed, to fail the run if it is broken)."""
    if data.startswith(_UTF16_BOMS):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:  # reported if it names a Cognito type, like any broken file
            return mentions_cognito(data)
    if _marked(data):
        return True
    if b"\\" not in data:  # (memchr: next to nothing for the files without a backslash)
        return False
    unescaped, escapes = re.subn(_ESCAPE, _unescape, data)
    return escapes > 0 and _marked(unescaped)


def mentions_cognito(data: bytes) -> bool:
    """The text names a Cognito resource type (CloudFormation or Terraform)."""
    return b"AWS::Cognito::" in data or b"aws_cognito_" in data


def _marked(data: bytes) -> bool:
    if b"UserPool" in data and re.search(_POOL_KEY, data) is not None:
        return True
    return _MARKERS[0] in data or _MARKERS[1] in data or _MARKERS[2] in data


def _unescape(match: re.Match[bytes]) -> bytes:
    digits = match.group(1) or match.group(2) or match.group(3)
    return bytes([int(digits, 16)]) if digits else b""
