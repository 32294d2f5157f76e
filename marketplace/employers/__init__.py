"""Employer profiles (their delegations to labour brokers: ``brokers``)."""
