"""One module per per-client rule type, named ``m2m_guard_<type>.py``.

checkov imports every module here by its file basename (so the names must be unique across all
external check folders) and needs this ``__init__.py`` to walk the folder at all. Keep any other
file out, YAML above all: checkov parses every ``.yaml`` here as a graph policy.
"""
