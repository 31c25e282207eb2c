# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the Incoplax web-sessions API.

This is a private module_utils file: its interface may change in any release, and it must not be
used from outside this collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re
import traceback

from urllib.parse import quote, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = object
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import scope_violation, session_id_problem

SESSIONS_PATH = '/rest/v1/master/logicalroles/ws/sessions'
RETRY_STATUSES = (429, 502, 503, 504)
# A server asking for a very long pause would stall an incident run; past this we stop waiting.
MAX_RETRY_AFTER = 60
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 10
EXCERPT_LENGTH = 300
USER_AGENT = 'incoplax.platform-ansible-collection'


def _excerpt(body, secrets):
    """Short, single-line, secret-free summary of an error body."""
    if not body:
        return None
    text = body
    try:
        data = json.loads(body)
    except ValueError:
        text = re.sub(r'<[^>]*>', ' ', body)
    else:
        if isinstance(data, dict):
            for key in ('error', 'message', 'detail', 'status', 'reason'):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
    text = ' '.join(text.split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, '********')
    if len(text) > EXCERPT_LENGTH:
        text = text[:EXCERPT_LENGTH] + '...'
    return text or None


class _Retry(Retry):
    """urllib3 retry policy with two changes for this API.

    A read timeout is not retried: a hanging node must fail after ``timeout``, not ``retries`` times
    later. ``Retry-After`` is honoured up to ``MAX_RETRY_AFTER`` seconds.
    """

    # urllib3 1.26 reads this class attribute; 2.x takes backoff_max in the constructor.
    DEFAULT_BACKOFF_MAX = BACKOFF_MAX

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError):
            return super(_Retry, self.new(read=False)).increment(method, url, response, error, _pool, _stacktrace)
        return super(_Retry, self).increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response):
        seconds = super(_Retry, self).get_retry_after(response)
        if seconds is None:
            return None
        return min(seconds, MAX_RETRY_AFTER)


def encode_sites(sites):
    """The ``sites`` value as the API expects it: compact JSON text."""
    return json.dumps(sites, separators=(',', ':'))


def session_path(session_id):
    """Path of one session: the id quoted as a single path segment (``/`` travels as ``%2F``)."""
    return '%s/%s' % (SESSIONS_PATH, quote(session_id, safe=''))


def _strip_userinfo(url):
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition('@')[2]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip('/'), '', ''))


