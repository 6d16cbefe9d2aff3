"""A commercial (`POST /api/generate/commercial`): the `commercial` engine writes a timed script
with the writer (engines.writer), narrates it with a voice engine, makes each part's picture (the
video model, a product photo, or the spokesperson lip-synced by the talking-head engine), lays a
music bed under it (engines.music) and composes it at the platform's frame and exact duration
(engines.compose). See engine.py for the steps and script.py for the script's schema and repairs.
Heavy libraries are imported inside functions only."""
