"""Policies as data: their definition, the strict reading of their files, the catalogue loaded
from ``subsidies/policies/``, and the publication of each version to the audit log."""
