"""The embedded demo: the real pipeline on bundled sample data (``data/``), no token, no network."""
