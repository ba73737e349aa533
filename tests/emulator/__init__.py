"""An emulator of Metacontroller's semantics, written from the reference: test code, not product.

`Cluster(hook)` runs an in-memory API store, a built-in Deployment controller
and the guestbook CompositeController against a hook reached through the Flask
test client or real HTTP (`transport`), tick by tick, counting every write.
"""
