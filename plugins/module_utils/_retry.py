# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retries of the Incoplax API client: the retry budget one module run shares, and the urllib3 retry policy.

Private module_utils file: its interface may change in any release, and it must not be used from outside this
collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

try:
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:  # the client reports the missing requests (which brings urllib3)
    Retry = object

# A server asking for a very long pause would stall an incident run; past this we stop waiting (the client
# sets its own value on the policy it builds).
MAX_RETRY_AFTER = 60
# Total seconds one client (one module run) may spend waiting before retries, all requests together.
DEFAULT_RETRY_BUDGET = 60
BACKOFF_MAX = 10


class RetryBudget:
    """Seconds of waiting before retries that all requests of one client share (thread-safe).

    A wait is taken from the budget before it starts; a wait larger than what is left is not started, and
    from then on no request waits or retries any more (each still gets its first attempt).
    """

    def __init__(self, seconds=None):
        self.seconds = DEFAULT_RETRY_BUDGET if seconds is None else seconds
        self.spent = 0.0
        self.exhausted = False
        self._lock = threading.Lock()

    def take(self, wait):
        """True when ``wait`` seconds may be waited (and counts them); False when the budget is spent."""
        with self._lock:
            if self.exhausted:
                return False
            if wait > self.seconds - self.spent + 1e-9:
                self.exhausted = True
                return False
            self.spent += wait
            return True

    def renew(self):
        """The whole budget again: for a client that lives longer than one run (the ws_sessions event source)."""
        with self._lock:
            self.spent = 0.0
            self.exhausted = False


class RetryBudgetSpent(Exception):
    """A retry refused because its wait does not fit in the budget; ``reason`` is the error retried, if any."""

    def __init__(self, budget, wait, asked=None, reason=None, cap=MAX_RETRY_AFTER):
        self.budget = budget
        self.wait = wait
        self.asked = asked
        self.reason = reason
        self.cap = cap
        super(RetryBudgetSpent, self).__init__(self.describe())

    def describe(self):
        if self.asked is not None:
            wait = '%s s (Retry-After: %s%s)' % (_seconds(self.wait), _seconds(self.asked),
                                                 ', capped at %s s' % self.cap if self.asked > self.wait else '')
        else:
            wait = '%s s of backoff' % _seconds(self.wait)
        return ('not retried: the retry budget of %s s is spent (%s s waited in this task, the next wait would be %s); '
                'raise retry_budget to wait longer' % (_seconds(self.budget.seconds), _seconds(self.budget.spent), wait))


def _seconds(value):
    return ('%.1f' % value).rstrip('0').rstrip('.') if value is not None else '?'


class _Retry(Retry):
    """urllib3 retry policy with three changes for this API.

    A read timeout is not retried: a hanging node must fail after ``timeout``, not ``retries`` times
    later. ``Retry-After`` is honoured up to ``max_retry_after`` seconds. Every wait before a retry is
    taken from the client's ``RetryBudget`` first; a wait that does not fit is not started: the retry is
    refused and the request ends with its last answer (or error) at once.
    """

    # urllib3 1.26 reads this class attribute; 2.x takes backoff_max in the constructor.
    DEFAULT_BACKOFF_MAX = BACKOFF_MAX
    budget = None
    planned_wait = None
    max_retry_after = MAX_RETRY_AFTER

    def new(self, **kw):
        retry = super(_Retry, self).new(**kw)
        retry.budget = self.budget
        retry.max_retry_after = self.max_retry_after
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError):
            return super(_Retry, self.new(read=False)).increment(method, url, response, error, _pool, _stacktrace)
        retry = super(_Retry, self).increment(method, url, response, error, _pool, _stacktrace)
        wait, asked = retry.wait_for(response)
        if self.budget is not None and not self.budget.take(wait):
            refusal = RetryBudgetSpent(self.budget, wait, asked, error, self.max_retry_after)
            if response is not None:
                # urlopen answers a refused status retry with this very response: the client reads the refusal here.
                response.incoplax_retry_refused = refusal
            raise MaxRetryError(_pool, url, refusal)
        retry.planned_wait = wait
        return retry

    def wait_for(self, response):
        """(seconds this retry will wait, the Retry-After asked or None), as ``sleep`` would compute them."""
        if response is not None and self.respect_retry_after_header:
            try:
                asked = super(_Retry, self).get_retry_after(response)
            except Exception:  # pylint: disable=broad-except
                # An unreadable Retry-After (urllib3 raises InvalidHeader) falls back to the backoff.
                asked = None
            if asked:
                return min(asked, self.max_retry_after), asked
        return self.get_backoff_time(), None

    def get_retry_after(self, response):
        seconds = super(_Retry, self).get_retry_after(response)
        if seconds is None:
            return None
        return min(seconds, self.max_retry_after)

    def sleep(self, response=None):
        if self.planned_wait is None:
            super(_Retry, self).sleep(response)
        elif self.planned_wait > 0:
            time.sleep(self.planned_wait)
