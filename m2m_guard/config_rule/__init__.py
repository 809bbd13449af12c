"""AWS Config custom Lambda rule: m2m-guard's policy evaluated on every recorded app client.

AWS Config invokes ``m2m_guard.config_rule.handler.lambda_handler`` when an
``AWS::Cognito::UserPoolClient`` changes (the oversized notification too) and on its periodic
schedule; see m2m_guard/config_rule/handler.py for what is evaluated and reported, and
m2m_guard/config_rule/verdicts.py for how findings become COMPLIANT, NON_COMPLIANT or
NOT_APPLICABLE. Nothing here is imported by the CLI; boto3 is imported inside functions.
"""
