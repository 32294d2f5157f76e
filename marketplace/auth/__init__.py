"""Accounts, tokens and the guards that check who may do what."""
