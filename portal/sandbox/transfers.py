"""Placeholder until its owner writes this module (see notes/sandbox-contract.md)."""

ROUTES = []
