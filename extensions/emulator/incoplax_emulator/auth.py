# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials (bearer tokens and HTTP basic) and the caller identity each one maps to.

Secrets live only here: nothing in this module returns, logs or formats a token or a password.
"""

import base64
import binascii
import hmac

from .store import DataError

IDENTITY_FIELDS = ('login', 'user_id', 'domain', 'session_id')
CHALLENGES = ('Bearer realm="incoplax"', 'Basic realm="incoplax"')


def _same(given, expected):
    return hmac.compare_digest(given.encode('utf-8'), expected.encode('utf-8'))


def _identity(data, what):
    if not isinstance(data, dict):
        raise DataError('%s must be an object' % what)
    identity = {}
    for name in IDENTITY_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise DataError('%s.%s must be a non-empty string' % (what, name))
        identity[name] = value
    return identity


class Credentials:
    """Accepted tokens and basic users, each mapped to a caller identity."""

    def __init__(self, tokens=None, basic=None):
        self._tokens = dict(tokens or {})
        self._basic = dict(basic or {})

    @classmethod
    def from_cli(cls, token, username, password, caller):
        """One token and one basic user, both mapping to ``caller``; empty values are left out."""
        tokens = {token: dict(caller)} if token else {}
        basic = {username: (password, dict(caller))} if username and password is not None else {}
        return cls(tokens, basic)

    @classmethod
    def from_fixture(cls, data):
        """Parse the ``credentials`` object of a fixture (see the README)."""
        if not isinstance(data, dict):
            raise DataError('credentials must be an object')
        tokens, basic = data.get('tokens', {}), data.get('basic', {})
        if not isinstance(tokens, dict) or not isinstance(basic, dict):
            raise DataError('credentials.tokens and credentials.basic must be objects')
        parsed_basic = {}
        for username, entry in basic.items():
            if not isinstance(entry, dict) or not isinstance(entry.get('password'), str):
                raise DataError('credentials.basic entries need a string password')
            parsed_basic[username] = (entry['password'], _identity(entry, 'credentials.basic entry'))
        return cls({token: _identity(entry, 'credentials.tokens entry') for token, entry in tokens.items()}, parsed_basic)

    def identities(self):
        """Distinct caller identities (no secrets), for the state endpoint."""
        found = []
        for identity in list(self._tokens.values()) + [entry[1] for entry in self._basic.values()]:
            if identity not in found:
                found.append(identity)
        return found

    def identify(self, header):
        """Return ``(identity, None)`` for a valid ``Authorization`` header, else ``(None, reason)``."""
        if not header:
            return None, 'authentication required'
        scheme, _sep, value = header.strip().partition(' ')
        scheme, value = scheme.lower(), value.strip()
        if scheme == 'bearer':
            for token, identity in self._tokens.items():
                if _same(value, token):
                    return identity, None
            return None, 'invalid credentials'
        if scheme == 'basic':
            try:
                decoded = base64.b64decode(value, validate=True).decode('utf-8')
            except (binascii.Error, ValueError):
                return None, 'malformed basic credentials'
            username, sep, password = decoded.partition(':')
            entry = self._basic.get(username)
            if sep and entry is not None and _same(password, entry[0]):
                return entry[1], None
            return None, 'invalid credentials'
        return None, 'unsupported authorization scheme'
