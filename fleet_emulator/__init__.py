"""A local stand-in for Tesla's OAuth server and Fleet API."""

from .emulator import Emulator

__all__ = ["Emulator"]
