"""The `policytag` Typer app, and what its commands share: the one-line error, recipe lookup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policytag.config import CONFIGS, ConfigError

app = typer.Typer(
    help="Tag paragraphs of Chinese work reports by role and policy domain.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Tag paragraphs of Chinese work reports by role and policy domain."""


def fail(message: str) -> None:
    """A user error: one line on stderr, exit status 2."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


Overwrite = Annotated[
    bool,
    typer.Option(
        help="Write the output folder beside files policytag did not write there (they are never removed or replaced)."
    ),
]


def recipe_path(recipe: Path, kind: str) -> Path:
    """A recipe file, or a bare name looked up in configs/<kind>/."""
    if recipe.suffix in (".yaml", ".yml") or recipe.exists():
        return recipe
    path = CONFIGS / kind / f"{recipe}.yaml"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in (CONFIGS / kind).glob("*.yaml")))
        raise ConfigError(f"no recipe {recipe!r}; configs/{kind}/ has: {names}")
    return path
