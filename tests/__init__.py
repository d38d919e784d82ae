"""Tests for Tesla Fleet Direct."""
