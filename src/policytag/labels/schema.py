"""The label schema: role and domain ids from `taxonomy.yaml`, in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policytag.config import ConfigError, read_yaml

AXES = ("role", "domain")


@dataclass(frozen=True)
class LabelSchema:
    """Label ids per axis, in taxonomy order (that order fixes the model's class ids)."""

    role: tuple[str, ...]
    domain: tuple[str, ...]
    names: dict[str, str]  # id → Chinese name, for tables and plots

    @classmethod
    def load(cls, path: Path) -> LabelSchema:
        """Read a taxonomy YAML with `role:` and `domain:` mappings of id → {zh, means}."""
        data = read_yaml(path)
        axes = {}
        names = {}
        for axis in AXES:
            entries = data.get(axis)
            if not isinstance(entries, dict) or not entries:
                raise ConfigError(f"{path}: `{axis}` must map label ids to their descriptions")
            axes[axis] = tuple(str(k) for k in entries)
            names.update({str(k): str((v or {}).get("zh", k)) for k, v in entries.items()})
        return cls(role=axes["role"], domain=axes["domain"], names=names)

    def labels(self, axis: str) -> tuple[str, ...]:
        if axis not in AXES:
            raise KeyError(f"unknown axis {axis!r}; axes are {', '.join(AXES)}")
        return getattr(self, axis)

    def check(self, axis: str, label: str | None, where: str) -> str | None:
        """Return `label` when it is a known id of `axis` (or None); raise naming `where` otherwise."""
        if label is None or label in self.labels(axis):
            return label
        raise ValueError(
            f"{where}: unknown {axis} label {label!r}; expected one of {', '.join(self.labels(axis))}"
        )

    @classmethod
    def of_model(cls, settings) -> LabelSchema:
        """The schema a saved model decodes to: its label maps and names (`ExportSettings`)."""
        return cls(tuple(settings.labels.role), tuple(settings.labels.domain), dict(settings.label_names))
