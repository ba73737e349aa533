"""An emulator of Metacontroller's semantics, written from the reference: test code, not product.

`Cluster(hook)` runs an in-memory API store that keeps the API server's rules,
the built-in volume, Deployment and Job controllers, and the guestbook
CompositeController against a hook reached through the Flask test client or
real HTTP (`transport`), tick by tick, counting every write; `data` models
where a Redis leader's entries live, so that a scenario can prove none is lost.
"""
