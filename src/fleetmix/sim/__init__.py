"""Serving simulation: continuous batching over a paged KV cache, routing, capacity search."""
