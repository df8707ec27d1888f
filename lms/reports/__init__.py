"""Reports: read-only numbers over every domain (knowledge gain, item analysis, and later
the coordinators' indicators). Nothing imports this package but the app factory."""
