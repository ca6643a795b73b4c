"""The pure rules: which gesture each account manager should make next, what the digest says and
the hourglass figures. Functions of plain data and ``as_of``; no database, no Slack, no clock."""
