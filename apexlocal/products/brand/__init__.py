"""Brand profiles: a user's saved brands (`/api/brand-profiles`), which the ad products resolve into
a snapshot in their jobs' specs (`resolve.brand_snapshot`). No jobs of its own."""

from apexlocal.products.base import Product
from apexlocal.products.brand import routes

PRODUCT = Product(name="brand", routes=routes.routes)
