"""The Slack side: the Bolt app, its middleware and listeners, Block Kit rendering, the Web API
client and the servers (HTTP or Socket Mode)."""
