"""The sandbox: the whole platform on the embedded default (make sandbox)."""
