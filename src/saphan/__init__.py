"""Saphan: Thai integration APIs as one faithful, deployable service."""

__version__ = "0.1.0"
