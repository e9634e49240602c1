"""The two kinds of Label Studio task claimflow pushes and lands: claims (a verdict each) and
claim pairs (how two claims of different articles relate). Push, land and resolve run the same
steps for both; a kind says which project, config, tables, suite and translation it uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from annotation.config import CLAIM_CONFIG, INSTRUCTIONS, PAIR_CONFIG, PAIR_INSTRUCTIONS
from annotation.pairs import flatten_pair
from annotation.results import flatten
from flows.settings import Settings
from warehouse.annotations import CLAIMS, PAIRS, Tables

if TYPE_CHECKING:  # numpy and pyarrow come with it: imported by a land that gates rows, not by one with nothing new
    from expectations.labels import LabelGate


def _flatten_claim(annotation, subject: str | None, **kw) -> dict:
    return flatten(annotation, claim_id=subject, **kw)


def _flatten_pair(annotation, subject: str | None, **kw) -> dict:
    return flatten_pair(annotation, pair_id=subject, **kw)


@dataclass(frozen=True)
class TaskKind:
    name: str                     # claim | pair
    config: str                   # labeling config file in annotation/configs
    description: str              # the project's description in Label Studio
    tables: Tables
    gate_name: str                # the kind's LabelGate in expectations.labels (see :attr:`gate`)
    flatten: Callable[..., dict]  # (annotation, subject id, users=, task_id=, project_id=) -> label row
    project_setting: str          # the Settings field holding the project's title
    instructions: str             # the annotators' instructions (HTML) in annotation/configs
    view: str                     # the Data Manager tab claimflow keeps (raw HTML fields hidden)

    @property
    def gate(self) -> LabelGate:
        """What gates the kind's label rows: its suite, frame columns and referential checks."""
        from expectations import labels

        return getattr(labels, self.gate_name)

    @property
    def subject(self) -> str:
        """The id field in a task's data and the id column of the tables: claim_id or pair_id."""
        return self.tables.subject

    def project_title(self, settings: Settings) -> str:
        return getattr(settings, self.project_setting)

    def subject_of(self, data: Mapping | None) -> str | None:
        value = (data or {}).get(self.subject)
        return value if isinstance(value, str) else None


CLAIM = TaskKind(
    "claim", CLAIM_CONFIG, "Claims extracted by claimflow: give each a verdict, a confidence, a rationale and evidence.",
    CLAIMS, "CLAIM_GATE", _flatten_claim, "ls_project", INSTRUCTIONS, "Claims",
)
PAIR = TaskKind(
    "pair", PAIR_CONFIG, "Pairs of claims from different articles that claimflow matched: say whether they agree, "
    "contradict, are unrelated, or speak of different events.",
    PAIRS, "PAIR_GATE", _flatten_pair, "ls_pair_project", PAIR_INSTRUCTIONS, "Pairs",
)
