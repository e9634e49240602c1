"""The labeling config for a claim, and the control names read from it (never scattered literals)."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources

from annotation.errors import ConfigError

CLAIM_CONFIG = "claim.xml"
PAIR_CONFIG = "pair.xml"
INSTRUCTIONS = "instructions.html"
PAIR_INSTRUCTIONS = "pair_instructions.html"


def config_text(name: str = CLAIM_CONFIG) -> str:
    """The XML of ``annotation/configs/<name>``."""
    return resources.files("annotation").joinpath("configs", name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Control:
    name: str
    tag: str
    to_name: str
    choices: tuple[str, ...] = ()

    @property
    def result_type(self) -> str:
        """The ``type`` of this control's results in Label Studio's JSON."""
        return self.tag.lower()


@dataclass(frozen=True, slots=True)
class ClaimControls:
    """The controls of the claim config that claimflow reads and writes."""

    verdict: Control
    confidence: Control
    rationale: Control
    evidence: Control
    checkworthy: Control

    @property
    def verdicts(self) -> tuple[str, ...]:
        return self.verdict.choices


def data_fields(xml: str | None = None) -> list[str]:
    """The task data fields the config shows (its ``value="$field"`` attributes), in order."""
    return list(dict.fromkeys(re.findall(r'value="\$(\w+)"', xml or config_text())))


@dataclass(frozen=True, slots=True)
class PairControls:
    """The controls of the pair config that claimflow reads and writes."""

    relation: Control
    rationale: Control

    @property
    def relations(self) -> tuple[str, ...]:
        return self.relation.choices


def _controls(xml: str, wanted: dict[str, str]) -> dict[str, Control]:
    """The config's controls named in ``wanted`` (name -> tag); :class:`ConfigError` if one is
    missing. A choice's stored value is its ``alias`` when it has one (what people read is its
    ``value``)."""
    root = ET.fromstring(xml)
    found: dict[str, Control] = {}
    for el in root.iter():
        if "toName" in el.attrib and "name" in el.attrib:
            choices = tuple(c.attrib.get("alias") or c.attrib["value"] for c in el.iter("Choice"))
            found[el.attrib["name"]] = Control(el.attrib["name"], el.tag, el.attrib["toName"], choices)
    for name, tag in wanted.items():
        if name not in found or found[name].tag != tag:
            raise ConfigError(f"labeling config needs a <{tag} name=\"{name}\"> control")
    return {name: found[name] for name in wanted}


@functools.lru_cache(maxsize=8)
def claim_controls(xml: str | None = None) -> ClaimControls:
    """Parse the claim config and return its controls; raise :class:`ConfigError` if one is missing."""
    wanted = {"verdict": "Choices", "confidence": "Rating", "rationale": "TextArea", "evidence": "TextArea", "checkworthy": "Choices"}
    return ClaimControls(**_controls(xml or config_text(), wanted))


@functools.lru_cache(maxsize=8)
def pair_controls(xml: str | None = None) -> PairControls:
    """Parse the pair config and return its controls; raise :class:`ConfigError` if one is missing."""
    return PairControls(**_controls(xml or config_text(PAIR_CONFIG), {"relation": "Choices", "rationale": "TextArea"}))
