"""The package version: one place, read by the package, its settings files and setuptools."""

__version__ = "0.1.0"
