"""Tests of the Fleet API emulator (no Home Assistant)."""
