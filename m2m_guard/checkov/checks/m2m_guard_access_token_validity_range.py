"""CKV_M2M_ACCESS_TOKEN_VALIDITY_RANGE: m2m-guard's access_token_validity_range rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("access_token_validity_range")
