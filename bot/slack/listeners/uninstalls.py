"""A workspace removes the app (``app_uninstalled``) or revokes its tokens (``tokens_revoked``).

With OAuth, the workspace's installation is deleted, so no request, suggestion DM or digest uses
its token again (deliveries and digests to its teams are skipped with a log line naming the
workspace); its teams, members, customers, interactions and history stay in the store, ready for a
reinstall. With one SLACK_BOT_TOKEN there is no installation to delete: the event is logged.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk.oauth.installation_store import InstallationStore

log = logging.getLogger(__name__)


def register(app: App, store: InstallationStore | None) -> None:
    """Listen for uninstalls and token revocations; ``store`` None in single-token mode."""

    @app.event("app_uninstalled")
    def app_uninstalled(ack: Ack, context: BoltContext) -> None:
        ack()
        if store is None:
            log.warning("Slack workspace %s uninstalled strongtie: SLACK_BOT_TOKEN no longer works there", context.team_id)
            return
        store.delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
        log.warning("Slack workspace %s uninstalled strongtie: its installation is deleted and nothing more is sent "
                    "there; its teams and history are kept", context.team_id)

    @app.event("tokens_revoked")
    def tokens_revoked(ack: Ack, event: dict, context: BoltContext) -> None:
        ack()
        tokens = event.get("tokens") or {}
        if store is None:
            log.warning("Slack workspace %s revoked tokens of strongtie", context.team_id)
            return
        if tokens.get("bot"):
            # The installation rows carry the bot token too: remove them all, not only the bot's.
            store.delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
            log.warning("Slack workspace %s revoked strongtie's bot token: its installation is deleted and nothing "
                        "more is sent there; its teams and history are kept", context.team_id)
            return
        for user_id in tokens.get("oauth") or []:
            store.delete_installation(enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id)
        log.info("Slack workspace %s revoked the user token(s) of %s", context.team_id, ", ".join(tokens.get("oauth") or []))
