"""The engine's teaching content: presets, the Questions notebook, the concept computations."""
