"""CKV_M2M_USER_AUTH_FLOWS: m2m-guard's user_auth_flows rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("user_auth_flows")
