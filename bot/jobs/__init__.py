"""The jobs: each is a plain function of a Runtime, run by a CLI command and by the scheduler.

poll -> score -> suggest -> deliver run in that order after each polling interval; digest runs per
team at its local digest time.
"""
