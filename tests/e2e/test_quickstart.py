"""The seed's Python quick start, unchanged but for BASE_URL and API_KEY, against
`APEXLOCAL_MODEL_SET=tiny apexlocal serve`: it ends with a URL that downloads a 1024x1024 PNG."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from tests import loopback

pytestmark = pytest.mark.e2e

SEED_EXAMPLE = Path(__file__).with_name("seed_quickstart.py")


def test_seed_quickstart_against_a_real_server(server_factory, tmp_path):
    from PIL import Image

    server = server_factory().start()
    key = server.read_owner_key()
    assert key.startswith("sk_live_")
    script = SEED_EXAMPLE.read_text()
    script = script.replace('API_KEY = "YOUR_API_KEY"', f'API_KEY = "{key}"')
    script = script.replace('BASE_URL = "https://useapexstudio.com"', f'BASE_URL = "{server.url}"')
    path = tmp_path / "quickstart.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Remaining requests: 4" in out.stdout
    url = out.stdout.strip().splitlines()[-1].removeprefix("Output: ")
    assert url.startswith(server.url + "/files/")
    png = loopback.get(url)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG" and image.size == (1024, 1024)
    job = loopback.get(f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {key}"}).json()["data"][0]
    assert job["metadata"]["model"] == "flux-2-pro"
    assert job["metadata"]["modelId"] == "flux2-klein-4b"
