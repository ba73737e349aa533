"""Offline checks of what `kubectl apply -k metacontroller/` installs, the samples, the image."""
