"""Building blocks shared by every domain."""
