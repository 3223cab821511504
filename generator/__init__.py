"""The synthetic SaaS usage-data generator (entry point: scripts/generate_saas_data.py)."""
