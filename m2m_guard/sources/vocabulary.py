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


def pascal(snake: str) -> str:
    """Provider block keys to DescribeUserPoolClient keys (``access_token`` -> ``AccessToken``)."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))
