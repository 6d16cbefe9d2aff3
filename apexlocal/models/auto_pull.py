"""Which models a job may download on its own, as its first stage.

A pull can be a hundred gigabytes, so it is the admin's decision, not any user's with credits: the
`auto_pull_models` setting names the models (ids or aliases, `*` wildcards), with `default` standing
for each task's default model, which is also what an empty setting means. Everything else is
installed by an admin with `apexlocal models pull`.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from apexlocal.models.manifest import Manifest, ModelEntry

DEFAULT = "default"


def default_model_ids(manifest: Manifest) -> set[str]:
    """Each task's default model, the one the API may pick on a GPU (`defaults.gpu_default_for`),
    the companions that continue their videos (a long video needs them too) and the parts a
    model loads with it (`defaults.parts`, e.g. MuseTalk's VAE and audio encoder)."""
    ids = {m.id for m in manifest.model if m.default_for or m.defaults.get("gpu_default_for")}
    by_id = manifest.by_id()
    parts = {str(p) for i in ids for p in (by_id[i].defaults.get("parts") or {}).values()}
    return ids | {by_id[i].companion for i in ids if by_id[i].companion in by_id} | (parts & set(by_id))


def may_auto_pull(manifest: Manifest, entry: ModelEntry, allowed: tuple[str, ...]) -> bool:
    """Whether `allowed` (the auto_pull_models setting) lets a job pull `entry`."""
    names = {entry.id, *(a.lower() for a in entry.aliases)}
    for pattern in allowed or (DEFAULT,):
        pattern = pattern.strip().lower()
        if pattern == DEFAULT:
            if entry.id in default_model_ids(manifest):
                return True
        elif any(fnmatchcase(name, pattern) for name in names):
            return True
    return False
