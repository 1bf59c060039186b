"""Closing a seller's account at their request (issue 10)."""

routes = []
