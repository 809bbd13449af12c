"""The live sweep: read-only discovery of Cognito app clients across accounts and regions.

boto3 is imported only inside this package, and only when a sweep runs.
"""
