"""The ``strongtie`` command line: ``main`` wires the groups; one module per command group."""
