"""Tests: engage."""
