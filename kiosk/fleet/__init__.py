"""The fleet side of a till: its journal pushed to PostgreSQL, its metrics for Prometheus.

``push`` needs psycopg (the ``kiosk[fleet]`` extra); ``metrics`` needs prometheus_client.
Neither is imported unless used, so a till that does neither pays nothing at start.
"""
