"""The page a login link shows when opening it is not enough to sign in: it names the account and
asks for a click, whose same-origin POST spends the link. Plain HTML in the studio's styles, no
script, so the strict Content-Security-Policy holds and nothing submits the form by itself.
"""

from __future__ import annotations

from html import escape

CONFIRM_PATH = "/auth/login/link"

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <meta name="referrer" content="same-origin">
  <title>Sign in · apexlocal studio</title>
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/css/base.css">
  <link rel="stylesheet" href="/assets/css/layout.css">
  <link rel="stylesheet" href="/assets/css/components.css">
  <link rel="stylesheet" href="/assets/css/media.css">
</head>
<body>
  <main id="main" class="main">
    <div class="signin-wrap"><section class="card signin-card" aria-labelledby="signin-title">
      <div class="row"><img src="/assets/favicon.svg" alt="" width="40" height="40">
        <h1 id="signin-title">Sign in to the studio</h1></div>
      <p>This one-time link signs this browser in as <strong id="link-email">{email}</strong>.</p>
      <p class="muted small">Continue only if you asked for this link: one that someone else sent you
        would sign you in to their account, and what you do there would be theirs to see.</p>
      <form method="post" action="{action}">
        <input type="hidden" name="token" value="{token}">
        <div class="form-actions">
          <button class="btn btn-primary" type="submit" id="confirm-signin">Sign in</button>
        </div>
      </form>
    </section></div>
  </main>
</body>
</html>
"""


def render(email: str, token: str) -> str:
    return _PAGE.format(email=escape(email), token=escape(token), action=CONFIRM_PATH)
