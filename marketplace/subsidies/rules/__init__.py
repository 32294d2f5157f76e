"""The rules: what they read of a worker (``facts``), the programmes (one module each, in
``programs/``), applying them all (``evaluate``), and the matching priority."""
