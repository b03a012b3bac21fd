"""The package version, apart from the public API so that every floor can read it without importing upward."""

__version__ = "0.1.0"
