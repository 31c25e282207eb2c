# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session data of the emulator: entries, sites scope, ttl, seeded and fixture data sets.

Nothing here is thread safe on its own: the caller (``emulator.Emulator``) holds one lock
around every call into a ``Store``.
"""

import dataclasses
import heapq
import json
import math
import random

SESSION_FIELDS = ('session_id', 'session_type', 'site', 'domain', 'login', 'user_id')
SESSION_TYPES = ('http', 'websocket')
# Entries are rendered piecewise at insertion; json.dumps() per entry is several times slower on big data sets.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(',', ':')).encode
_STRING = json.encoder.encode_basestring_ascii


class DataError(ValueError):
    """A fixture or a request value the emulator refuses; the message is safe to show."""


class SitesError(DataError):
    """A ``sites`` value that is not one of the forms the vendor documents."""


MISSING = object()


def parse_sites(value, current_site):
    """Turn a decoded ``sites`` JSON value into a scope: None for every site, else a frozenset of names.

    ``value`` may be ``MISSING`` (parameter omitted), which means the current site.
    """
    if value is MISSING:
        return frozenset((current_site,))
    if isinstance(value, str):
        if value == 'all':
            return None
        if value == 'current':
            return frozenset((current_site,))
        raise SitesError('sites: a JSON string must be "all" or "current", got %s' % json.dumps(value))
    if isinstance(value, list):
        if not value:
            raise SitesError('sites: the list of site names is empty')
        for name in value:
            if not isinstance(name, str) or not name:
                raise SitesError('sites: every list item must be a non-empty string, got %s' % json.dumps(name))
        return frozenset(value)
    raise SitesError('sites: expected a JSON string ("all", "current") or a JSON list of site names, got %s' % json.dumps(value))


def parse_sites_text(text, current_site):
    """Decode the JSON text of a ``sites`` query parameter (None when omitted) into a scope."""
    if text is None:
        return parse_sites(MISSING, current_site)
    try:
        value = json.loads(text)
    except ValueError:
        raise SitesError('sites: not valid JSON (quote names: "all", "current" or ["SITE1"])') from None
    return parse_sites(value, current_site)


def _render(value):
    """Compact JSON with sorted keys, like ``_ENCODE`` but without its per-call set-up cost on small values."""
    if isinstance(value, str):
        return _STRING(value)
    if isinstance(value, bool) or value is None:
        return {True: 'true', False: 'false', None: 'null'}[value]
    if isinstance(value, list):
        return '[%s]' % ','.join([_render(item) for item in value])
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return '{%s}' % ','.join(['%s:%s' % (_STRING(key), _render(value[key])) for key in sorted(value)])
    return _ENCODE(value)


class IdMaker:
    """Deterministic vendor-shaped ids (8-4-4-4-12 hex); like the vendor's, they share a node suffix."""

    def __init__(self, rng, node):
        self._rng = rng
        self.node = node

    def new(self):
        """Return the next id."""
        bits = self._rng.getrandbits
        return '%08x-%04x-%04x-%04x-%s' % (bits(32), bits(16), bits(16), bits(16), self.node)


class Entry:
    """One session entry; the JSON around ``ttl`` is rendered once so a large GET only pastes strings."""

    __slots__ = ('session_id', 'session_type', 'site', 'domain', 'login', 'user_id', 'connections', 'expires', 'head', 'tail')

    def __init__(self, spec, expires):
        self.session_id = spec['session_id']
        self.session_type = spec['session_type']
        self.site = spec['site']
        self.domain = spec['domain']
        self.login = spec['login']
        self.user_id = spec['user_id']
        self.connections = spec.get('connections') if self.session_type == 'websocket' else None
        self.expires = expires
        # Keys in the vendor's (alphabetical) order; ttl and user_id are the last two keys.
        text = _STRING
        self.head = '{%s"domain":%s,"login":%s,"session_id":%s,"session_type":%s,"site":%s,"ttl":' % (
            '' if self.connections is None else '"connections":%s,' % _render(self.connections),
            text(self.domain), text(self.login), text(self.session_id), text(self.session_type), text(self.site))
        self.tail = ',"user_id":%s}' % text(self.user_id)

    def ttl(self, now):
        """Whole seconds left, rounded up so a live entry never shows 0."""
        return math.ceil(self.expires - now)

    def fragment(self, now):
        """The entry as compact JSON text with its live ttl."""
        return '%s%d%s' % (self.head, self.ttl(now), self.tail)

    def to_dict(self, now):
        """The entry as a dict with its live ttl."""
        data = {name: getattr(self, name) for name in SESSION_FIELDS}
        if self.connections is not None:
            data['connections'] = self.connections
        data['ttl'] = self.ttl(now)
        return data


def _user_names(entry):
    """The names a logout may give for the entry's user: its login and its user id (once if equal)."""
    return (entry.login,) if entry.login == entry.user_id else (entry.login, entry.user_id)


