"""Ray job entrypoints and the Ray resources each stage asks for.

`python -m augft.cluster.jobs <command> [args...]` runs any augft command inside a Ray job
(`ray job submit --working-dir . -- python -m augft.cluster.jobs train ...`, or
`augft submit train ...`, which builds that entrypoint). `cluster.jobs.resources`
turns the `cluster.*` config into placement groups and scaling settings.
"""
from augft.cluster.jobs.entry import JOB_COMMANDS, JobPlan, entrypoint, plan

__all__ = ["JOB_COMMANDS", "JobPlan", "entrypoint", "plan"]
