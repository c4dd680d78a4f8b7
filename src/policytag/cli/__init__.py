"""The `policytag` command: a thin Typer layer, one library call per command; printing apart.

The command modules register their commands on `app` when imported, in the pipeline's order
(which `policytag --help` lists): labelled data, models, corpora, whole jobs.
"""

from importlib import import_module

from policytag.cli.app import app

for _part in ("labelling", "modelling", "corpus", "jobs"):
    import_module(f"policytag.cli.{_part}")

__all__ = ["app"]