class IncoplaxClient:
    """One pooled, authenticated connection to one platform.

    Safe to share between threads for the concurrent requests of bulk operations.
    """

    def __init__(self, url, token=None, username=None, password=None, validate_certs=True,
                 ca_path=None, timeout=30, retries=3, pool_size=10):
        self.base_url = _strip_userinfo(url)
        self.timeout = timeout
        self._secrets = [s for s in (token, password) if s]
        if username is not None:
            # A server echoing the request's Authorization header would show the credentials in this form.
            basic = '%s:%s' % (username, password or '')
            self._secrets.append(base64.b64encode(basic.encode('utf-8')).decode('ascii'))
        self._verify = (ca_path or True) if validate_certs else False
        self._session = requests.Session()
        retry_options = dict(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            backoff_factor=BACKOFF_FACTOR, status_forcelist=RETRY_STATUSES,
            allowed_methods=None, respect_retry_after_header=True, raise_on_status=False,
        )
        try:
            retry = _Retry(backoff_max=BACKOFF_MAX, **retry_options)
        except TypeError:
            retry = _Retry(**retry_options)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=max(pool_size, 1))
        self._session.mount('http://', adapter)
        self._session.mount('https://', adapter)
        self._session.headers.update({'Accept': 'application/json', 'User-Agent': USER_AGENT})
        if token:
            self._session.headers['Authorization'] = 'Bearer %s' % token
        elif username is not None:
            # Bytes: requests would encode text as latin-1 and fail on any other character.
            self._session.auth = (username.encode('utf-8'), (password or '').encode('utf-8'))

    def close(self):
        self._session.close()

    def _request(self, method, path, sites=None, body=None, ok_statuses=()):
        query = '' if sites is None else '?sites=' + quote(encode_sites(sites), safe='')
        shown_path = path + query
        kwargs = {
            'timeout': self.timeout,
            # Passed per request: a session-level value would be overridden by REQUESTS_CA_BUNDLE.
            'verify': self._verify,
            # A redirect could send the credentials elsewhere, and turns POST/DELETE into GET.
            'allow_redirects': False,
        }
        if body is not None:
            kwargs['data'] = json.dumps(body).encode('utf-8')
            kwargs['headers'] = {'Content-Type': 'application/json; charset=utf-8'}
        try:
            response = self._session.request(method, self.base_url + shown_path, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise IncoplaxApiError(method, shown_path, reason='TLS error: %s (set ca_path to the CA bundle of the '
                                   'platform, or validate_certs=false for a lab)' % _first_line(exc))
        except requests.exceptions.Timeout:
            raise IncoplaxApiError(method, shown_path, reason='no answer within timeout=%s seconds' % self.timeout)
        except requests.exceptions.RequestException as exc:
            raise IncoplaxApiError(method, shown_path, reason='cannot reach %s: %s' % (self.base_url, _network_reason(exc)))
        if response.status_code in ok_statuses or 200 <= response.status_code < 300:
            return response
        if 300 <= response.status_code < 400:
            location = _strip_userinfo(response.headers.get('Location', '')) or 'nowhere'
            raise IncoplaxApiError(method, shown_path, response.status_code, reason='redirect to %s not followed; '
                                   'set url to the address that answers the API' % location)
        raise IncoplaxApiError(method, shown_path, response.status_code, _excerpt(response.text, self._secrets),
                               reason=response.reason)

    def list_sessions(self, sites=None):
        """GET the open session entries (a list of dicts, as the API gives them)."""
        response = self._request('GET', SESSIONS_PATH, sites=sites)
        path = SESSIONS_PATH if sites is None else SESSIONS_PATH + '?sites=' + quote(encode_sites(sites), safe='')
        try:
            data = response.json()
        except ValueError:
            raise IncoplaxApiError('GET', path, response.status_code, _excerpt(response.text, self._secrets),
                                   reason='answer is not JSON (expected a list of sessions)')
        entries = validate_session_list(data, 'GET', path)
        violation = scope_violation(entries, sites)
        if violation:
            raise IncoplaxApiError('GET', path, response.status_code, reason=violation)
        return entries

    def logout_user(self, domain, user, sites=None):
        """POST a logout of every session of ``user`` in ``domain`` (the request's own session excepted)."""
        body = {'action': 'logout', 'domain': domain, 'user': user}
        if sites is not None:
            body['sites'] = sites
        self._request('POST', SESSIONS_PATH, body=body)

    def close_session(self, session_id, sites=None):
        """DELETE one session. Returns False when the API answers 404 (not found)."""
        problem = session_id_problem(session_id)
        if problem:
            raise IncoplaxApiError('DELETE', SESSIONS_PATH + '/<id>', reason='not sent: %s' % problem)
        response = self._request('DELETE', session_path(session_id), sites=sites, ok_statuses=(404,))
        return response.status_code != 404


def validate_session_list(data, method, path):
    if not isinstance(data, list):
        raise IncoplaxApiError(method, path, 200, reason='answer is a JSON %s, expected a list of sessions'
                               % type(data).__name__)
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get('session_id'), str):
            raise IncoplaxApiError(method, path, 200, reason='entry %d of the answer is not a session object with '
                                   'a session_id' % index)
    return data


def _first_line(exc):
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _network_reason(exc):
    """The innermost cause of a requests/urllib3 failure, without the pool's noise around it."""
    reason = exc
    for dummy in range(5):
        inner = getattr(reason, 'reason', None)
        if inner is None and reason.args and isinstance(reason.args[0], Exception):
            inner = reason.args[0]
        if inner is None or inner is reason:
            break
        reason = inner
    text = _first_line(reason)
    # urllib3 prefixes the connection object's repr: keep the human part after it.
    marker = 'Failed to establish a new connection: '
    if marker in text:
        return 'connection failed: ' + text.split(marker, 1)[1]
    return text.split(': ', 1)[-1] if text.startswith(('<', 'HTTP')) else text
