"""CKV_M2M_MIN_ACCESS_TOKEN_TTL: m2m-guard's min_access_token_ttl rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("min_access_token_ttl")
