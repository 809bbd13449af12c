"""Fuzzing over mutated copies of the real-world corpus (``../shared/corpus``, when present).

Every corpus file gets ``M2M_GUARD_FUZZ_ROUNDS`` (default 4) seeded mutants, each 1-3 byte- or
structure-level edits: truncation, byte flips, line deletion and duplication, indentation
changes, swapped keys, injected ``!Ref``/intrinsics/anchors, deep nesting, huge numbers, NUL
bytes, byte order marks, line-ending changes. Each mutant is scanned in-process through
:func:`m2m_guard.inputs.collect`: no exception may escape, every notification is one line, and
every client record holds only normalized values. A failure names the file, the round and the
edits, so ``M2M_GUARD_FUZZ_ROUNDS=50`` runs can be replayed exactly.
"""

from __future__ import annotations

import codecs
import os
import random
import re
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from m2m_guard.inputs import EXTENSIONS, collect
from tests.invariants import assert_one_line, record_problems

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ROUNDS = int(os.environ.get("M2M_GUARD_FUZZ_ROUNDS", "4"))
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in EXTENSIONS) if CORPUS.is_dir() else []

Mutation = Callable[[random.Random, bytes], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def delete_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    start = rng.randrange(len(lines))
    del lines[start : start + rng.randint(1, 3)]
    return b"".join(lines)


def duplicate_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    start = rng.randrange(len(lines))
    block = lines[start : start + rng.randint(1, 4)]
    lines[start:start] = block
    return b"".join(lines)


def reindent(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    start = rng.randrange(len(lines))
    end = start + rng.randint(1, 6)
    how = rng.choice([b" ", b"  ", b"\t", b"-", b"unindent"])
    for i in range(start, min(end, len(lines))):
        if how == b"unindent":
            lines[i] = re.sub(rb"^ {1,2}", b"", lines[i])
        else:
            lines[i] = how + lines[i]
    return b"".join(lines)


def swap_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


_KEY = re.compile(rb'^(\s*-?\s*"?)([A-Za-z_][\w:.-]*)("?\s*[:=])', re.MULTILINE)


def swap_keys(rng: random.Random, data: bytes) -> bytes:
    """Two ``key:`` (or ``key =``) lines exchange their keys, keeping their values."""
    keys = list(_KEY.finditer(data))
    if len(keys) < 2:
        return data
    a, b = sorted(rng.sample(keys, 2), key=lambda m: m.start())
    return data[: a.start(2)] + b.group(2) + data[a.end(2) : b.start(2)] + a.group(2) + data[b.end(2) :]


_INJECTIONS = [
    b"!Ref Nowhere ",
    b"!Ref AWS::NoValue ",
    b"!Sub '${Missing}' ",
    b"!If [Nope, 1, 2] ",
    b"!GetAtt ",
    b"!Select [9, !Split [',', 'a']] ",
    b'{"Ref": "Nowhere"} ',
    b'{"Fn::If": ["C", {"Ref": "AWS::NoValue"}, 1]} ',
    b"&anchor ",
    b"*anchor ",
    b"<<: *anchor\n",
    b"!!binary ",
    b"!!int ",
    b"!!set ",
    b"${var.missing} ",
    b"${self:custom.stage}",
    b"{{resolve:ssm:/x}}",
    b"? ",
    b"%TAG ! tag:x,2000:\n---\n",
]


def inject(rng: random.Random, data: bytes) -> bytes:
    """An intrinsic, tag, anchor or interpolation right after a ``key:`` (or anywhere)."""
    anchors = [m.end() for m in re.finditer(rb"[:=] ?", data)]
    at = rng.choice(anchors) if anchors and rng.random() < 0.8 else rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(_INJECTIONS) + data[at:]


def deep_nesting(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([40, 200, 499, 501, 2_000, 20_000])
    if rng.random() < 0.5:
        opener, closer = rng.choice([(b"[", b"]"), (b"{a: ", b"}"), (b'{"a": ', b"}"), (b"(", b")")])
        nested = opener * depth + b"1" + closer * depth
    else:  # block nesting by indentation (YAML) or nested blocks (HCL)
        nested = b"\n" + b"".join(b"  " * i + b"k%d:\n" % i for i in range(min(depth, 3_000)))
    anchors = [m.end() for m in re.finditer(rb"[:=] ?", data)] or [len(data)]
    at = rng.choice(anchors)
    return data[:at] + nested + data[at:]


def huge_number(rng: random.Random, data: bytes) -> bytes:
    numbers = list(re.finditer(rb"\b[0-9]+\b", data))
    big = rng.choice(
        [b"9" * 40, b"9" * 5_000, b"1e999", b"-1e999", b"0x", b"1_000", b"-0", b".nan", b"1:2:3"]
    )
    if not numbers:
        return data + b"\nn: " + big + b"\n"
    m = rng.choice(numbers)
    return data[: m.start()] + big + data[m.end() :]


def nul_bytes(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" * rng.randint(1, 3) + data[at:]


def byte_order_mark(rng: random.Random, data: bytes) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return codecs.BOM_UTF8 + data
    if choice == 1:  # a real UTF-16 file
        try:
            return data.decode("utf-8").encode("utf-16")
        except UnicodeDecodeError:
            return codecs.BOM_UTF16_LE + data
    if choice == 2:  # a UTF-16 mark on UTF-8 bytes
        return rng.choice([codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]) + data
    if choice == 3:  # two marks
        return codecs.BOM_UTF8 + codecs.BOM_UTF8 + data
    at = rng.randrange(len(data) + 1)  # a mark in the middle
    return data[:at] + "\ufeff".encode() + data[at:]


def line_endings(rng: random.Random, data: bytes) -> bytes:
    return data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n\n", b"\x85", "\u2028".encode()]))


MUTATIONS: list[Mutation] = [
    truncate,
    flip_bytes,
    delete_lines,
    duplicate_lines,
    reindent,
    swap_lines,
    swap_keys,
    inject,
    deep_nesting,
    huge_number,
    nul_bytes,
    byte_order_mark,
    line_endings,
]


def mutant(path: Path, round_: int) -> tuple[bytes, list[str]]:
    """The ``round_``-th mutant of a corpus file, and the names of the edits that made it."""
    rng = random.Random(f"{path.name}#{round_}")  # str seeds are stable across runs
    data = path.read_bytes()
    applied = []
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(MUTATIONS)
        data = mutation(rng, data)
        applied.append(mutation.__name__)
    return data, applied


@pytest.mark.skipif(not FILES, reason="../shared/corpus not present")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_mutated_corpus_file(path: Path, tmp_path: Path) -> None:
    problems: list[str] = []
    for round_ in range(ROUNDS):
        data, applied = mutant(path, round_)
        where = f"{path.name} round {round_} ({', '.join(applied)})"
        folder = tmp_path / str(round_)  # one folder each: .tf files of a folder form a module
        folder.mkdir()
        target = folder / path.name
        target.write_bytes(data)
        try:
            out = collect([str(target)], tmp_path)
        except Exception:  # an escaped exception is the failure this test looks for
            problems.append(f"{where}: {traceback.format_exc(limit=-4)}")
            continue
        try:
            assert_one_line(out.notifications)
        except AssertionError as exc:
            problems.append(f"{where}: {exc}")
        for client in out.clients:
            found = record_problems(client)
            if found:
                problems.append(f"{where}: {client.location.name}: {found}")
    assert not problems, "\n".join(problems)


def test_mutations_are_deterministic() -> None:
    sample = Path(__file__).resolve().parent / "fixtures" / "cloudformation" / "short_form_tags.yaml"
    assert mutant(sample, 3) == mutant(sample, 3)
    assert any(mutant(sample, r)[0] != sample.read_bytes() for r in range(3))
