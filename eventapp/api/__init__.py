"""The JSON API under /api/v1: bearer tokens, one error shape, OpenAPI 3.1 description."""
