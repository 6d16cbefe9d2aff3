"""One HTTP client for the tests' calls to the servers they start on loopback.

`httpx.get` makes a client for each call, and each client an SSL context with the CA bundle
loaded: about 30 ms of CPU. A loop polling a job ten or twenty times a second spent a third of a
core or more on that, beside the server it was waiting for. The client is safe to share between
threads; a pooled connection to a server that has since died is dropped, not reused.
"""

from __future__ import annotations

import httpx

LOOPBACK = httpx.Client(timeout=30)
