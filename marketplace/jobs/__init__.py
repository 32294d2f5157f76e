"""Jobs, their shifts, and the search for open shifts."""
