"""CKV_M2M_MIXED_OAUTH_FLOWS: m2m-guard's mixed_oauth_flows rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("mixed_oauth_flows")
