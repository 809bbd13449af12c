"""CKV_M2M_CONDITION: m2m-guard's condition rules as checkov checks."""

from m2m_guard.checkov.bridge import make_checks

cfn_check, tf_check = make_checks("condition")
