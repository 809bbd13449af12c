"""CKV_M2M_WILDCARD_SCOPES: m2m-guard's wildcard_scopes rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("wildcard_scopes")
