"""What a product registers: its routes, the kinds of job it queues, and what it must do when the
server starts. The app reads `PRODUCTS` (apexlocal/products/__init__.py); nothing else needs to
know a product exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from apexlocal.jobs.services import Services
from apexlocal.jobs.types import JobType


@dataclass(frozen=True)
class Product:
    name: str
    routes: Sequence[Any] = ()  # route handlers mounted under /api (API key or studio session)
    job_types: Sequence[JobType] = ()
    root_routes: Sequence[Any] = ()  # handlers or routers outside /api, with their own auth
    # Registers the product's own queue tasks; called once while the server's services are built.
    install: Callable[[Services], Any] | None = None
    # Called once when the server starts, after job reconciliation and before the workers start.
    on_startup: Sequence[Callable[[Services], Any]] = ()
    # Called once when the server stops, before its services close (calls hang up).
    on_shutdown: Sequence[Callable[[Services], Any]] = ()
