"""Transport: the one place that builds HTTP clients (proxy, CA trust, timeouts, retries)."""
