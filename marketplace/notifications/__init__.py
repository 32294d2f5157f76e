"""In-app notifications to one user: sending them once, listing them, marking them read."""
