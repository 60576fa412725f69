"""Pure-Python heart of Atelier: requests, recipes, metadata. Imports neither Qt nor torch."""
