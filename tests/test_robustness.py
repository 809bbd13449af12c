"""Hostile and broken inputs: one clear line each, no traceback, other files still reported."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.sources import document
from m2m_guard.sources.document import SourceError, parse

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CANARY = "CANARYsecret0123456789abcdefghijklmnopqrstuvwxyz0123456789"

CLIENT = """\
  {name}:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: us-east-1_Example
      ClientName: {name}
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: {ttl}
"""
TEMPLATE = "Resources:\n" + CLIENT.format(name="LongLived", ttl=24)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(TEMPLATE)
    return tmp_path


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def assert_good_still_reported(report: dict[str, Any]) -> None:
    assert any(f["path"] == "good.yaml" and f["rule_id"] == "M2M-TTL-MAX" for f in report["findings"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.yaml",
            b"Resources:\n  X: !Ref [\n  Type: AWS::Cognito::UserPoolClient\n",
            "bad.yaml:4: invalid YAML: ",  # the rest is the YAML parser's own wording
        ),
        (
            "bad.json",
            b'{"Resources": {"X": {"Type": "AWS::Cognito::UserPoolClient"}',
            "bad.json:1: invalid JSON",
        ),
        (
            "bin.template",
            b"\x89PNG\r\n\x1a\n\x00\x00AWS::Cognito::UserPoolClient\xff\xfe",
            "bin.template: not UTF-8 text",
        ),
        (
            "deep.yaml",
            b"Type: AWS::Cognito::UserPoolClient\nx: " + b"[" * 100_000,
            "deep.yaml: nesting deeper than 500 levels",
        ),
        (
            "tag.yaml",
            b"Type: AWS::Cognito::UserPoolClient\nx: !!python/object:os.system {}\n",
            "tag.yaml:2: invalid YAML",
        ),
    ],
)
def test_bad_file_is_one_line_and_others_still_reported(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    (repo / name).write_bytes(content)
    code, report, err = scan_json(capsys)
    assert code == 2
    assert_good_still_reported(report)
    (note,) = report["notifications"]
    assert note["fatal"] and note["path"] == name
    line = f"{name}:{note['line']}: {note['message']}" if note["line"] else f"{name}: {note['message']}"
    assert line.startswith(message)
    assert "\n" not in note["message"] and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        # PyYAML's own constructors raise IndexError / KeyError on these
        ("a: 1\nb: !!int ''\n", "invalid YAML: '' is not a valid int", 2),
        ("a: !!float ''\n", "invalid YAML: '' is not a valid float", 1),
        ("a:\n  b: !!bool maybe\n", "invalid YAML: 'maybe' is not a valid bool", 2),
        # an explicitly tagged integer Python cannot print (str() refuses over 4300 digits)
        ("a: !!int 0x" + "F" * 5000 + "\n", "is too large a number", 1),
        ('{"a":\n ' + "9" * 5000 + "}", "invalid JSON: a number of more than 4300 digits", 2),
        ('{}\n{"a":\n ' + "9" * 5000 + "}", "invalid JSON: a number of more than 4300 digits", 3),
    ],
)
def test_values_the_yaml_or_json_reader_rejects_are_source_errors(text: str, message: str, line: int) -> None:
    with pytest.raises(SourceError) as caught:
        parse("x.yaml", text)
    assert message in caught.value.message and caught.value.line == line


@pytest.mark.parametrize("scalar", ["0x" + "F" * 5000, "1" + ":59" * 3000])
def test_untagged_huge_integers_never_reach_a_record(scalar: str) -> None:
    """Hex and base-60 integers are YAML 1.1 forms: a parser that resolves them must not hand a
    number too large to print to the rules (str() refuses over 4300 digits: a crash in rules);
    one that reads YAML 1.2 keeps the text, which is fine too."""
    try:
        value = parse("x.yaml", f"a: {scalar}\n").data["a"]
    except SourceError as exc:
        assert "is too large a number" in exc.message and exc.line == 1
    else:
        assert value == scalar


def test_yaml_types_outside_json_are_read_as_json_shapes() -> None:
    """No bytes, sets or tuples reach a record: CloudFormation has none of them."""
    text = "b: !!binary aGk=\ns: !!set {x, y}\no: !!omap [{k: 1}]\np: !!pairs [{k: 1}, {k: 2}]\n"
    data = parse("x.yaml", text).data
    assert data == {"b": "aGk=", "s": {"x": None, "y": None}, "o": [{"k": 1}], "p": [{"k": 1}, {"k": 2}]}


def test_huge_numbers_are_input_errors_not_crashes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ttl = "AccessTokenValidity: 24"
    (repo / "hex.yaml").write_text(TEMPLATE.replace(ttl, "AccessTokenValidity: 0x" + "F" * 5000))
    digits = TEMPLATE.replace("LongLived", "Digits").replace(ttl, f'AccessTokenValidity: "{"9" * 5000}"')
    (repo / "digits.yaml").write_text(digits)
    code, report, err = scan_json(capsys)
    assert code == 2, err  # was 3: ValueError from str()/int() of a number over 4300 digits
    assert_good_still_reported(report)
    assert [n["path"] for n in report["notifications"]] == ["hex.yaml"]
    assert any(f["path"] == "digits.yaml" and f["undetermined"] for f in report["findings"])


def test_usage_file_with_a_huge_number_is_one_clear_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "u.json").write_text('{"window_days": 30, "clients": {"svc": ' + "9" * 5000 + "}}")
    code = main(["scan", "--usage", "u.json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "u.json: invalid JSON: a number of more than 4300 digits"  # was "u.json:None: ..."


def test_deep_nesting_never_reaches_the_c_parser(repo: Path) -> None:
    """libyaml segfaults on extreme depth; run in a subprocess so a crash would show as a signal."""
    (repo / "deep.yaml").write_text("Type: AWS::Cognito::UserPoolClient\nx: " + "[" * 100_000 + "]" * 100_000)
    (repo / "deep2.yaml").write_text(
        "AWS::Cognito::\n" + "".join(" " * i + "a:\n" for i in range(0, 6_000, 3))
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "m2m_guard", "scan"], capture_output=True, text=True, env=env)
    assert out.returncode == 2, out.stderr
    assert "deep.yaml: nesting deeper than 500 levels" in out.stdout
    assert "deep2.yaml: indentation deeper than" in out.stdout
    assert "Traceback" not in out.stderr


def test_empty_and_non_iac_files_are_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "empty.yaml").write_text("")
    (repo / "package.json").write_text('{"name": "x", "ClientId": 3}')
    (repo / "values.yaml").write_text("replicas: 3\n")
    code, report, _ = scan_json(capsys)
    assert code == 1 and report["notifications"] == []


@pytest.mark.parametrize("bom", [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_byte_order_marks(repo: Path, capsys: pytest.CaptureFixture[str], bom: bytes) -> None:
    (repo / "good.yaml").unlink()
    encoding = {codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}[
        bom
    ]
    (repo / "bom.yaml").write_bytes(bom + TEMPLATE.encode(encoding))
    code, report, _ = scan_json(capsys)
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert finding["path"] == "bom.yaml" and finding["line"] == 11


def test_yaml_alias_bomb_is_bounded(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = "Metadata:\n" + "".join(f"  {line}\n" for line in levels)
    bomb += TEMPLATE.replace("[orders/read]", "*a9")
    (repo / "bomb.yaml").write_text(bomb)
    code, report, _ = scan_json(capsys)
    assert code == 2
    assert_good_still_reported(report)
    (note,) = report["notifications"]
    assert note["path"] == "bomb.yaml" and note["fatal"]


def test_yaml_merge_key_bomb_is_bounded(repo: Path) -> None:
    """A "billion laughs" through merge keys: nine copies of nine copies ... of one mapping.

    What m2m-guard promises: the scan ends within bounded time and memory, without a traceback,
    and the other files are still reported. Whether the file is refused (a YAML reader that
    expands every merged copy hits m2m-guard's cap on merged entries) or read as the small
    mapping it denotes (a reader that merges each key once) is the YAML reader's business; the
    cap itself is tested on its own below.
    """
    merge = "x0: &x0 {k: 1}\n" + "".join(
        f"x{i}: &x{i} {{<<: [{', '.join([f'*x{i - 1}'] * 9)}]}}\n" for i in range(1, 10)
    )
    (repo / "merge.yaml").write_text("# AWS::Cognito::UserPoolClient\n" + merge)
    out = run_bounded([sys.executable, "-m", "m2m_guard", "scan", "--format", "json"], repo)
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert_good_still_reported(report)
    notes = [n for n in report["notifications"] if n["path"] == "merge.yaml"]
    assert out.returncode == (2 if notes else 1)
    assert all("merge keys expand to too many entries" in n["message"] for n in notes)


def test_merged_entries_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "MAX_MERGED_KEYS", 20)
    base = ", ".join(f"k{i}: {i}" for i in range(12))  # within the cap on its own
    own = ", ".join(f"own{i}: {i}" for i in range(12))
    with pytest.raises(SourceError) as caught:
        parse("x.yaml", f"base: &b {{{base}}}\nclient:\n  {{<<: *b, {own}}}\n")
    assert "merge keys expand to too many entries" in caught.value.message and caught.value.line == 3


def run_bounded(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command with 1 GiB of address space and a minute of CPU: a runaway parse fails the
    test instead of the machine."""

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env, preexec_fn=limit, timeout=120
    )


