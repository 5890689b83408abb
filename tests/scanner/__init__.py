"""Tests: scanner."""
