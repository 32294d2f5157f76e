"""Demo data and synthetic markets."""
