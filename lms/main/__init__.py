"""Site-wide pages: the home page / dashboard and the health check (blueprint in views)."""
