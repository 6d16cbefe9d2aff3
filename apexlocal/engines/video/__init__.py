"""Video generation with diffusers pipelines.

Public surface:
- `engine.text_to_video(spec, model, ctx)`: the text2video and b-roll endpoints' engine call
  (registered as `diffusers-video`, class `engine.DiffusersVideoEngine`);
- `mp4.write_mp4(frames, fps, size, audio, path)`: the encoder, replaceable by the composition
  module;
- `request.parse_request`, `plan.plan_clips`, `plan.native_geometry`: the engine's own steps,
  public so a benchmark runs exactly the code a job runs.
"""
