"""checkov custom checks that run m2m-guard's per-client rules (``pip install 'm2m-guard[checkov]'``).

``checkov --external-checks-dir "$(m2m-guard checkov-dir)"`` loads the modules of ``checks/``;
``bridge`` maps checkov's resource configuration to an :class:`~m2m_guard.model.AppClient` and
evaluates it with the engine. checkov is imported only inside this package, and only when the
checks are built.
"""
