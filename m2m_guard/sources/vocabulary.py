"""The Cognito vocabulary every reader shares: resource types, Terraform attribute names and
their DescribeUserPoolClient keys, and the snake_case -> PascalCase conversion between them."""

from __future__ import annotations

#: CloudFormation resource types.
CFN_CLIENT = "AWS::Cognito::UserPoolClient"
CFN_POOL = "AWS::Cognito::UserPool"
CFN_SERVER = "AWS::Cognito::UserPoolResourceServer"

#: Terraform (AWS provider) resource types.
TF_CLIENT = "aws_cognito_user_pool_client"
TF_POOL = "aws_cognito_user_pool"
TF_SERVER = "aws_cognito_resource_server"

#: Provider attribute -> DescribeUserPoolClient key. Attributes not listed keep their own name.
ATTRIBUTE_KEYS = {
    "name": "ClientName",
    "id": "ClientId",
    "user_pool_id": "UserPoolId",
    "allowed_oauth_flows": "AllowedOAuthFlows",
    "allowed_oauth_scopes": "AllowedOAuthScopes",
    "allowed_oauth_flows_user_pool_client": "AllowedOAuthFlowsUserPoolClient",
    "access_token_validity": "AccessTokenValidity",
    "id_token_validity": "IdTokenValidity",
    "refresh_token_validity": "RefreshTokenValidity",
    "auth_session_validity": "AuthSessionValidity",
    "token_validity_units": "TokenValidityUnits",
    "explicit_auth_flows": "ExplicitAuthFlows",
    "generate_secret": "GenerateSecret",
    "callback_urls": "CallbackURLs",
    "logout_urls": "LogoutURLs",
    "default_redirect_uri": "DefaultRedirectURI",
    "supported_identity_providers": "SupportedIdentityProviders",
    "prevent_user_existence_errors": "PreventUserExistenceErrors",
    "enable_token_revocation": "EnableTokenRevocation",
    "enable_propagate_additional_user_context_data": "EnablePropagateAdditionalUserContextData",
    "read_attributes": "ReadAttributes",
    "write_attributes": "WriteAttributes",
    "analytics_configuration": "AnalyticsConfiguration",
    "refresh_token_rotation": "RefreshTokenRotation",
}
#: Nested blocks (``max_items = 1`` lists of objects) that the API returns as one object.
BLOCK_ATTRIBUTES = frozenset({"token_validity_units", "analytics_configuration", "refresh_token_rotation"})

#: ``aws_cognito_user_pool`` arguments -> DescribeUserPool ``UserPool`` keys, for the settings
#: m2m-guard reads (m2m_guard/model/pool_settings.py). Names and shapes from the provider's
#: resource page, https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_user_pool:
#: ``user_pool_tier`` (LITE, ESSENTIALS, PLUS), and the ``lambda_config`` block (at most one)
#: with the legacy ``pre_token_generation`` ARN and the ``pre_token_generation_config`` block (at
#: most one) of ``lambda_arn`` and ``lambda_version`` (V1_0, V2_0, V3_0).
POOL_ATTRIBUTE_KEYS = {
    "user_pool_tier": "UserPoolTier",
    "lambda_config": "LambdaConfig",
    "pre_token_generation_config": "PreTokenGenerationConfig",
    "lambda_arn": "LambdaArn",
    "lambda_version": "LambdaVersion",
    "pre_token_generation": "PreTokenGeneration",
}
#: The pool arguments read, at the top of the resource.
POOL_ARGUMENTS = ("user_pool_tier", "lambda_config")
#: The pool's nested blocks (``max_items = 1``; the API returns each as one object) -> the
#: arguments read inside them; the blocks' other arguments (other triggers) are not read.
POOL_BLOCKS = {
    "lambda_config": ("pre_token_generation", "pre_token_generation_config"),
    "pre_token_generation_config": ("lambda_arn", "lambda_version"),
}


def pascal(snake: str) -> str:
    """Provider block keys to DescribeUserPoolClient keys (``access_token`` -> ``AccessToken``)."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))
