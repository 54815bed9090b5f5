"""The engine's process infrastructure: worker jobs, Ray, sweeps, the run store, settings."""