class Store:
    """Entries in insertion order, indexes by session id and by user, an expiry heap and pending re-logins."""

    def __init__(self, dataset, now, seed=1):
        self.sites = list(dataset.sites)
        self.current_site = dataset.current_site
        self.default_ttl = dataset.ttl
        self._entries = {}
        self._by_id = {}
        # (domain, login or user id) -> keys: a logout POST must not scan every entry of a large data set.
        self._by_user = {}
        self._expiry = []
        self._pending = []
        # (due, key): entries closed by a request but still listed until ``due`` (propagation delay).
        self._closing = []
        self._next_key = 0
        self._pending_seq = 0
        self._relogin_ids = IdMaker(random.Random('relogin-%s' % seed), dataset.node)
        for spec in dataset.sessions:
            self.add(spec, now)

    def add(self, spec, now):
        """Add one entry whose ``ttl`` (seconds, from ``now``) is in ``spec``."""
        entry = Entry(spec, now + spec['ttl'])
        key = self._next_key
        self._next_key += 1
        self._entries[key] = entry
        self._by_id.setdefault(entry.session_id, []).append(key)
        for name in _user_names(entry):
            self._by_user.setdefault((entry.domain, name), set()).add(key)
        heapq.heappush(self._expiry, (entry.expires, key))
        return entry

    def _remove(self, key):
        entry = self._entries.pop(key)
        keys = self._by_id[entry.session_id]
        keys.remove(key)
        if not keys:
            del self._by_id[entry.session_id]
        for name in _user_names(entry):
            user_keys = self._by_user[(entry.domain, name)]
            user_keys.discard(key)
            if not user_keys:
                del self._by_user[(entry.domain, name)]
        return entry

    def refresh(self, now):
        """Materialize due re-logins and drop expired entries; call before every read or change."""
        while self._pending and self._pending[0][0] <= now:
            due, _seq, spec = heapq.heappop(self._pending)
            self.add(spec, due)
        while self._closing and self._closing[0][0] <= now:
            _due, key = heapq.heappop(self._closing)
            if key in self._entries:
                self._remove(key)
        # The heap may hold keys already removed by DELETE/POST; those are skipped.
        while self._expiry and self._expiry[0][0] <= now:
            _expires, key = heapq.heappop(self._expiry)
            if key in self._entries:
                self._remove(key)

    def in_scope(self, scope):
        """Live entries (after ``refresh``) whose site is in ``scope`` (None: every site)."""
        if scope is None:
            return list(self._entries.values())
        return [entry for entry in self._entries.values() if entry.site in scope]

    def render(self, scope, now):
        """The JSON list text of the entries in ``scope``."""
        if scope is None:
            entries = self._entries.values()
        else:
            entries = (entry for entry in self._entries.values() if entry.site in scope)
        return '[%s]' % ','.join([entry.fragment(now) for entry in entries])

    def __len__(self):
        return len(self._entries)

    def remove_id(self, session_id, scope, now=None, delay=0):
        """Remove every entry with ``session_id`` in ``scope``; return the removed entries.

        With ``delay``, the entries stay listed until ``now + delay`` (a platform that propagates slowly).
        """
        keys = [key for key in self._by_id.get(session_id, ()) if scope is None or self._entries[key].site in scope]
        return self._close(keys, now, delay)

    def remove_user(self, domain, user, scope, spare_session_id, now=None, delay=0):
        """Remove the entries of ``user`` (login or user id) in ``domain`` and ``scope``, sparing one session id."""
        keys = sorted(
            key for key in self._by_user.get((domain, user), ())
            if (scope is None or self._entries[key].site in scope) and self._entries[key].session_id != spare_session_id
        )
        return self._close(keys, now, delay)

    def _close(self, keys, now, delay):
        if not delay:
            return [self._remove(key) for key in keys]
        for key in keys:
            heapq.heappush(self._closing, (now + delay, key))
        return [self._entries[key] for key in keys]

    def schedule_relogin(self, entry, due):
        """Have a new http session of ``entry``'s user appear on the same site at monotonic time ``due``."""
        spec = {
            'session_id': self._relogin_ids.new(), 'session_type': 'http', 'site': entry.site,
            'domain': entry.domain, 'login': entry.login, 'user_id': entry.user_id, 'ttl': self.default_ttl,
        }
        self._pending_seq += 1
        heapq.heappush(self._pending, (due, self._pending_seq, spec))
        return spec['session_id']


@dataclasses.dataclass
class Dataset:
    """A start-up or loaded data set: sites, sessions (ttl in seconds from load) and the caller identity."""

    sites: list
    current_site: str
    sessions: list
    caller: dict
    node: str
    ttl: int = 3600
    credentials: object = None


def _connection(rng, ids, alive):
    # getrandbits() rather than randint(): seeding 100,000 sessions is several times faster.
    worker = 1 + rng.getrandbits(1)
    return {
        'conn_id': ids.new(), 'is_pid_alive': alive,
        'node': 'ws%d@192.168.0.%d' % (worker, 30 + worker),
        'pid': '<0.%d.%d>' % (100 + rng.getrandbits(16), rng.getrandbits(6)),
    }


