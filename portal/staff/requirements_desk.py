"""The requirements desk (issue 10): one requirement of a seller's account, and the ways staff fix it."""

routes = []
