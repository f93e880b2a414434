"""Monitoring: readiness, and the figures and timings Prometheus reads at `/metrics` (docs/monitoring.md)."""
