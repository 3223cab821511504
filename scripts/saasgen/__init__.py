"""Pure logic of the SaaS seed-data generator (see scripts/generate_saas_data.py)."""
