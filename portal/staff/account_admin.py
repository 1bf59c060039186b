"""Staff editing a seller's account for them (issue 10): profile, people, capabilities, payout schedule."""

routes = []
