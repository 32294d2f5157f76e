"""Recorded income, social-insurance premiums and training: what the subsidy rules read."""
