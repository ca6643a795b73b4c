"""The application: command line, jobs, scheduler and the Slack app."""
