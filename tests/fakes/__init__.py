"""Loopback fakes that speak the real wire formats of the services strongtie talks to."""
