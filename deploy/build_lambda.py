"""Build the Lambda package (a .zip) for the AWS Config rule templates in this folder.

    python3 deploy/build_lambda.py                     # -> dist/m2m-guard-config-rule.zip
    python3 deploy/build_lambda.py --output /tmp/m2m-guard-config-rule.zip

The package holds this checkout's ``m2m_guard`` package laid out as the wheel lays it out
(``pyproject.toml``: ``packages = ["m2m_guard"]``, and ``policies/`` as ``m2m_guard/policies``),
and the project's dependencies (``[project] dependencies``) as pip installs them for the Lambda
runtime: Linux x86_64 wheels only, for the runtime's Python version, so that ``regex``,
``PyYAML`` and ``rpds-py`` (through ``jsonschema``) bring binaries that load there whatever
machine builds the package. boto3 is not installed: the Python runtimes include it, and the
``aws`` extra is not a base dependency. See "Working with .zip file archives for Python Lambda
functions", https://docs.aws.amazon.com/lambda/latest/dg/python-package.html (``pip install
--platform manylinux2014_x86_64 --only-binary=:all:``), and the runtime identifiers in
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html.

``--no-deps`` leaves the dependencies out (no network: the tests build that way). The archive is
reproducible: entries sorted, fixed timestamps and modes, no ``__pycache__``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The ``Runtime`` of the templates' function; a test keeps the two equal.
RUNTIME = "python3.14"
#: The Lambda ``Handler``: module path and function.
HANDLER = "m2m_guard.config_rule.handler.lambda_handler"
#: The templates' ``Architectures: [x86_64]``. The wheels are manylinux2014 (glibc 2.17) builds;
#: the Python runtimes run on Amazon Linux 2023, whose glibc is newer.
PLATFORM = "manylinux2014_x86_64"
DESCRIPTION = "Build the Lambda package for the m2m-guard AWS Config rule."
DEFAULT_OUTPUT = ROOT / "dist" / "m2m-guard-config-rule.zip"
#: Zip entries get this time (the earliest a zip can hold), so equal inputs give equal bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def python_version(runtime: str = RUNTIME) -> str:
    """``python3.14`` -> ``3.14``."""
    return runtime.removeprefix("python")


def dependencies(root: Path = ROOT) -> list[str]:
    """The ``[project] dependencies`` of ``root/pyproject.toml`` (no extras, so no boto3)."""
    if sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return [str(requirement) for requirement in project.get("dependencies", [])]
    raise SystemExit("build_lambda.py reads pyproject.toml with tomllib: run it with Python 3.11 or newer")


def copy_package(root: Path, target: Path) -> None:
    """``m2m_guard/`` and ``policies/`` (as ``m2m_guard/policies``), as in the wheel."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "m2m_guard", target / "m2m_guard", ignore=ignore)
    shutil.copytree(root / "policies", target / "m2m_guard" / "policies", ignore=ignore)


def install_dependencies(requirements: list[str], target: Path, runtime: str = RUNTIME) -> None:
    """pip-install ``requirements`` into ``target`` for the Lambda runtime, wheels only."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(target),
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            python_version(runtime),
            "--only-binary=:all:",
            *requirements,
        ],
        check=True,
    )


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def write_zip(folder: Path, output: Path) -> int:
    """Zip ``folder``'s files (paths relative to it) into ``output``; returns the entry count."""
    output.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(folder):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), _EPOCH)
            info.external_attr = 0o644 << 16  # readable by the runtime's user
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            count += 1
    return count


def build(output: Path, *, root: Path = ROOT, deps: bool = True, runtime: str = RUNTIME) -> int:
    """Build the package at ``output``; returns the number of files in it."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "package"
        folder.mkdir()
        if deps:
            install_dependencies(dependencies(root), folder, runtime)
        copy_package(root, folder)
        return write_zip(folder, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build_lambda.py", description=DESCRIPTION)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the .zip to write")
    parser.add_argument("--no-deps", action="store_true", help="leave out the dependencies (offline)")
    args = parser.parse_args(argv)
    count = build(args.output, deps=not args.no_deps)
    print(f"{args.output}: {count} files, for the {RUNTIME} runtime, handler {HANDLER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