def test_wrong_property_types_become_notes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = TEMPLATE.replace("AccessTokenValidity: 24", "AccessTokenValidity: [1, 2]").replace(
        "LongLived", "Odd"
    )
    odd = odd.replace("AllowedOAuthScopes: [orders/read]", "AllowedOAuthScopes: {a: 1}")
    (repo / "odd.yaml").write_text(odd)
    (repo / "props.yaml").write_text(
        "Resources:\n  P:\n    Type: AWS::Cognito::UserPoolClient\n    Properties: 5\n"
    )
    code, report, _ = scan_json(capsys)
    assert code == 1
    odd_findings = [f for f in report["findings"] if f["path"] == "odd.yaml"]
    assert odd_findings and all(f["level"] == "note" and f["undetermined"] for f in odd_findings)
    assert any("AccessTokenValidity is a list, not a whole number" in f["message"] for f in odd_findings)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loops_terminate(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "dir").mkdir()
    (repo / "dir" / "up").symlink_to(repo, target_is_directory=True)
    (repo / "loop1.yaml").symlink_to(repo / "loop2.yaml")
    (repo / "loop2.yaml").symlink_to(repo / "loop1.yaml")
    (repo / "alias.yaml").symlink_to(repo / "good.yaml")
    code, report, _ = scan_json(capsys)
    assert code == 1
    ttl = [f["path"] for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert ttl == ["good.yaml"]  # read once, by its real path
    assert main(["scan", "loop1.yaml"]) == 2


def test_template_with_5000_clients(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "".join(CLIENT.format(name=f"C{i}", ttl=24 if i % 2 else 1) for i in range(5000))
    (repo / "big.yaml").write_text("Resources:\n" + body)
    code, report, _ = scan_json(capsys, "big.yaml")
    assert code == 1
    ttl = [f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert len(ttl) == 2500
    assert {f["line"] for f in ttl} == {11 + 10 * i for i in range(1, 5000, 2)}


def _secret_inputs(root: Path) -> None:
    cfn = TEMPLATE.replace("GenerateSecret: true", f"GenerateSecret: true\n      ClientSecret: {CANARY}")
    (root / "cfn.yaml").write_text(cfn)
    describe = {
        "UserPoolClient": {
            "UserPoolId": "us-east-1_Example",
            "ClientName": "described",
            "ClientId": "1example23456789",
            "ClientSecret": CANARY,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": ["orders/read"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AccessTokenValidity": 2,
            "TokenValidityUnits": {"AccessToken": "days"},
        }
    }
    (root / "describe.json").write_text(json.dumps(describe, indent=2))
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_cognito_user_pool_client.svc",
                        "mode": "managed",
                        "type": "aws_cognito_user_pool_client",
                        "name": "svc",
                        "values": {
                            "name": "svc",
                            "user_pool_id": "us-east-1_Example",
                            "client_secret": CANARY,
                            "generate_secret": True,
                            "allowed_oauth_flows": ["client_credentials"],
                            "allowed_oauth_flows_user_pool_client": True,
                            "allowed_oauth_scopes": ["orders/read"],
                            "access_token_validity": 12,
                        },
                    }
                ]
            }
        },
        "resource_changes": [],
    }
    (root / "plan.json").write_text(json.dumps(plan, indent=2))
    # A broken file holding the secret: its error message must not quote it.
    (root / "broken.json").write_text(
        '{"UserPoolClient": {"ClientSecret": "' + CANARY + '", "AWS::Cognito::": '
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_client_secret_never_reaches_output(repo: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    _secret_inputs(repo)
    code = main(["scan", "--format", fmt, "--output", "report.out"])
    out, err = capsys.readouterr()
    assert code == 2  # broken.json
    written = (repo / "report.out").read_text()
    for where in (written, out, err):
        assert CANARY not in where
    assert written.count("M2M-TTL-MAX") >= 3  # the three clients were evaluated


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_real_corpus_scans_without_crashing() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "scan", str(CORPUS), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode in (0, 1, 2), out.stderr
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert report["findings"], "the corpus has client_credentials clients; some must be reported"
    for note in report["notifications"]:
        assert "\n" not in note["message"]


# --- what is read: regular files only, bounded; folders that cannot be listed; file names ----


@pytest.fixture
def no_hang() -> Any:
    """Fails a test that blocks (a FIFO opened for reading waits for a writer) instead of
    hanging the suite."""
    import signal

    if not hasattr(signal, "SIGALRM"):
        pytest.skip("needs SIGALRM")

    def expired(*_: Any) -> None:
        raise TimeoutError("blocked reading an input")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def notes_for(report: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [n for n in report["notifications"] if n["path"] == path]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_never_opened_for_reading(
    repo: Path, capsys: pytest.CaptureFixture[str], no_hang: None
) -> None:
    os.mkfifo(repo / "x.yaml")
    # found in a walk: not IaC, skipped with a warning; the run still passes or fails on findings
    code, report, _ = scan_json(capsys)
    assert code == 1
    assert_good_still_reported(report)
    (note,) = notes_for(report, "x.yaml")
    assert note["level"] == "warning" and not note["fatal"]
    assert note["message"] == "a FIFO, not a regular file: skipped"
    # named on the command line: an error, one line, exit 2
    code, report, err = scan_json(capsys, "x.yaml", "good.yaml")
    assert code == 2
    assert_good_still_reported(report)
    (note,) = notes_for(report, "x.yaml")
    assert note["fatal"] and note["message"] == "a FIFO, not a regular file: not read"
    assert err.count("x.yaml") == 1


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_committed_symlink_to_a_device_is_not_read(
    repo: Path, capsys: pytest.CaptureFixture[str], no_hang: None
) -> None:
    (repo / "z.json").symlink_to("/dev/zero")
    code, report, _ = scan_json(capsys)
    assert code == 1
    assert_good_still_reported(report)
    (note,) = notes_for(report, "z.json")  # named by the link, not by /dev/zero
    assert note["message"] == "a device, not a regular file: skipped" and not note["fatal"]
    code, report, _ = scan_json(capsys, "z.json")
    assert code == 2
    assert notes_for(report, "z.json")[0]["message"] == "a device, not a regular file: not read"
    # nor as a usage file, which a pull request can commit too
    assert main(["scan", "good.yaml", "--usage", "z.json"]) == 2
    assert "z.json: cannot read usage file: a device, not a regular file" in capsys.readouterr().err


def test_at_most_the_size_limit_and_one_byte_is_read(tmp_path: Path) -> None:
    from m2m_guard.files import read_input

    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 1000)
    assert read_input(big, limit=10) == b"x" * 11  # enough to tell it is too large
    assert read_input(big, limit=5000) == b"x" * 1000
    (tmp_path / "empty.json").write_bytes(b"")
    assert read_input(tmp_path / "empty.json") == b""


def test_a_file_over_the_limit_is_reported_not_read_whole(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "policy.yaml").write_text("version: 1\nrules: []\n")
    (repo / "huge.yaml").write_text("Type: AWS::Cognito::UserPoolClient\n" + "x: 1\n" * 100_000)
    monkeypatch.setattr(document, "MAX_BYTES", 1024)
    read: list[int] = []
    real_read = os.read

    def counted(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counted)
    code, report, _ = scan_json(capsys, "huge.yaml", "--policy", "policy.yaml")
    assert code == 2
    (note,) = notes_for(report, "huge.yaml")
    assert note["fatal"] and note["message"].startswith("file is larger than")
    assert sum(read) <= 1025 + len("version: 1\nrules: []\n")  # not the whole 500 KB


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_file_swapped_for_a_fifo_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_hang: None
) -> None:
    """The type is checked again on the opened descriptor, and the open does not wait for a
    writer: a FIFO put in place between the check and the open is refused at once."""
    from m2m_guard.files import NotRegularFile, read_input

    regular = tmp_path / "regular.yaml"
    regular.write_text("a: 1\n")
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    real_stat = os.stat
    with monkeypatch.context() as patch:
        patch.setattr(os, "stat", lambda path, *a, **k: real_stat(regular))  # the check saw a file
        with pytest.raises(NotRegularFile) as caught:
            read_input(fifo)
    assert caught.value.kind == "a FIFO"


def test_a_folder_that_cannot_be_listed_fails_the_run(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = repo / "infra" / "locked"
    locked.mkdir(parents=True)
    (locked / "auth.yaml").write_text(TEMPLATE)
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path).name == "locked":  # what chmod 000 does, also when the tests run as root
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, report, err = scan_json(capsys)
    assert code == 2
    assert_good_still_reported(report)
    (note,) = notes_for(report, "infra/locked")
    assert note["fatal"] and note["message"] == "cannot list folder: Permission denied"
    assert "infra/locked: cannot list folder: Permission denied" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root lists any folder")
def test_a_folder_without_permission_fails_the_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = repo / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        code, report, _ = scan_json(capsys)
    finally:
        locked.chmod(0o755)
    assert code == 2
    assert notes_for(report, "locked")[0]["message"] == "cannot list folder: Permission denied"


def _non_utf8(folder: Path, name: bytes, text: str) -> Path:
    path = os.path.join(os.fsencode(folder), name)
    try:
        with open(path, "wb") as handle:
            handle.write(text.encode())
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses file names that are not UTF-8")
    return Path(os.fsdecode(path))


@pytest.mark.parametrize("fmt", ["sarif", "json", "text"])
def test_a_file_name_that_is_not_utf8_is_reported_safely(
    repo: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    from tests.reporters.support import schema_errors

    _non_utf8(repo, b"caf\xe9.yaml", TEMPLATE)  # Latin-1, as an old tool would write it
    (repo / b"d\xffir".decode("utf-8", "surrogateescape")).mkdir()
    _non_utf8(repo / b"d\xffir".decode("utf-8", "surrogateescape"), b"auth.yaml", TEMPLATE)
    code = main(["scan", "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 1, err  # never 3: every file read, every finding reported
    assert "internal error" not in err
    out.encode("utf-8")  # valid UTF-8 text throughout
    if fmt == "sarif":
        log = json.loads(out)
        assert schema_errors(log) == []
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]
        }
        # the shown name (backslash escapes), percent-encoded as RFC 3986 asks
        assert {"caf%5Cxe9.yaml", "d%5Cxffir/auth.yaml", "good.yaml"} <= uris
    elif fmt == "json":
        paths = {f["path"] for f in json.loads(out)["findings"] if f["rule_id"] == "M2M-TTL-MAX"}
        assert paths == {"caf\\xe9.yaml", "d\\xffir/auth.yaml", "good.yaml"}
    else:
        assert "caf\\xe9.yaml:" in out and "d\\xffir/auth.yaml:" in out


def test_a_broken_file_with_a_name_that_is_not_utf8_is_named_safely(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _non_utf8(repo, b"bad\x80.yaml", "Resources:\n  X: !Ref [\n  Type: AWS::Cognito::UserPoolClient\n")
    code, report, err = scan_json(capsys)
    assert code == 2
    assert_good_still_reported(report)
    (note,) = notes_for(report, "bad\\x80.yaml")
    assert note["fatal"] and "bad\\x80.yaml:4: invalid YAML" in err


def test_safe_path() -> None:
    from m2m_guard.files import safe_path

    assert safe_path("infra/auth.yaml") == "infra/auth.yaml"
    assert safe_path("café/auth.yaml") == "café/auth.yaml"
    assert safe_path(os.fsdecode(b"caf\xe9.yaml")) == "caf\\xe9.yaml"
    assert safe_path("lone\ud800.yaml") == "lone\\ud800.yaml"  # a Windows name with a lone surrogate


# --- saved sweeps: their age and completeness ------------------------------------------------


def _saved_sweep(root: Path, swept_at: str | None, errors: list[str] | None = None) -> Path:
    document: dict[str, Any] = {
        "m2mGuardInventory": 1,
        "account": "111111111111",
        "region": "eu-west-1",
        **({"sweptAt": swept_at} if swept_at is not None else {}),
        **({"errors": errors} if errors else {}),
        "usage": {"countVersion": 2, "windowDays": 30, "sources": [], "tokenRequests": {}},
        "userPools": [
            {
                "Id": "eu-west-1_Pool1",
                "Name": "orders",
                "Arn": "arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_Pool1",
                "ResourceServers": ["orders"],
                "AppClients": [
                    {
                        "ClientId": "1example23456789",
                        "ClientName": "svc",
                        "UserPoolId": "eu-west-1_Pool1",
                        "AllowedOAuthFlows": ["client_credentials"],
                        "AllowedOAuthScopes": ["orders/read"],
                        "AllowedOAuthFlowsUserPoolClient": True,
                        "GenerateSecret": True,
                        "AccessTokenValidity": 1,
                    }
                ],
            }
        ],
    }
    path = root / "inv" / "111111111111" / "eu-west-1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def test_scan_warns_about_saved_sweeps_older_than_a_day(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    from m2m_guard.inputs import collect

    shown = "inv/111111111111/eu-west-1.json"
    _saved_sweep(repo, "2026-11-01T05:17:00Z")
    now = dt.datetime(2026, 11, 4, 6, 0, tzinfo=dt.timezone.utc)
    (note,) = collect(["inv"], repo, now=now).notifications
    assert (note.path, note.level.value, note.fatal) == (shown, "warning", False)
    assert note.message.startswith("saved sweep is 3 days old (swept 2026-11-01T05:17:00Z)")
    assert collect(["inv"], repo, now=now - dt.timedelta(days=2, hours=12)).notifications == []
    # through the command line: a warning on stderr and in the report, not an error
    _saved_sweep(repo, "2020-01-01T00:00:00Z")
    code, report, err = scan_json(capsys, "inv")
    assert code == 0 and f"warning: {shown}: saved sweep is " in err
    assert [(n["level"], n["fatal"]) for n in report["notifications"]] == [("warning", False)]
    # a file that does not say when it was swept is of unknown age
    _saved_sweep(repo, None)
    (note,) = collect(["inv"], repo, now=now).notifications
    assert note.message.startswith("saved sweep of unknown age") and not note.fatal


def test_scan_warns_about_an_incomplete_saved_sweep(repo: Path) -> None:
    import datetime as dt

    from m2m_guard.inputs import collect

    _saved_sweep(repo, "2026-11-01T05:17:00Z", errors=["cannot list the clients of user pool x: denied"])
    now = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc)
    (note,) = collect(["inv"], repo, now=now).notifications
    assert note.message == (
        "incomplete saved sweep: it could not read everything there: "
        "cannot list the clients of user pool x: denied"
    )
    assert not note.fatal


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_a_lone_surrogate_in_a_logical_id_is_reported_not_a_crash(
    repo: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """JSON can spell a lone surrogate ("\\udcff"), which no UTF-8 encoder accepts as is."""
    template = {
        "Resources": {
            "Bad\udcffClient": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {
                    "UserPoolId": "us-east-1_Example",
                    "GenerateSecret": True,
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["client_credentials"],
                    "AllowedOAuthScopes": ["orders/read"],
                    "AccessTokenValidity": 24,
                },
            }
        }
    }
    (repo / "surrogate.json").write_text(json.dumps(template))  # ensure_ascii: "\udcff" escapes
    code = main(["scan", "--format", fmt, "--output", f"out.{fmt}"])
    assert code == 1, capsys.readouterr().err
    shown = (repo / f"out.{fmt}").read_text(encoding="utf-8")
    assert "Bad\\udcffClient" in shown or "Bad\\\\udcffClient" in shown


def test_a_policy_that_is_not_a_regular_file_is_an_error_not_the_default_pack(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(repo / ".m2m-guard.yaml")
    code = main(["scan", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2 and ".m2m-guard.yaml" in err and "not a regular file" in err
