"""Which image models edit: a model's `reference_images` in the catalogue is how many input
pictures (the image to edit, then references) its pipeline takes, 0 for a text-only model. The API
checks a request against it before charging; the engine checks the job's spec again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apexlocal.errors import ApexError, JobError
from apexlocal.models.manifest import Manifest, ModelEntry

IMAGE_FIELD = "imageUrl"
REFERENCES_FIELD = "referenceImages"


def editing_models(manifest: Manifest, task: str = "image") -> list[str]:
    """`id (aliases): up to N` for every model of `task` that takes input pictures."""
    named = []
    for entry in manifest.model:
        if task in entry.tasks and entry.reference_images > 0:
            aliases = f" ({', '.join(entry.aliases)})" if entry.aliases else ""
            named.append(f"{entry.id}{aliases}: up to {entry.reference_images}")
    return named


def input_urls(spec: dict[str, Any], error: type[ApexError] = JobError) -> list[tuple[str, str]]:
    """(field, url) of each input picture of a spec, `imageUrl` first; `error` for a wrong type."""
    pairs: list[tuple[str, str]] = []
    image = spec.get(IMAGE_FIELD)
    if image is not None:
        if not isinstance(image, str) or not image:
            raise error(f"{IMAGE_FIELD}: must be a URL")
        pairs.append((IMAGE_FIELD, image))
    references = spec.get(REFERENCES_FIELD)
    if references is not None:
        if not isinstance(references, list) or not all(isinstance(u, str) and u for u in references):
            raise error(f"{REFERENCES_FIELD}: must be a list of URLs")
        pairs.extend((f"{REFERENCES_FIELD}[{i}]", url) for i, url in enumerate(references))
    return pairs


def check_inputs(
    model: ModelEntry, manifest: Manifest, count: int, fields: Sequence[str], error: type[ApexError] = JobError
) -> None:
    """`error` naming the first field when `model` takes no input picture (naming the models that
    do) or fewer than `count`."""
    if count == 0:
        return
    field = fields[0]
    if model.reference_images == 0:
        able = "; ".join(editing_models(manifest)) or "none in this server's catalogue"
        raise error(f"{field}: the model {model.id} makes images from text only; models that take images: {able}")
    if count > model.reference_images:
        raise error(
            f"{REFERENCES_FIELD}: {model.id} takes at most {model.reference_images} input images "
            f"({IMAGE_FIELD} included), not {count}"
        )
