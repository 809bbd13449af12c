"""CKV_M2M_USER_IDENTITY_SCOPES: m2m-guard's user_identity_scopes rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("user_identity_scopes")
