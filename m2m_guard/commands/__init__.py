"""The commands of ``m2m-guard``, one module each, with typed parameters (never argparse's).

``m2m_guard.cli`` parses the arguments, imports the one command it runs, and is the only error
boundary: a command returns its exit code or raises :class:`UsageProblem`, which the CLI prints
and turns into exit 2. This package stays light: the CLI imports it at every start-up.
"""

from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_CRASH = 0, 1, 2, 3


class UsageProblem(Exception):
    """A problem with the arguments, the policy or the usage file: the run cannot start."""
