"""Signing in to the pages: a single-use link opens a session kept on the server."""
