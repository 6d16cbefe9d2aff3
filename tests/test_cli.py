"""The admin CLI on a real data dir."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.helpers import cli


def test_users_keys_credits(tmp_path):
    data = tmp_path / "data"
    out = cli("users", "create", "ana@example.com", "--plan", "creator", "--credits", "500", data_dir=data)
    assert "plan=creator" in out and "credits=500" in out
    assert "ana@example.com" in cli("users", "list", data_dir=data)
    assert "plan pro" in cli("users", "set-plan", "ana@example.com", "pro", data_dir=data)
    out = cli("keys", "create", "--user", "ana@example.com", "--name", "laptop", data_dir=data)
    key = out.strip().splitlines()[-1]
    assert key.startswith("sk_live_") and len(key) == 46
    listing = cli("keys", "list", data_dir=data)
    assert key[-4:] in listing and key not in listing and "laptop" in listing
    key_id = listing.split()[0]
    assert "Revoked" in cli("keys", "revoke", key_id, data_dir=data)
    assert "revoked" in cli("keys", "list", data_dir=data)
    assert "750 credits" in cli("credits", "grant", "ana@example.com", "250", data_dir=data)
    assert "750 credits (ledger sum 750)" in cli("credits", "show", "ana@example.com", data_dir=data)


def test_errors_are_clear_and_exit_nonzero(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "apexlocal", *args, "--data-dir", str(tmp_path)], capture_output=True, text=True
        )

    bad_plan = run("users", "create", "x@example.com", "--plan", "gold")
    assert bad_plan.returncode != 0 and "plan: must be one of free, creator, pro, enterprise" in bad_plan.stderr
    missing = run("credits", "show", "nobody@example.com")
    assert missing.returncode != 0 and "No user with email nobody@example.com" in missing.stderr
    run("users", "create", "x@example.com")
    dup = run("users", "create", "x@example.com")
    assert dup.returncode != 0 and "exists already" in dup.stderr


def test_help_does_not_import_torch():
    code = "import sys; from apexlocal.cli import cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
