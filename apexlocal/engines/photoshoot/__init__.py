"""Product photoshoots: one product photo into studio, lifestyle, outdoor or flat-lay shots that
keep the product itself (its label, logo, shape and colours), not a look-alike.

The steps, one module each: `cut_out` (apexlocal/engines/cutout) finds the product and its soft
mask; `layout` places it on the canvas for the angle; `background` has the image model make the
scene around it (an inpainting pipeline painting everything but the product, seeing it as a
reference picture where the pipeline takes one, or an editing pipeline given the placed product);
`composite` puts the product's own pixels back over the scene with a contact shadow and a
reflection or drop shadow; `relight` matches the product's colour temperature and light direction
to the scene with bounded per-channel gains (never repainting it). Angles that need a view of the
product the photo does not show come from the editing model's own rendering and are marked
`newView` in the metadata. `engine` runs them.
"""
