"""``m2m-guard drift``: the app clients the code defines against those the accounts hold.

``match`` pairs them (by user pool and ClientName) into cases; ``evaluate`` runs the policy's
drift rules (m2m_guard/rules/drift.py) over the cases into one RunResult. Both are pure: the
command (m2m_guard/commands/drift.py) reads the files, the inventories or the live accounts.
"""