def _session_specs(rng, ids, user, site, session_id, ttl, websocket):
    """The http entry of one session and, when ``websocket``, its websocket twin with the same id."""
    base = dict(user, site=site, session_id=session_id, ttl=ttl)
    specs = [dict(base, session_type='http')]
    if websocket:
        connections = [_connection(rng, ids, rng.random() >= 0.25) for _index in range(1 + rng.getrandbits(1))]
        specs.append(dict(base, session_type='websocket', connections=connections))
    return specs


def seeded_dataset(users=5, sessions_per_user=2, sites=('central', 'east', 'west'), current_site=None,
                   domain='master.domain', seed=1, ttl=3600, caller_session_id=None):
    """Build the deterministic data set described in the README ("Seeded data")."""
    sites = list(sites)
    if not sites or any(not site for site in sites):
        raise DataError('--sites needs at least one non-empty site name')
    current_site = current_site or sites[0]
    if current_site not in sites:
        raise DataError('--current-site %r is not one of --sites' % current_site)
    if users < 0 or sessions_per_user < 0 or ttl < 1:
        raise DataError('--users and --sessions-per-user must be >= 0 and --ttl >= 1')
    rng = random.Random(seed)
    ids = IdMaker(rng, '%012x' % rng.getrandbits(48))

    shortest = max(1, ttl // 2)

    def lifetime():
        return shortest + int(rng.random() * (ttl - shortest + 1))

    admin = {'domain': domain, 'login': 'admin', 'user_id': ids.new()}
    own_id = ids.new()
    other_id = ids.new()
    caller = dict(admin, session_id=caller_session_id or own_id)
    other_site = next((site for site in sites if site != current_site), current_site)
    sessions = _session_specs(rng, ids, admin, current_site, caller['session_id'], lifetime(), True)
    sessions += _session_specs(rng, ids, admin, other_site, other_id, lifetime(), False)
    count = 0
    for number in range(1, users + 1):
        user = {'domain': domain, 'login': 'user%04d' % number, 'user_id': ids.new()}
        offset = rng.randrange(len(sites))
        for index in range(sessions_per_user):
            site = sites[(offset + index) % len(sites)]
            sessions += _session_specs(rng, ids, user, site, ids.new(), lifetime(), count % 3 == 2)
            count += 1
    return Dataset(sites=sites, current_site=current_site, sessions=sessions, caller=caller, node=ids.node, ttl=ttl)


def _check_str(value, what):
    if not isinstance(value, str) or not value:
        raise DataError('%s must be a non-empty string' % what)
    return value


def _session_from_fixture(index, item, default_ttl):
    what = 'sessions[%d]' % index
    if not isinstance(item, dict):
        raise DataError('%s must be an object' % what)
    spec = {name: _check_str(item.get(name), '%s.%s' % (what, name)) for name in SESSION_FIELDS}
    if spec['session_type'] not in SESSION_TYPES:
        raise DataError('%s.session_type must be "http" or "websocket"' % what)
    ttl = item.get('ttl', default_ttl)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise DataError('%s.ttl must be a number of seconds' % what)
    spec['ttl'] = ttl
    if spec['session_type'] == 'websocket':
        connections = item.get('connections', [])
        if not isinstance(connections, list) or not all(isinstance(conn, dict) for conn in connections):
            raise DataError('%s.connections must be a list of objects' % what)
        spec['connections'] = connections
    return spec


def fixture_dataset(data, default_ttl=3600, seed=1, current_site=None, caller_session_id=None):
    """Build a data set from fixture JSON (see the README); credentials are checked by ``auth``."""
    if not isinstance(data, dict):
        raise DataError('a fixture must be a JSON object')
    items = data.get('sessions', [])
    if not isinstance(items, list):
        raise DataError('sessions must be a list')
    sessions = [_session_from_fixture(index, item, default_ttl) for index, item in enumerate(items)]
    sites = data.get('sites')
    current_site = data.get('current_site', current_site)
    if sites is None:
        sites = sorted({spec['site'] for spec in sessions} | ({current_site} if current_site else set()))
    if not isinstance(sites, list) or not all(isinstance(site, str) and site for site in sites):
        raise DataError('sites must be a list of non-empty strings')
    if current_site is None:
        if not sites:
            raise DataError('a fixture without sessions needs current_site or sites')
        current_site = sites[0]
    _check_str(current_site, 'current_site')
    if current_site not in sites:
        sites = sites + [current_site]
    rng = random.Random(seed)
    ids = IdMaker(rng, '%012x' % rng.getrandbits(48))
    own = next((spec for spec in sessions if spec['login'] == 'admin' and spec['site'] == current_site), None)
    if own is None:
        own = next((spec for spec in sessions if spec['login'] == 'admin'), None)
    domain = own['domain'] if own else (sessions[0]['domain'] if sessions else 'master.domain')
    caller = {
        'login': 'admin', 'domain': domain,
        'user_id': own['user_id'] if own else ids.new(),
        'session_id': caller_session_id or (own['session_id'] if own else ids.new()),
    }
    return Dataset(sites=sites, current_site=current_site, sessions=sessions, caller=caller, node=ids.node,
                   ttl=default_ttl, credentials=data.get('credentials'))
