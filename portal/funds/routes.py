"""Staff moving money between the platform and a seller's account, with a second approver (issue 10)."""

routes = []
