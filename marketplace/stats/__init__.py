"""Monthly statistics and the per-worker information 无锡 article 四 asks platforms to collect."""
