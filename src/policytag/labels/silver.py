"""Silver labels: the role and domain rules applied to a report, with every rule's vote kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from policytag.config import from_dict, read_yaml
from policytag.labels.domain import DomainLabeler, DomainRules
from policytag.labels.role import RoleLabeler, RoleRules
from policytag.labels.schema import LabelSchema
from policytag.runtime.segment import Paragraph


@dataclass(frozen=True)
class SilverLabel:
    """Combined labels of one paragraph and the votes they came from."""

    role: str | None
    domain: str | None
    votes: dict[str, dict[str, str | None]]  # axis → rule → vote


class SilverLabeler:
    """Both axes' rules, loaded from their YAML files and checked against the schema."""

    def __init__(self, schema: LabelSchema, role_rules: RoleRules, domain_rules: DomainRules) -> None:
        self.role = RoleLabeler(role_rules)
        self.domain = DomainLabeler(domain_rules, schema.domain)

    @classmethod
    def from_files(cls, schema: LabelSchema, role_path: Path, domain_path: Path) -> SilverLabeler:
        role = from_dict(RoleRules, read_yaml(role_path), source=str(role_path))
        domain = from_dict(DomainRules, read_yaml(domain_path), source=str(domain_path))
        return cls(schema, role, domain)

    def label_report(self, paragraphs: Sequence[Paragraph], year: int | None) -> list[SilverLabel]:
        """Silver labels for every paragraph of one report (rules may read the whole report)."""
        role_votes = self.role.label_report(paragraphs, year)
        labels = []
        for paragraph, votes in zip(paragraphs, role_votes):
            domain = self.domain.label(paragraph)
            labels.append(
                SilverLabel(
                    role=self.role.combine(votes),
                    domain=domain.label,
                    votes={"role": votes, "domain": domain.votes},
                )
            )
        return labels
