"""Streamlit-side helpers shared by the pages: strings, config widgets, the job pool, run state.

Nothing here imports TensorFlow: the server process only validates configs and talks to the
engine's worker processes (models.infra.jobs).
"""
