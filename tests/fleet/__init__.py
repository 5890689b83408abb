"""Tests: the fleet (journal push to PostgreSQL)."""
