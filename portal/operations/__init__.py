"""What operators watch: Prometheus metrics, optional OpenTelemetry traces, and readiness."""
