"""Label Studio's webhooks on a project: registered so that Label Studio tells claimflow when an
annotation is created, updated or deleted.

Label Studio sends each webhook once, with a 1 s timeout, and never retries; it signs nothing and
sends only static headers. So a webhook is a hint that something changed, carrying a shared
secret in a header, and the land still pulls what changed: a lost webhook delays a land, it
loses nothing.
"""

from __future__ import annotations

from annotation.client import LabelStudioClient, _translated

SECRET_HEADER = "X-Claimflow-Secret"
ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED")


def register(client: LabelStudioClient, project: int, url: str, secret: str) -> int:
    """Make the project call ``url`` with the secret on every annotation change; one webhook per
    URL (an existing one is updated: the secret may be new). Returns its id."""
    options = {"actions": list(ACTIONS), "headers": {SECRET_HEADER: secret}, "is_active": True,
               "send_payload": False, "send_for_all_actions": False}
    with _translated("webhook registration", client.url):
        hooks = [h for h in client.sdk.webhooks.list(project=str(project)) if h.url == url]
        for extra in hooks[1:]:
            client.sdk.webhooks.delete(id=extra.id)
        if hooks:
            client.sdk.webhooks.update(id=hooks[0].id, url=url, **options)
            return hooks[0].id
        return client.sdk.webhooks.create(url=url, project=project, **options).id


def unregister(client: LabelStudioClient, project: int, url: str) -> int:
    """Remove the project's webhooks to ``url``; return how many."""
    with _translated("webhook removal", client.url):
        hooks = [h for h in client.sdk.webhooks.list(project=str(project)) if h.url == url]
        for hook in hooks:
            client.sdk.webhooks.delete(id=hook.id)
    return len(hooks)
