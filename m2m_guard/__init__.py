"""m2m-guard: policy-as-code checks for Amazon Cognito machine-to-machine app clients."""

__version__ = "0.3.0"
