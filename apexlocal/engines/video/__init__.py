"""Video generation with diffusers pipelines.

Public surface:
- `engine.text_to_video(spec, model, ctx)`: the text2video and b-roll endpoints' engine call
  (registered as `diffusers-video`, class `engine.DiffusersVideoEngine`);
- `engine.open_maker(model, ctx, longest_s)`: the loaded pipelines as a `FrameMaker`, whose
  `frames(request, ctx)` makes a video's frames without encoding them (the narrated video's
  scenes, composed by `engines.compose`);
- `mp4.write_mp4(frames, fps, size, audio, path)`: the encoder, replaceable by the composition
  module;
- `request.parse_request`, `plan.plan_clips`, `plan.native_geometry`: the engine's own steps,
  public so a benchmark runs exactly the code a job runs.
"""
