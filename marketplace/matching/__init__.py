"""Matching workers and shifts: eligibility, scores, candidates and optimal batch assignment."""
