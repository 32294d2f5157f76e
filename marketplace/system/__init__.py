"""Health check and the offline API documentation page."""
