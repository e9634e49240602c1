"""A thin client for the Label Studio API over label-studio-sdk, with named errors.

Connection errors and 5xx answers become :class:`LabelStudioUnavailable` (worth retrying),
401/403 :class:`LabelStudioAuthError`, other 4xx :class:`LabelStudioRequestError`. The token is
never part of a message.

Calls that create something (a project, a Data Manager tab, tasks) are never retried blind:
an answer lost after Label Studio committed (a 5xx from a proxy, a timeout) would make a twin.
Each is sent once; after any error, what it would have created is looked up (a project by
title, a tab by its title), and only an error with nothing found is raised, so that the
caller's retry finds it. Imports are reconciled by the caller from the claim ids in the tasks'
data. (The tests' scripted annotators create users and annotations the same way:
tests/helpers.py.)
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone

import httpx
import orjson

from annotation.errors import AnnotationError, LabelStudioAuthError, LabelStudioRequestError, LabelStudioUnavailable
from annotation.results import parse_time

PAGE_SIZE = 500
PULL_PAGE_SIZE = 1000  # ids of changed tasks per list page
EXPORT_CHUNK = 200  # task ids per export request (they go in the URL)
IMPORT_TIMEOUT = 900  # seconds; 1,000 tasks import in about 2 s
ONCE = {"max_retries": 0}  # request options of a call that must not be sent twice
CHECK_TIMEOUT = 10.0  # seconds for the reachability and token check


def _transport_reason(err: BaseException) -> str:
    """What went wrong on the way, in a few words."""
    text = str(err).lower()
    if "refused" in text:
        return "connection refused"
    if isinstance(err, httpx.TimeoutException):
        return "timed out"
    if "name or service not known" in text or "nodename nor servname" in text or "name resolution" in text:
        return "unknown host"
    first = (str(err).strip().splitlines() or [""])[0][:120]
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


@contextmanager
def _translated(what: str, url: str) -> Iterator[None]:
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except (httpx.TransportError, ConnectionError) as err:
        raise LabelStudioUnavailable(f"Label Studio at {url} is unreachable ({what}): {_transport_reason(err)}") from err
    except ApiError as err:
        status = err.status_code or 0
        detail = _detail(err.body)
        if status >= 500 or status in (408, 429):
            raise LabelStudioUnavailable(f"Label Studio at {url} answered {status} ({what}){detail}") from err
        if status in (401, 403) and "expired" in detail.lower():
            raise LabelStudioAuthError(
                f"the API token for Label Studio at {url} has expired; create a new personal access token there "
                "(Account & Settings) and set it in LABEL_STUDIO_API_KEY"
            ) from err
        if status == 401 and "expiration" in detail.lower():
            raise LabelStudioAuthError(
                f"the API token for Label Studio at {url} is not a valid personal access token (it has no expiry); "
                "create a new one there (Account & Settings) and set it in LABEL_STUDIO_API_KEY"
            ) from err
        if status in (401, 403):
            raise LabelStudioAuthError(
                f"Label Studio at {url} refused the API token ({status}); check LABEL_STUDIO_API_KEY "
                "(legacy tokens need LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true on the server)"
            ) from err
        raise LabelStudioRequestError(f"Label Studio at {url} refused {what} ({status}){detail}", status) from err


def _detail(body) -> str:
    if isinstance(body, dict):
        text = " ".join(str(body[k]) for k in ("detail", "validation_errors") if body.get(k)) or body
        return f": {str(text)[:300]}"
    return f": {str(body)[:300]}" if body else ""


def check_reachable(url: str, timeout: float = CHECK_TIMEOUT) -> None:
    """Raise :class:`LabelStudioUnavailable` unless something answers HTTP at ``url``: one GET
    of /health, without the SDK (which takes seconds to import), so a dead server fails at once."""
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=timeout, verify=_tls())
    except httpx.TransportError as err:
        raise LabelStudioUnavailable(f"Label Studio at {url} is unreachable: {_transport_reason(err)}") from err


def labeling_stream_url(url: str, project: int) -> str:
    """Where annotators should work: the project's labeling stream ("Label All Tasks"), which
    gives each annotator a fresh annotation of their own, never someone else's to edit (the Data
    Manager opens existing annotations for editing)."""
    return f"{url.rstrip('/')}/projects/{project}/data?labeling=1"


def ls_time(value: datetime) -> str:
    """A datetime in the only format Label Studio's Data Manager filters accept."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _updated_after(since: datetime) -> dict:
    """The Data Manager filter item for tasks updated after ``since``."""
    return {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": ls_time(since)}


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context (the system's CA certificates) for every client of the process: httpx
    builds a new one, certificates loaded, for each client it makes (about 30 ms of CPU here)."""
    return httpx.create_ssl_context()


@functools.cache
def _sdk_client():
    """The SDK's client class: `label_studio_sdk.LabelStudio` less its project extension, whose
    label-interface and export helpers (unused here) import pandas, jsf and faker: 1.7 s of every
    command that talks to Label Studio. Its pagers that end at a 404 are kept."""
    from label_studio_sdk._extensions.pager_ext import SyncPagerExt
    from label_studio_sdk.base_client import LabelStudioBase
    from label_studio_sdk.projects.client import ProjectsClient
    from label_studio_sdk.tasks.client_ext import TasksClientExt

    class Projects(ProjectsClient):
        def list(self, **kwargs):
            return SyncPagerExt.from_sync_pager(super().list(**kwargs))

    class LabelStudio(LabelStudioBase):
        tasks = functools.cached_property(lambda self: TasksClientExt(client_wrapper=self._client_wrapper))
        projects = functools.cached_property(lambda self: Projects(client_wrapper=self._client_wrapper))

    return LabelStudio


class LabelStudioClient:
    def __init__(self, url: str, token: str, *, timeout: float = 60.0, concurrency: int = 8):
        self.url = url.rstrip("/")
        self.concurrency = concurrency
        self._bulk_field_action = True  # until the server refuses the Data Manager action
        # The SDK checks a personal access token's expiry here, before any request.
        http = httpx.Client(timeout=timeout, follow_redirects=True, verify=_tls())
        with _translated("read the API token", self.url):
            self._sdk = _sdk_client()(base_url=self.url, api_key=token, timeout=timeout, max_retries=2, httpx_client=http)

    @property
    def sdk(self):
        return self._sdk

    def check_auth(self, *, quick: bool = False) -> str:
        """The email of the token's user; raises if the server is down or refuses the token.
        ``quick``: one attempt with a short timeout (a server nobody serves fails at once)."""
        options = {"max_retries": 0, "timeout_in_seconds": CHECK_TIMEOUT} if quick else None
        with _translated("who am I", self.url):
            return self._sdk.users.whoami(request_options=options).email

    # projects -----------------------------------------------------------------------------
    def find_project(self, title: str) -> int | None:
        """The project with this title (the oldest, if there are several)."""
        ids = []
        with _translated("list projects", self.url):
            page = self._sdk.projects.list(title=title, page_size=PAGE_SIZE)
            while True:
                ids += [p.id for p in page.items or [] if p.title == title]
                # The SDK's pager asks for one page more than there is (and takes its 404 as the
                # end): the page's own `next` says when there is no other.
                if not (page.items and getattr(page.response, "next", None)):
                    break
                page = page.get_next()
        return min(ids) if ids else None

    def create_project(self, title: str, label_config: str, **options) -> int:
        """Create a project, once (see the module's notes); Label Studio validates the config and
        refuses a bad one."""
        return self._create_once(
            "create project",
            lambda: self._sdk.projects.create(title=title, label_config=label_config, request_options=ONCE, **options).id,
            lambda: self.find_project(title),
        )

    def _create_once(self, what: str, create: Callable[[], int], find: Callable[[], int | None]) -> int:
        """Send a create call once; after any error, what it made if Label Studio committed it
        (else the error)."""
        try:
            with _translated(what, self.url):
                return create()
        except (LabelStudioUnavailable, LabelStudioRequestError) as err:
            try:
                found = find()
            except AnnotationError:
                raise err from None
            if found is None:
                raise
            return found

    def sync_project(self, project: int, **settings) -> list[str]:
        """Give the project these settings (label_config, expert_instruction, ...) where they
        differ; Label Studio validates a new labeling config against the existing annotations.
        Returns the names of the settings changed."""
        with _translated("read project", self.url):
            current = self._sdk.projects.get(id=project)
        changed = {k: v for k, v in settings.items() if getattr(current, k, None) != v}
        if changed:
            with _translated("update project", self.url):
                self._sdk.projects.update(id=project, **changed)
        return sorted(changed)

    def ensure_view(self, project: int, title: str, hidden_columns: list[str]) -> bool:
        """A Data Manager tab ``title`` on the project that hides ``hidden_columns`` (ids such as
        ``tasks:data.context_html``) in its table and in the labeling view's list; created, or
        given these hidden columns if it has others. Other tabs are left as people set them.
        True if it changed."""
        hidden = {"explore": list(hidden_columns), "labeling": list(hidden_columns)}

        def find() -> dict | None:
            views = self._get("api/dm/views", {"project": project}, "list Data Manager tabs")
            return next((v for v in (views.json() if views is not None else []) if (v.get("data") or {}).get("title") == title), None)

        view = find()
        if view is not None:
            data = view.get("data") or {}
            if data.get("hiddenColumns") == hidden:
                return False
            self._request("PATCH", f"api/dm/views/{view['id']}", "update a Data Manager tab",
                          json={"project": project, "data": {**data, "hiddenColumns": hidden}})
            return True
        self._create_once(  # sent once; after an error, the tab if Label Studio made it
            "create a Data Manager tab",
            lambda: self._request("POST", "api/dm/views", "create a Data Manager tab", request_options=ONCE,
                                  json={"project": project, "data": {"title": title, "hiddenColumns": hidden}}).json()["id"],
            lambda: (find() or {}).get("id"),
        )
        return True

    # tasks ----------------------------------------------------------------------------------
    def import_tasks(self, project: int, tasks: list[dict]) -> list[int]:
        """Import tasks (with their predictions) in one call; return the new task ids in order."""
        # The body is serialised by orjson, not walked by the SDK's encoders (about 1.5 s of
        # Python per 10,000 tasks). A long timeout: an import that times out on our side may
        # still commit in Label Studio, and the retry would then race it. The reconcile before
        # every attempt catches the committed ones.
        response = self._request(
            "POST", f"api/projects/{project}/import", "import tasks", params={"return_task_ids": "true"},
            content=orjson.dumps(tasks), headers={"content-type": "application/json"},
            request_options={"max_retries": 0, "timeout_in_seconds": IMPORT_TIMEOUT},
        )
        if response is None:
            raise LabelStudioRequestError(f"Label Studio at {self.url} has no project {project}", 404)
        ids = list(response.json().get("task_ids") or [])
        if len(ids) != len(tasks):
            raise LabelStudioRequestError(f"Label Studio created {len(ids)} tasks for {len(tasks)} sent")
        return ids

    def task_claim_ids(self, project: int, field: str = "claim_id") -> dict[str, int]:
        """claim_id (or the data ``field`` naming what a task is about, e.g. pair_id) -> task id
        for every task of the project (the first task, if one has several)."""
        found: dict[str, int] = {}
        with _translated("list tasks", self.url):
            for task in self._sdk.tasks.list(project=project, include="id,data", page_size=PAGE_SIZE):
                claim = (task.data or {}).get(field)
                if claim is not None and claim not in found:
                    found[claim] = task.id
        return found

    def changed_tasks(self, project: int, since: datetime | None) -> tuple[list[dict], datetime | None]:
        """Every task (with all its annotations, cancelled ones included) updated after ``since``
        (every task of the project if None), once each; and the server's clock before the pull
        began, the watermark for the next pull: whatever changes while this one runs is pulled
        next time.

        The clock is read before the first query, never from the pull's own answers: an export
        of thousands of tasks runs for seconds, and an annotation saved meanwhile (its updated_at
        stamped before the export's answer) may be missing from it; a watermark stamped when the
        answer was sent would put that annotation behind every later pull.

        Creating, editing or deleting an annotation updates its task, so this finds them all. The
        tasks come from the export endpoint, which serialises a task with its annotations about
        three times faster than the Data Manager's task list; the list (ids only) finds which
        tasks changed.
        """
        began = self.server_time()
        if since is None:
            response = self._get(f"api/projects/{project}/export", {"exportType": "JSON", "download_all_tasks": "true"}, "export tasks")
            if response is None:
                raise LabelStudioRequestError(f"Label Studio at {self.url} has no project {project}")
            return _unique(response.json()), began
        ids = []
        for response in self._list_pages(project, since):
            ids.extend(t["id"] for t in response.json().get("tasks", []))
        return self.export_tasks(project, list(dict.fromkeys(ids))), began

    def export_tasks(self, project: int, ids: list[int]) -> list[dict]:
        """These tasks with all their annotations (those that exist), once each."""
        tasks = []
        for start in range(0, len(ids), EXPORT_CHUNK):
            tasks.extend(self._export(project, ids[start : start + EXPORT_CHUNK]))
        return _unique(tasks)

    def server_time(self) -> datetime | None:
        """The server's clock now (one small request; its Date header, whole seconds rounded
        down), as naive UTC; None if the server sends no Date."""
        response = self._get("api/version", {}, "read the server's clock")
        return _server_time(response) if response is not None else None

    def annotation_total(self, project: int) -> int:
        """How many annotations the project holds, cancelled (skipped) ones included: one call."""
        response = self._get(f"api/projects/{project}", {}, "read project")
        if response is None:
            raise LabelStudioRequestError(f"Label Studio at {self.url} has no project {project}", 404)
        body = response.json()
        return int(body.get("total_annotations_number") or 0) + int(body.get("skipped_annotations_number") or 0)

    def annotation_counts(self, project: int) -> dict[int, tuple[int, datetime | None]]:
        """task id -> (how many annotations it holds, cancelled ones included; its updated_at)
        for every task of the project: Label Studio's per-task counters, PULL_PAGE_SIZE tasks a call."""
        params = {"project": project, "include": "id,total_annotations,cancelled_annotations,updated_at", "page_size": PULL_PAGE_SIZE}
        counts: dict[int, tuple[int, datetime | None]] = {}
        page = 1
        while True:
            response = self._get("api/tasks", {**params, "page": page}, "count annotations")
            tasks = response.json().get("tasks", []) if response is not None else []
            for t in tasks:
                held = int(t.get("total_annotations") or 0) + int(t.get("cancelled_annotations") or 0)
                counts[t["id"]] = (held, parse_time(t.get("updated_at")))
            if len(tasks) < PULL_PAGE_SIZE:
                return counts
            page += 1

    def _list_pages(self, project: int, since: datetime) -> Iterator[httpx.Response]:
        """Pages of {id, updated_at} of the tasks updated after ``since``."""
        params = {
            "project": project,
            "include": "id,updated_at",
            "page_size": PULL_PAGE_SIZE,
            "query": json.dumps({"filters": {"conjunction": "and", "items": [_updated_after(since)]}}),
        }
        page = 1
        while True:
            response = self._get("api/tasks", {**params, "page": page}, "list tasks")
            if response is None:  # past the last page
                return
            yield response
            if len(response.json().get("tasks", [])) < PULL_PAGE_SIZE:
                return
            page += 1

    def _export(self, project: int, ids: list[int] | None) -> list[dict]:
        """Tasks with their annotations as Label Studio exports them (JSON): all, or ``ids``."""
        params: dict[str, object] = {"exportType": "JSON", "download_all_tasks": "true"}
        if ids:
            params["ids[]"] = list(ids)  # sent as repeated ids[] parameters
        response = self._get(f"api/projects/{project}/export", params, "export tasks")
        if response is None:
            raise LabelStudioRequestError(f"Label Studio at {self.url} has no project {project}")
        return response.json()

    def _get(self, path: str, params: dict, what: str) -> httpx.Response | None:
        return self._request("GET", path, what, params=params)

    def _request(self, method: str, path: str, what: str, **options) -> httpx.Response | None:
        """A request through the SDK's HTTP client (its base URL, auth and retries); None for a
        404, errors translated as every call here is."""
        from label_studio_sdk.core.api_error import ApiError

        with _translated(what, self.url):
            response = self._sdk._client_wrapper.httpx_client.request(path, method=method, **options)
            if response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise ApiError(status_code=response.status_code, body=_body(response))
        return response

    def set_task_field(self, project: int, field: str, values: dict[int, str]) -> dict[int, str]:
        """Set one field of the data of many tasks of a project (their other fields kept), e.g.
        a review mark the Data Manager can filter on. Returns task id -> "changed", "unchanged"
        or "missing" (deleted in Label Studio: nothing to change).

        Their data is read in one call per EXPORT_CHUNK tasks, and only the tasks whose value
        differs are written: all those getting the same value in one call of the Data Manager's
        action "add_data_field" (Label Studio 1.23 registers it, marked experimental, for every
        server; it leaves the tasks' updated_at alone, so the next land does not pull them), or,
        where the server refuses that action, one PATCH per task, ``concurrency`` at once."""
        outcome: dict[int, str] = {}
        ids = list(values)
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = ids[start : start + EXPORT_CHUNK]
            data = self._task_data(project, chunk)
            # Clearing a field a task does not have changes nothing.
            stale = {t: data[t] for t in chunk if t in data and data[t].get(field, "") != values[t]}
            outcome |= {t: "missing" if t not in data else "unchanged" for t in chunk if t not in stale}
            by_value: dict[str, list[int]] = {}
            for task in stale:
                by_value.setdefault(values[task], []).append(task)
            for value, tasks in by_value.items():
                if self._set_field_in_bulk(project, field, value, tasks):
                    outcome |= dict.fromkeys(tasks, "changed")
                    continue
                with ThreadPoolExecutor(min(self.concurrency, len(tasks)), thread_name_prefix="claimflow-ls") as pool:
                    written = pool.map(self._write_task_data, tasks, [stale[t] | {field: value} for t in tasks])
                    outcome |= {t: "changed" if ok else "missing" for t, ok in zip(tasks, written)}
        return outcome

    def _set_field_in_bulk(self, project: int, field: str, value: str, tasks: list[int]) -> bool:
        """``data[field] = value`` on these tasks in one call; False where the server refuses the
        action (or updated fewer tasks than asked: a task deleted meanwhile), so the caller
        writes them one by one instead."""
        if not self._bulk_field_action:
            return False
        body = {"selectedItems": {"all": False, "included": tasks}, "value_name": field, "value_type": "String", "value": value}
        with _translated("update tasks", self.url):
            response = self._sdk._client_wrapper.httpx_client.request(
                "api/dm/actions", method="POST", params={"id": "add_data_field", "project": project}, json=body,
                request_options=ONCE,
            )
        if response.status_code != 200:  # not there, or not allowed: PATCH from now on (an outage shows there)
            self._bulk_field_action = False
            return False
        body = _body(response)
        return isinstance(body, dict) and body.get("detail") == f"Updated {len(tasks)} tasks"

    def _task_data(self, project: int, ids: list[int]) -> dict[int, dict]:
        """task id -> data of those of ``ids`` that exist (one call)."""
        params = {"project": project, "include": "id,data", "page_size": len(ids),
                  "query": json.dumps({"selectedItems": {"all": False, "included": ids}})}
        response = self._get("api/tasks", params, "read tasks")
        return {t["id"]: dict(t.get("data") or {}) for t in (response.json().get("tasks", []) if response is not None else [])}

    def _write_task_data(self, task: int, data: dict) -> bool:
        """Replace a task's data; False when the task no longer exists."""
        return self._request("PATCH", f"api/tasks/{task}", "update task", json={"data": data}) is not None

    def changed_task_count(self, project: int, since: datetime | None) -> int:
        """How many tasks :meth:`changed_tasks` would pull (all of the project's if ``since`` is
        None): one call."""
        return self._task_count(project, [] if since is None else [_updated_after(since)])

    def claim_task_count(self, project: int, field: str = "claim_id") -> int:
        """How many tasks of the project carry a claim id (or the data ``field``) in their data
        (claimflow's tasks; tasks imported by hand into the same project do not count): one call."""
        return self._task_count(project, [{"filter": f"filter:tasks:data.{field}", "operator": "empty", "type": "String", "value": False}])

    def _task_count(self, project: int, items: list[dict]) -> int:
        """The Data Manager's count of the project's tasks that match every filter item."""
        params = {"project": project, "include": "id", "page_size": 1,
                  "query": json.dumps({"filters": {"conjunction": "and", "items": items}})}
        response = self._get("api/tasks", params, "count tasks")
        return int(response.json().get("total") or 0) if response is not None else 0

    def task_ids(self, project: int) -> set[int]:
        """The ids of every task of the project."""
        with _translated("list tasks", self.url):
            return {t.id for t in self._sdk.tasks.list(project=project, include="id", page_size=PAGE_SIZE)}

    # users ----------------------------------------------------------------------------------
    def users(self) -> dict[int, str]:
        """user id -> email."""
        with _translated("list users", self.url):
            return {u.id: u.email for u in self._sdk.users.list()}

    def close(self) -> None:
        self._sdk._client_wrapper.httpx_client.httpx_client.close()

    def __enter__(self) -> "LabelStudioClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _body(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def _unique(tasks: list[dict]) -> list[dict]:
    """Tasks once each (a page boundary that moved while paging can repeat one)."""
    return list({t["id"]: t for t in tasks}.values())


def _server_time(response: httpx.Response) -> datetime | None:
    """The server's clock from the Date header, as naive UTC (None without one)."""
    from email.utils import parsedate_to_datetime

    value = response.headers.get("date")
    if not value:
        return None
    return parsedate_to_datetime(value).astimezone(timezone.utc).replace(tzinfo=None)
