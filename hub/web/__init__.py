"""HTTP: the resident portal, the JSON API, captive-portal probes, operator endpoints."""
