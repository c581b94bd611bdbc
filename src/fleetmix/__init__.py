"""fleetmix: plan multi-vendor LLM inference fleets."""

__version__ = "0.1.0"
