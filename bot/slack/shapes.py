"""The shapes of Slack payload the app accepts, checked before Bolt reads them (pure).

Bolt indexes into a payload as Slack documents it (``body["actions"][0]["action_id"]``,
``body["event"].get("type")``, ``body["user"]["id"]``…), so a payload of another shape (``actions`` a
string or empty, ``event`` a string, the whole payload a list) ends in an exception deep inside it and
an HTTP 500. :func:`payload_problem` says, in one line and without quoting the payload, what is wrong
with such a payload, so the boundary can refuse it with a 400 before Bolt or a listener sees it.

The checks are those of the fields Bolt or our listeners read; anything else a payload carries is
left alone, so a new field Slack adds does not break the app.
"""

from __future__ import annotations

from typing import Any, Mapping

#: Top-level fields that, when present, hold text (or null).
TEXT_FIELDS = ("type", "token", "team_id", "user_id", "channel_id", "enterprise_id", "api_app_id",
               "trigger_id", "response_url", "callback_id", "command", "text", "challenge")
#: Top-level fields that, when present, hold an object, or an id as text (or null).
OBJECT_OR_ID_FIELDS = ("user", "team", "channel", "enterprise", "container", "message")
#: What a slash command (form-encoded, no ``type``) always carries, as non-empty text.
COMMAND_FIELDS = ("command", "user_id", "team_id", "trigger_id", "response_url")
#: Interactivity payloads (``type`` set) that act for a user and so must say who.
USER_PAYLOADS = frozenset({"block_actions", "view_submission", "view_closed", "shortcut", "message_action",
                           "block_suggestion", "interactive_message", "dialog_submission"})


def payload_problem(payload: object) -> str | None:
    """What makes ``payload`` (a parsed request body) unfit for the app, or None when it is fit."""
    if not isinstance(payload, dict):
        return f"the payload is {_a(payload)}, not an object"
    return _field_problem(payload) or _kind_problem(payload)


def _field_problem(payload: Mapping[str, Any]) -> str | None:
    for key in TEXT_FIELDS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            return f"`{key}` is {_a(payload[key])}, not text"
    for key in OBJECT_OR_ID_FIELDS:
        value = payload.get(key)
        if value is not None and not isinstance(value, (dict, str)):
            return f"`{key}` is {_a(value)}, not an object or an id"
        if isinstance(value, dict) and value.get("id") is not None and not isinstance(value["id"], str):
            return f"`{key}.id` is {_a(value['id'])}, not text"
    authorizations = payload.get("authorizations")
    if authorizations is not None and not (isinstance(authorizations, list)
                                           and all(isinstance(a, dict) for a in authorizations)):
        return "`authorizations` is not a list of objects"
    return ((_event_problem(payload["event"]) if "event" in payload else None)
            or (_actions_problem(payload["actions"], block_actions=payload.get("type") == "block_actions")
                if "actions" in payload else None)
            or (_view_problem(payload["view"]) if "view" in payload else None))


def _kind_problem(payload: Mapping[str, Any]) -> str | None:
    kind = payload.get("type")
    if kind is None:
        if "command" in payload:
            missing = [key for key in COMMAND_FIELDS if not payload.get(key)]
            if missing:
                return f"a slash command without {', '.join(f'`{key}`' for key in missing)}"
            if not isinstance(payload.get("text"), str):
                return "a slash command without `text`"
            return None
        if "ssl_check" in payload:
            return None
        return "neither a slash command nor a payload with a `type`"
    if kind == "event_callback" and "event" not in payload:
        return "an event callback without an `event`"
    if kind == "block_actions" and "actions" not in payload:
        return "a block_actions payload without `actions`"
    if kind in ("view_submission", "view_closed") and "view" not in payload:
        return f"a {kind} payload without a `view`"
    if kind in USER_PAYLOADS and not _user_id(payload.get("user")):
        return f"a {kind} payload without `user.id`"
    if kind == "url_verification" and not isinstance(payload.get("challenge"), str):
        return "a url_verification payload without a `challenge`"
    return None


def _event_problem(event: object) -> str | None:
    if not isinstance(event, dict):
        return f"`event` is {_a(event)}, not an object"
    if not isinstance(event.get("type"), str):
        return "`event` has no `type`"
    user = event.get("user")
    if user is not None and not isinstance(user, (str, dict)):
        return f"`event.user` is {_a(user)}, not an id"
    return None


def _actions_problem(actions: object, *, block_actions: bool) -> str | None:
    """``actions`` must be a non-empty list of objects; a block action names its ``action_id`` and a
    button click carries the button's ``value`` (every button the app sends has one)."""
    if not isinstance(actions, list):
        return f"`actions` is {_a(actions)}, not a list"
    if not actions:
        return "`actions` is empty"
    for action in actions:
        if not isinstance(action, dict):
            return f"an action is {_a(action)}, not an object"
        if not block_actions:
            continue
        if not isinstance(action.get("action_id"), str):
            return "an action without an `action_id`"
        if action.get("type") == "button" and not isinstance(action.get("value"), str):
            return f"a click on button `{_short(action['action_id'])}` without a `value`"
    return None


def _view_problem(view: object) -> str | None:
    if not isinstance(view, dict):
        return f"`view` is {_a(view)}, not an object"
    state = view.get("state")
    if state is not None and not (isinstance(state, dict) and isinstance(state.get("values", {}), dict)):
        return "`view.state` is not an object of values"
    return None


def _user_id(user: object) -> str | None:
    if isinstance(user, str):
        return user or None
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return user["id"] or None
    return None


def _a(value: object) -> str:
    """What kind of JSON value ``value`` is, as a phrase (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return "an object" if isinstance(value, dict) else "something else"


def _short(text: str, limit: int = 40) -> str:
    """An identifier from the payload, cut short and stripped of anything but its safe characters."""
    return "".join(c for c in text[:limit] if c.isalnum() or c in "_-.:") or "?"
