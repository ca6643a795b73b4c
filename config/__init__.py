"""Settings, the roster schema, the scoring parameters and the vocabulary: imports nothing of the
rest of the project, so every layer can import it."""
