"""Parsing ``.tf`` text into blocks: the Terraform reader's first step (no evaluation here).

m2m-guard's own HCL parser (:mod:`hcl_syntax`) builds the syntax tree; this module keeps what
the reader needs of it: each block's type, labels, file, line, arguments and nested blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_syntax import parse as parse_hcl

#: Larger files are not parsed. The parser reads about 2 MiB a second and holds about 25 bytes
#: of tokens per character while it works, so 4 MiB costs about 2 s and 100 MB at worst; real
#: ``.tf`` files are a few KB, and one of megabytes is generated, not reviewed.
MAX_CHARS = 4 * 1024 * 1024


@dataclass
class Block:
    """One block of a ``.tf`` file (``resource "aws_x" "name" { ... }``), nested ones included."""

    type: str
    labels: tuple[str, ...]
    path: str
    line: int | None
    attrs: dict[str, ast.Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def repeat(self) -> str | None:
        """``count`` or ``for_each`` when the block has one (its values may depend on it)."""
        return "count" if "count" in self.attrs else "for_each" if "for_each" in self.attrs else None

    @property
    def label(self) -> str:
        """The first label (a variable's, output's or module call's name), else ``""``."""
        return self.labels[0] if self.labels else ""


def parse(path: str, text: str) -> list[Block]:
    """The top-level blocks of one file; raises SourceError (one line, with the line number)."""
    if len(text) > MAX_CHARS:
        raise SourceError(f"HCL file larger than {MAX_CHARS // (1024 * 1024)} MiB is not parsed")
    body = parse_hcl(text)
    return [_block(item, path) for item in body.items if isinstance(item, ast.Block)]


def _block(node: ast.Block, path: str) -> Block:
    block = Block(node.type, node.labels, path, node.line)
    for item in node.body.items:
        if isinstance(item, ast.Attribute):
            block.attrs.setdefault(item.name, item)  # a repeated argument is invalid Terraform
        else:
            block.blocks.append(_block(item, path))
    return block


def literal_string(node: ast.Expr) -> str | None:
    """The value of a plain quoted string expression (``source = "./x"``), else None."""
    if isinstance(node, ast.Template) and all(isinstance(part, str) for part in node.parts):
        return "".join(str(part) for part in node.parts)
    return None
