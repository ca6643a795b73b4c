"""Jobs on a PostgreSQL-backed queue (procrastinate) for ``strongtie worker`` processes, so the work
of one deployment spreads over several processes and machines; see docs/architecture.md."""
