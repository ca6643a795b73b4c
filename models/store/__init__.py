"""Store functions, one module per entity or concern. Each takes the session as the keyword
argument ``session`` and never commits: the job, command or listener that calls it owns the unit of
work."""
