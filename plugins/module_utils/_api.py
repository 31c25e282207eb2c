# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the Incoplax web-sessions API.

This is a private module_utils file: its interface may change in any release, and it must not be
used from outside this collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import traceback

from urllib.parse import quote, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, ProtocolError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError
from ansible_collections.incoplax.platform.plugins.module_utils._redact import Redactor, url_secret
from ansible_collections.incoplax.platform.plugins.module_utils._retry import (
    BACKOFF_MAX,
    DEFAULT_RETRY_BUDGET,
    RetryBudget,
    RetryBudgetSpent,
    _Retry,
)
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import scope_violation, session_id_problem

SESSIONS_PATH = '/rest/v1/master/logicalroles/ws/sessions'
RETRY_STATUSES = (429, 502, 503, 504)
# A server asking for a very long pause would stall an incident run; past this we stop waiting.
MAX_RETRY_AFTER = 60
BACKOFF_FACTOR = 0.5
EXCERPT_LENGTH = 300
USER_AGENT = 'incoplax.platform-ansible-collection'
# Methods whose loss after sending matters: the platform may have acted on them.
CHANGING_METHODS = ('POST', 'DELETE')
# Fields of a JSON error body that carry a human message, most usual first.
MESSAGE_KEYS = ('error', 'message', 'detail', 'description', 'error_description', 'reason', 'title')


def _api_message(data, nested=False):
    """The human message of a JSON error body, or None.

    Every distinct message field is kept (``error`` and ``message`` both, when they differ), except one that
    another contains (case-insensitive): ``{"error": "Bad Request", "message": "sites must be JSON"}`` gives
    ``Bad Request: sites must be JSON``; ``{"error": "not found", "message": "session not found"}`` gives
    ``session not found``. ``{"error": {"message": ...}}`` is looked into once. ``status`` is used only when
    nothing else is there.
    """
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return None
    texts = []
    for key in MESSAGE_KEYS:
        value = data.get(key)
        if isinstance(value, dict) and not nested:
            value = _api_message(value, nested=True)
        if isinstance(value, str) and value.strip() and value.strip() not in texts:
            texts.append(value.strip())
    kept = [text for text in texts if not any(text != other and text.lower() in other.lower() for other in texts)]
    if not kept and isinstance(data.get('status'), str) and data['status'].strip():
        kept = [data['status'].strip()]
    return ': '.join(kept) or None


def _charset(content_type):
    match = re.search(r'charset\s*=\s*"?([A-Za-z0-9._:-]+)', content_type or '')
    return match.group(1) if match else None


def _decode(data, content_type=None):
    """Text of a body: its declared charset, else UTF-8, else latin-1 (which never fails)."""
    for encoding in (_charset(content_type), 'utf-8'):
        if encoding:
            try:
                return data.decode(encoding)
            except (LookupError, UnicodeError):
                continue
    return data.decode('latin-1')


