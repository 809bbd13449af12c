"""CKV_M2M_UNUSED_CLIENT_CREDENTIALS: m2m-guard's unused_client_credentials rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("unused_client_credentials")
