"""Deployment of m2m-guard as an AWS Config rule: templates and the Lambda package build."""
