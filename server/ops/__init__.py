"""What operators see of a running process: readiness, metrics, logs, and how it stops."""
