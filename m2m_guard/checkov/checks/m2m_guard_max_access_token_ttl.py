"""CKV_M2M_MAX_ACCESS_TOKEN_TTL: m2m-guard's max_access_token_ttl rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("max_access_token_ttl")
