"""Subsidy rules: policies as dated data, programmes as pure functions from facts to proposals."""
