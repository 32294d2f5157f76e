"""Policies as data: their definition, the strict reading of their files (with the line of each
problem), the catalogue of the code's files, and the versions stored, drafted and published."""
