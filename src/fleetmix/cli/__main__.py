"""`python -m fleetmix.cli`."""

from fleetmix.cli import main

main()
