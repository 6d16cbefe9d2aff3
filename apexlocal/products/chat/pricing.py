"""The price of a chat completion: the credit table's `chat` credits per started 1,000 tokens, the
prompt's and the answer's together (at least one block).

The answer's length is known only at its end, so a request is charged for its prompt and its whole
`max_tokens` when it starts (refused with 402 when the balance cannot cover that), and what the
answer did not use is refunded when it ends."""

from __future__ import annotations

import math

PRICE = "chat"
BLOCK = 1000  # tokens per price unit


def price(costs: dict[str, int], tokens: int) -> int:
    return max(1, math.ceil(tokens / BLOCK)) * costs[PRICE]
