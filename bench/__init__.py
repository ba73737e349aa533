"""Benchmarks of the hooks against their floor and against a Metacontroller-example server."""
