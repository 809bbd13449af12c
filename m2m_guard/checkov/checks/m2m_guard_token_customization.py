"""CKV_M2M_TOKEN_CUSTOMIZATION: m2m-guard's token_customization rules as checkov checks, on user pools."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("token_customization")
