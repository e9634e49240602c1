"""What tests and benchmarks do in Label Studio as people would, which claimflow itself never
does: create users, annotate as them, read the invite link. Calls that create something are
sent once, as the client's own (annotation/client.py): after an error, what they made is looked up."""

from __future__ import annotations

from annotation.client import ONCE, LabelStudioClient
from annotation.config import INSTRUCTIONS, config_text


class ScriptedClient(LabelStudioClient):
    """The Label Studio client, plus scripted annotators and project shortcuts for tests."""

    def ensure_project(self, title: str, label_config: str, **options) -> int:
        return self.find_project(title) or self.create_project(title, label_config, **options)

    def project_task_count(self, project: int) -> int:
        return int(self.sdk.projects.get(id=project).task_number or 0)

    def invite_url(self) -> str:
        """The organisation's sign-up link (Label Studio's "invite people"): a new annotator signs
        up there and joins the organisation."""
        return self.url + self._get("api/invite", {}, "read the invite link").json()["invite_url"]

    def find_user(self, email: str) -> int | None:
        return next((uid for uid, mail in self.users().items() if mail == email), None)

    def ensure_user(self, email: str, first_name: str = "", last_name: str = "") -> int:
        return self.find_user(email) or self._create_once(
            "create user",
            lambda: self.sdk.users.create(
                email=email, username=email, first_name=first_name, last_name=last_name, request_options=ONCE
            ).id,
            lambda: self.find_user(email),
        )

    def annotate(self, task: int, result: list[dict], *, user: int, lead_time: float | None = None) -> int:
        """Create an annotation on a task as ``user``, once: after an error, the task's annotation
        by that user with that result."""

        def find() -> int | None:
            return next(
                (a.id for a in self.sdk.annotations.list(id=task) if _user_id(a.completed_by) == user and a.result == result),
                None,
            )

        return self._create_once(
            "create annotation",
            lambda: self.sdk.annotations.create(
                id=task, result=result, completed_by=user, lead_time=lead_time, request_options=ONCE
            ).id,
            find,
        )


def showing(secret: str, **texts: str) -> list[str]:
    """The names of the texts that show ``secret``: asserted on by name, so that a failure does not
    print the secret itself."""
    return [name for name, text in texts.items() if secret in text]


def _user_id(value) -> int | None:
    """A ``completed_by`` as the SDK gives it: an id, or a user object or dict."""
    if isinstance(value, dict):
        return value.get("id")
    return getattr(value, "id", value)


def instructions_html() -> str:
    """The claim project's instructions to annotators (Label Studio's expert_instruction), as shipped."""
    return config_text(INSTRUCTIONS)
