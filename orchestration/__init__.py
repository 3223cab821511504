"""How the project runs: the dbt runner, the daily job, replays and the orchestrator."""
