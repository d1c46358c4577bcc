"""Accounts: sign-in, roles, permissions, tokens."""
