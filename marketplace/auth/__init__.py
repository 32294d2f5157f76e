"""Accounts, passwords, tokens and the sign-in throttle (the role guards: ``common.guards``)."""
