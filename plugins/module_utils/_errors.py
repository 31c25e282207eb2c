# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The exceptions of the collection: one root, caught once by the module base class.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class IncoplaxError(Exception):
    """Root of every error this collection raises; its text is safe to show (no secret in any form).

    ``result`` holds return values known at the time of the error (for example the targets that were
    refused); the module fails with them, so that a failure still reports what is known.
    """

    def __init__(self, message='', result=None):
        super(IncoplaxError, self).__init__(message)
        self.result = dict(result or {})

    def to_dict(self):
        """Structured detail for the module result's ``error`` key, or None."""
        return None


class ParameterError(IncoplaxError):
    """Bad module input, found before any request that changes the platform is sent."""


class IncoplaxApiError(IncoplaxError):
    """A request that failed: HTTP error status, network failure, or an answer we cannot use.

    Carries what a responder needs to act (method, path, status, a short body excerpt) and nothing
    that could hold a secret: the client redacts every text before it builds one.
    """

    def __init__(self, method, path, status=None, excerpt=None, reason=None):
        self.method = method
        self.path = path
        self.status = status
        self.excerpt = excerpt
        self.reason = reason
        super(IncoplaxApiError, self).__init__(self._format())

    def _format(self):
        where = '%s %s' % (self.method, self.path)
        if self.status is not None:
            text = '%s failed: HTTP %s' % (where, self.status)
            if self.reason:
                text += ' %s' % self.reason
        else:
            text = '%s failed: %s' % (where, self.reason or 'no answer')
        if self.excerpt:
            text += ': %s' % self.excerpt
        hint = _STATUS_HINTS.get(self.status)
        if hint:
            text += ' (%s)' % hint
        return text

    def to_dict(self):
        return {'method': self.method, 'path': self.path, 'status': self.status,
                'reason': self.reason, 'excerpt': self.excerpt}


_STATUS_HINTS = {
    401: 'check the token, or the username and password',
    403: 'the credentials are valid but not allowed to manage web sessions',
    429: 'the platform is rate limiting; raise retries or lower concurrency',
}
