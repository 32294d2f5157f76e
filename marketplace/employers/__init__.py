"""Employer profiles and their delegations to labour brokers."""
