"""The safetensors header reader lives in the torch-free ``atelier.models``; the engine's
modules import it from here as before."""

from ..models.safetensors_header import MAX_HEADER_BYTES, check_complete, read_header

__all__ = ["MAX_HEADER_BYTES", "check_complete", "read_header"]
