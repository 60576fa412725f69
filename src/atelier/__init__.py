"""Atelier: an offline creative assistant for images and sound."""

__version__ = "0.1.0"
