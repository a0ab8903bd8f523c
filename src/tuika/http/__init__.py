"""What the API and the pages share: bearer tokens, request dependencies, errors as HTTP answers, body limits.

``tuika.api`` and ``tuika.web`` import this package and never each other; ``tuika.app`` mounts both.
"""
