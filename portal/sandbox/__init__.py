"""An offline, stateful Stripe Connect that behaves like Stripe's test mode (see README.md)."""
