# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection settings and their per-request decisions.

Like the store, a ``Faults`` object is used under the emulator's single lock.
"""

import random

from .store import DataError

GARBAGE_KINDS = ('html', 'empty', 'object', 'missing_fields')
COUNTED_KEYS = ('reset_first', 'fail_first', 'rate_limit_first')

UNAVAILABLE_HTML = '<html><body>503 Service Unavailable</body></html>'


def _number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _non_negative_number(value):
    return _number(value) and value >= 0


def _non_negative_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _strings(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# key -> (check, description for the error message)
_RULES = {
    'latency_ms': (_non_negative_number, 'a number >= 0'),
    'hang_ms': (_non_negative_number, 'a number >= 0'),
    'error_rate': (lambda value: _number(value) and 0 <= value <= 1, 'a number from 0 to 1'),
    'fail_first': (_non_negative_int, 'an integer >= 0'),
    'rate_limit_first': (_non_negative_int, 'an integer >= 0'),
    'retry_after': (_non_negative_int, 'an integer >= 0'),
    'reset_first': (_non_negative_int, 'an integer >= 0'),
    'fail_users': (_strings, 'a list of strings'),
    'fail_sessions': (_strings, 'a list of strings'),
    'garbage': (lambda value: value in GARBAGE_KINDS, 'one of %s' % ', '.join(GARBAGE_KINDS)),
    'relogin_after': (_non_negative_number, 'a number of seconds >= 0'),
    'relogin_times': (lambda value: _non_negative_int(value) and value >= 1, 'an integer >= 1'),
    'relogin_users': (_strings, 'a list of strings'),
    'seed': (_non_negative_int, 'an integer >= 0'),
    'ignore_sites': (lambda value: isinstance(value, bool), 'true or false'),
    'close_delay': (_non_negative_number, 'a number of seconds >= 0'),
    'stale_sessions': (_strings, 'a list of strings'),
    'ghost_sessions': (_strings, 'a list of strings'),
}


def validate(spec):
    """Return a clean copy of a fault dict (null values dropped) or raise ``DataError``."""
    if not isinstance(spec, dict):
        raise DataError('faults must be a JSON object')
    clean = {}
    for key, value in spec.items():
        if key not in _RULES:
            raise DataError('unknown fault %r (known: %s)' % (key, ', '.join(sorted(_RULES))))
        if value is None:
            continue
        check, description = _RULES[key]
        if not check(value):
            raise DataError('fault %s must be %s' % (key, description))
        clean[key] = value
    return clean


class Faults:
    """The active faults, the counts left for the ``*_first`` ones, and the re-logins done per user."""

    def __init__(self, spec=None, seed=1):
        self.config = validate(spec or {})
        self._left = {key: self.config.get(key, 0) for key in COUNTED_KEYS}
        self._rng = random.Random(self.config.get('seed', seed))
        self._relogins = {}

    def as_dict(self):
        """The active faults; ``*_first`` values show how many are left."""
        data = dict(self.config)
        for key in COUNTED_KEYS:
            if key in data:
                data[key] = self._left[key]
        return data

    def admit(self):
        """Decide the fate of one vendor request: ``(delay_seconds, action)``.

        ``action`` is None (answer normally), 'reset', 'unavailable' (503), 'rate_limited' (429)
        or 'error' (500). At most one ``*_first`` count is used per request, in that order.
        """
        delay = (self.config.get('latency_ms', 0) + self.config.get('hang_ms', 0)) / 1000.0
        for key, action in (('reset_first', 'reset'), ('fail_first', 'unavailable'), ('rate_limit_first', 'rate_limited')):
            if self._left[key] > 0:
                self._left[key] -= 1
                return delay, action
        rate = self.config.get('error_rate', 0)
        if rate and self._rng.random() < rate:
            return delay, 'error'
        return delay, None

    @property
    def retry_after(self):
        """Seconds for the ``Retry-After`` header of an injected 429."""
        return self.config.get('retry_after', 1)

    @property
    def garbage(self):
        """The garbage kind for GET answers, or None."""
        return self.config.get('garbage')

    def fails_user(self, user):
        """Whether a logout of ``user`` must fail."""
        return user in self.config.get('fail_users', ())

    def fails_session(self, session_id):
        """Whether a DELETE of ``session_id`` must fail."""
        return session_id in self.config.get('fail_sessions', ())

    @property
    def ignore_sites(self):
        """Whether every vendor request acts on every site, whatever its ``sites`` says."""
        return self.config.get('ignore_sites', False)

    @property
    def close_delay(self):
        """Seconds a closed entry stays listed after the POST or DELETE that closed it."""
        return self.config.get('close_delay', 0)

    def stale(self, session_id):
        """Whether a DELETE of ``session_id`` answers 404 while the session stays open and listed."""
        return session_id in self.config.get('stale_sessions', ())

    def ghost(self, session_id):
        """Whether a DELETE of ``session_id`` answers 404 although it closes the session (gone meanwhile)."""
        return session_id in self.config.get('ghost_sessions', ())

    def relogin_delay(self, entry):
        """Seconds until ``entry``'s user logs in again after a logout event, or None; counts the event."""
        after = self.config.get('relogin_after')
        if after is None:
            return None
        users = self.config.get('relogin_users')
        if users is not None and entry.login not in users and entry.user_id not in users:
            return None
        key = (entry.domain, entry.user_id)
        done = self._relogins.get(key, 0)
        if done >= self.config.get('relogin_times', 1):
            return None
        self._relogins[key] = done + 1
        return after
