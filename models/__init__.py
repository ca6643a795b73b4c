"""The store: entities, sessions, migrations, store functions and the pure tie-strength model."""
