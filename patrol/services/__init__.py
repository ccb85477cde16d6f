"""Use cases: plain values and a session in, plain data out, PatrolError subclasses raised.

Services never import Flask; the api/ and web/ blueprints and the CLI call them.
"""