def _excerpt(body, redactor, content_type=None):
    """Short, single-line, secret-free summary of an error body (bytes or text).

    The body is redacted before anything else is done with it (bytes before decoding, text before JSON parsing),
    and again after each step: JSON message selection, HTML tag stripping, whitespace collapsing, truncation.
    """
    if not body:
        return None
    if isinstance(body, bytes):
        body = _decode(redactor.redact_bytes(body), content_type)
    text = redactor.redact(body)
    try:
        data = json.loads(text)
    except ValueError:
        text = redactor.redact(re.sub(r'<[^>]*>', ' ', text))
    else:
        message = _api_message(data)
        if message:
            text = redactor.redact(message)
    text = redactor.redact(' '.join(text.split()))
    if len(text) > EXCERPT_LENGTH:
        text = redactor.redact(text[:EXCERPT_LENGTH] + '...')
    return text or None


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

    Safe to share between threads for the concurrent requests of bulk operations. Every text it lets out (the
    texts and fields of the IncoplaxApiError it raises) has gone through its ``redactor``.
    """

    def __init__(self, url, token=None, username=None, password=None, validate_certs=True,
                 ca_path=None, timeout=30, retries=3, pool_size=10, retry_budget=DEFAULT_RETRY_BUDGET,
                 caller=None, redactor=None, budget=None):
        self.redactor = redactor or Redactor(token=token, username=username, password=password,
                                             extra=[url_secret(url)])
        self.base_url = _strip_userinfo(url)
        self.timeout = timeout
        # The account these credentials belong to (login or user id), when known; None otherwise.
        self.caller = caller if caller is not None else (username if not token else None)
        self.budget = budget or RetryBudget(retry_budget)
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
        retry.budget = self.budget
        retry.max_retry_after = MAX_RETRY_AFTER
        adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=max(pool_size, 1))
        self._session.mount('http://', adapter)
        self._session.mount('https://', adapter)
        self._session.headers.update({'Accept': 'application/json', 'User-Agent': USER_AGENT})
        # What requests reads from the environment for every request (proxies and NO_PROXY, REQUESTS_CA_BUNDLE, and
        # .netrc), read once: every request goes to base_url. A fraction of a millisecond of CPU each, seconds over a
        # bulk logout; and a .netrc entry for the host can no longer replace the token (netrc was only read for
        # clients without session auth, that is token clients, and its basic auth overwrote the Authorization header).
        settings = self._session.merge_environment_settings(self.base_url, {}, None, self._verify, None)
        self._proxies, self._verify = settings['proxies'], settings['verify']
        self._session.trust_env = False
        if token:
            self._session.headers['Authorization'] = 'Bearer %s' % token
        elif username is not None:
            # Bytes: requests would encode text as latin-1 and fail on any other character.
            self._session.auth = (username.encode('utf-8'), (password or '').encode('utf-8'))

    def close(self):
        self._session.close()

    def _error(self, method, path, status=None, excerpt=None, reason=None):
        """The one way this client builds an error: every text field redacted."""
        redact = self.redactor.redact
        return IncoplaxApiError(method, redact(path), status, redact(excerpt), redact(reason))

    def _text(self, exc):
        """First line of an exception's text, redacted before and after the cut."""
        lines = [line for line in self.redactor.redact(str(exc)).splitlines() if line.strip()]
        return self.redactor.redact(lines[0]) if lines else type(exc).__name__

    def _reason_phrase(self, response):
        """The HTTP reason phrase, redacted; http.client reads it as latin-1, so UTF-8 is restored when it fits."""
        reason = self.redactor.redact(response.reason or '')
        try:
            reason = reason.encode('latin-1').decode('utf-8')
        except UnicodeError:
            pass
        return self.redactor.redact(' '.join(reason.split())) or None

    def _request(self, method, path, sites=None, body=None, ok_statuses=()):
        query = '' if sites is None else '?sites=' + quote(encode_sites(sites), safe='')
        shown_path = path + query
        kwargs = {
            'timeout': self.timeout,
            'verify': self._verify,
            'proxies': self._proxies,
            # A redirect could send the credentials elsewhere, and turns POST/DELETE into GET.
            'allow_redirects': False,
        }
        if body is not None:
            kwargs['data'] = json.dumps(body).encode('utf-8')
            kwargs['headers'] = {'Content-Type': 'application/json; charset=utf-8'}
        try:
            response = self._session.request(method, self.base_url + shown_path, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise self._error(method, shown_path, reason='TLS error: %s (set ca_path to the CA bundle of the '
                              'platform, or validate_certs=false for a lab)' % self._text(exc))
        except requests.exceptions.ConnectTimeout:
            raise self._error(method, shown_path, reason='cannot reach %s: no connection within timeout=%s seconds'
                              % (self.base_url, self.timeout))
        except requests.exceptions.Timeout:
            reason = 'no answer within timeout=%s seconds' % self.timeout
            if method in CHANGING_METHODS:
                reason += ' after the request was sent: it may have been delivered'
            raise self._error(method, shown_path, reason=reason)
        except requests.exceptions.ConnectionError as exc:
            raise self._error(method, shown_path, reason=self._connection_reason(method, exc))
        except UnicodeError:
            # The text of a UnicodeEncodeError quotes the character and its position in the header: a piece of it.
            raise self._error(method, shown_path, reason='request not sent: a header holds characters that HTTP '
                              'headers cannot carry (only latin-1 ones); check the token')
        except (requests.exceptions.RequestException, ValueError) as exc:
            # Refused by requests or urllib3 before sending (an invalid header value, URL or body): the exception
            # text may quote the header, so only its redacted first line is shown.
            raise self._error(method, shown_path, reason='request not sent: %s' % self._text(exc))
        if response.status_code in ok_statuses or 200 <= response.status_code < 300:
            return response
        if 300 <= response.status_code < 400:
            location = _strip_userinfo(response.headers.get('Location', '')) or 'nowhere'
            raise self._error(method, shown_path, response.status_code, reason='redirect to %s not followed; '
                              'set url to the address that answers the API' % location)
        reason = self._reason_phrase(response)
        refusal = getattr(response.raw, 'incoplax_retry_refused', None)
        if refusal is not None:
            reason = '%s; %s' % (reason, refusal.describe()) if reason else refusal.describe()
        raise self._error(method, shown_path, response.status_code,
                          _excerpt(response.content, self.redactor, response.headers.get('Content-Type')), reason=reason)

    def _connection_reason(self, method, exc):
        """What a failed connection means for the request: not sent ("cannot reach"), or lost after sending."""
        chain = _causes(exc)
        refusal = next((item for item in chain if isinstance(item, RetryBudgetSpent)), None)
        connect_failed = any(isinstance(item, ConnectTimeoutError) for item in chain)
        lost = not connect_failed and any(isinstance(item, ProtocolError) for item in chain)
        detail = self.redactor.redact(_network_reason(exc, self._text))
        if lost and method in CHANGING_METHODS:
            reason = 'connection lost after the request was sent: it may have been delivered (%s)' % detail
        else:
            reason = 'cannot reach %s: %s' % (self.base_url, detail)
        if refusal is not None:
            reason += '; ' + refusal.describe()
        return reason

    def list_sessions(self, sites=None):
        """GET the open session entries (a list of dicts, as the API gives them)."""
        response = self._request('GET', SESSIONS_PATH, sites=sites)
        path = SESSIONS_PATH if sites is None else SESSIONS_PATH + '?sites=' + quote(encode_sites(sites), safe='')
        try:
            data = response.json()
        except ValueError:
            raise self._error('GET', path, response.status_code,
                              _excerpt(response.content, self.redactor, response.headers.get('Content-Type')),
                              reason='answer is not JSON (expected a list of sessions)')
        try:
            entries = validate_session_list(data, 'GET', path)
        except IncoplaxApiError as exc:
            raise self._error(exc.method, exc.path, exc.status, exc.excerpt, exc.reason)
        violation = scope_violation(entries, sites)
        if violation:
            raise self._error('GET', path, response.status_code, reason=violation)
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
            raise self._error('DELETE', SESSIONS_PATH + '/<id>', reason='not sent: %s' % problem)
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


def _causes(exc):
    """``exc`` and the exceptions it wraps (``reason``, ``args[0]``, ``__cause__``, ``__context__``), nearest first."""
    found, todo = [], [exc]
    while todo and len(found) < 20:
        item = todo.pop(0)
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        todo.append(getattr(item, 'reason', None) if isinstance(getattr(item, 'reason', None), BaseException) else None)
        todo.append(item.args[0] if item.args and isinstance(item.args[0], BaseException) else None)
        todo.extend((item.__cause__, item.__context__))
    return found


def _network_reason(exc, text=str):
    """The innermost cause of a requests/urllib3 failure, without the pool's noise around it.

    ``text`` turns an exception into its (redacted) first line.
    """
    reason = exc
    for dummy in range(5):
        inner = getattr(reason, 'reason', None)
        if inner is None and reason.args and isinstance(reason.args[0], Exception):
            inner = reason.args[0]
        if not isinstance(inner, Exception) or inner is reason:
            break
        reason = inner
    line = text(reason)
    # urllib3 prefixes the connection object's repr: keep the human part after it.
    marker = 'Failed to establish a new connection: '
    if marker in line:
        return 'connection failed: ' + line.split(marker, 1)[1]
    return line.split(': ', 1)[-1] if line.startswith(('<', 'HTTP')) else line
