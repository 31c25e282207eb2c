# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Redactor: no form of any credential survives it, whatever the credential and the encoding.

Property tests draw arbitrary credentials (any Unicode, length 1 and up, with the characters that
encodings treat specially) and put every form a server may echo into arbitrary surrounding text, into
JSON, HTML and plain bodies sent as UTF-8 or latin-1 bytes, with or without a charset.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from urllib.parse import quote, quote_plus

import pytest

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _api, _redact
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError
from ansible_collections.incoplax.platform.plugins.module_utils._redact import MASK, Redactor, basic_credentials

PROPERTY = settings(max_examples=150, deadline=None)
# Each example of these runs dozens of bodies through the excerpt.
BODIES = settings(max_examples=60, deadline=None)

# Characters that the encodings treat specially, to make sure they come up often.
SPECIAL = list('/\\"\'<>&%+= :*#~.\t\n\r\x00\x7f\u00a0\u00e9\u00ff\u0100\u20ac\u4e2d\U0001F600\u2028')
any_char = st.characters(blacklist_categories=('Cs',))
secrets = st.one_of(
    st.text(alphabet=any_char, min_size=1, max_size=16),
    st.text(alphabet=st.sampled_from(SPECIAL + list('aZ09')), min_size=1, max_size=12),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=24),
)
usernames = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters=':'), min_size=1, max_size=10)
surrounding = st.text(alphabet=st.one_of(any_char, st.sampled_from(SPECIAL)), max_size=20)


HEX_ESCAPE = re.compile(r'(\\u)([0-9a-fA-F]{4})|(%)([0-9a-fA-F]{2})')


def upper_hex(text):
    """``\\uXXXX`` and ``%XX`` escapes with upper-case hex (only the escape's own digits)."""
    return HEX_ESCAPE.sub(lambda m: (m.group(1) or m.group(3)) + (m.group(2) or m.group(4)).upper(), text)


def lower_hex(text):
    return HEX_ESCAPE.sub(lambda m: (m.group(1) or m.group(3)) + (m.group(2) or m.group(4)).lower(), text)


def json_forms(text):
    forms = set()
    for ascii_only in (True, False):
        inner = json.dumps(text, ensure_ascii=ascii_only)[1:-1]
        for variant in (inner, inner.replace('/', '\\/')):
            forms.update((variant, upper_hex(variant), lower_hex(variant)))
    return forms


def forms_of(secret):
    """Every form of ``secret`` the contract names: raw, stripped, JSON, URL, latin-1 reading of its UTF-8."""
    forms = {secret, secret.strip()}
    forms |= json_forms(secret)
    for encoded in (quote(secret, safe=''), quote(secret), quote_plus(secret), quote_plus(secret, safe='/')):
        forms.update((encoded, lower_hex(encoded), upper_hex(encoded)))
    forms.add(secret.encode('utf-8').decode('latin-1'))
    return {form for form in forms if form}


def basic_forms(username, password):
    forms = set()
    for encoding in ('utf-8', 'latin-1'):
        try:
            data = ('%s:%s' % (username, password)).encode(encoding)
        except UnicodeError:
            continue
        encoded = base64.b64encode(data).decode('ascii')
        forms |= {encoded, encoded.replace('/', '\\/'), quote(encoded, safe='')}
    return forms


def all_forms(token, username, password):
    return forms_of(token) | forms_of(password) | basic_forms(username, password)


def leaked(text, forms):
    return sorted(form for form in forms if form in text)


# ---------------------------------------------------------------------------------------------------- examples

TOKEN = 'tok-S3cr3t/4f9b'
USERNAME = 'opsadmin'
PASSWORD = 'pässwörd/€'


@pytest.mark.parametrize('form', sorted(all_forms(TOKEN, USERNAME, PASSWORD)))
def test_each_form_is_masked(form):
    redactor = Redactor(token=TOKEN, username=USERNAME, password=PASSWORD)
    text = redactor.redact('before %s after' % form)
    assert text == 'before %s after' % MASK


def test_what_is_not_a_secret_stays():
    redactor = Redactor(token=TOKEN, username=USERNAME, password=PASSWORD)
    text = 'GET /rest/v1/master/logicalroles/ws/sessions failed: HTTP 500 opsadmin tok-S3cr3t pässwörd'
    assert redactor.redact(text) == text
    assert Redactor().redact(text) == text


def test_the_username_alone_is_not_a_secret_but_the_basic_credential_is():
    redactor = Redactor(username='admin', password='pw-1234')
    assert redactor.redact('user admin') == 'user admin'
    assert redactor.redact('Basic ' + base64.b64encode(b'admin:pw-1234').decode()) == 'Basic ' + MASK
    assert redactor.redact('Basic ' + base64.b64encode(b'admin:pw-1234').decode().rstrip('=')) == 'Basic ' + MASK


def test_raw_bytes_are_masked_before_decoding():
    redactor = Redactor(token='tok', password='pässwörd')
    for data in ('x pässwörd y'.encode('utf-8'), 'x pässwörd y'.encode('latin-1'), 'x pässwörd y'.encode('cp1252')):
        assert redactor.redact_bytes(data) == b'x ' + MASK.encode() + b' y'


def test_a_secret_made_of_the_mask_character_gets_another_mask():
    redactor = Redactor(token='*', password='a*')
    assert '*' not in redactor.mask
    assert redactor.redact('x * a* y') == 'x %s %s y' % (redactor.mask, redactor.mask)


def test_redact_value_walks_dicts_and_lists():
    redactor = Redactor(token=TOKEN)
    value = {'reason': 'bad %s' % TOKEN, 'status': 401, 'list': [TOKEN, ('x', TOKEN)], TOKEN: None}
    assert redactor.redact_value(value) == {'reason': 'bad ' + MASK, 'status': 401, 'list': [MASK, ('x', MASK)], MASK: None}


# ---------------------------------------------------------------------------------------------------- properties

def redactor_and_forms(token, username, password, data):
    """The redactor of these credentials, every form of them, and the forms to try: all of them for an explicit
    ``@example`` (``data`` is None), else one that hypothesis draws."""
    forms = all_forms(token, username, password)
    chosen = sorted(forms) if data is None else [data.draw(st.sampled_from(sorted(forms)))]
    return Redactor(token=token, username=username, password=password), forms, chosen


@PROPERTY
@given(secrets, usernames, secrets, st.data())
@example(' tok\n', 'admin', 'pw', None)
@example('é', 'u', '/', None)
@example('*', 'u', '\U0001F600', None)
def test_no_form_survives_in_any_text_and_redaction_is_idempotent(token, username, password, data):
    redactor, forms, chosen = redactor_and_forms(token, username, password, data)
    for form in chosen:
        before = '' if data is None else data.draw(surrounding)
        after = '' if data is None else data.draw(surrounding)
        text = redactor.redact(before + form + after)
        assert not leaked(text, forms), (form, text)
        assert redactor.redact(text) == text


@PROPERTY
@given(secrets, st.lists(st.sampled_from(['raw', 'json', 'json_ascii', 'slash', 'upper', 'quote', 'quote_plus', 'latin1']),
                         min_size=1, max_size=3), surrounding)
def test_a_text_mixing_forms_of_one_secret_keeps_none(secret, kinds, noise):
    """Several forms in one text, next to each other and to noise (a form can touch another)."""
    redactor = Redactor(token=secret)
    encode = {
        'raw': lambda s: s, 'json': lambda s: json.dumps(s, ensure_ascii=False)[1:-1], 'json_ascii': lambda s: json.dumps(s)[1:-1],
        'slash': lambda s: json.dumps(s)[1:-1].replace('/', '\\/'), 'upper': lambda s: upper_hex(json.dumps(s)[1:-1]),
        'quote': lambda s: quote(s, safe=''), 'quote_plus': quote_plus, 'latin1': lambda s: s.encode('utf-8').decode('latin-1'),
    }
    text = redactor.redact(noise.join(encode[kind](secret) for kind in kinds))
    assert not leaked(text, forms_of(secret)), text
    assert redactor.redact(text) == text


def bodies(form):
    """(body bytes, content type) of server answers echoing ``form`` the ways careless servers do."""
    texts = [
        ('application/json; charset=utf-8', '{"error": "bad credential %s"}' % form),
        ('application/json', '{"message": "%s", "error": "denied"}' % form),
        ('application/json', '{"error": {"message": "denied for %s"}}' % form),
        ('application/json', '{"trace": {"credential": "%s"}}' % form),
        ('text/html', '<html><body><h1>401</h1><p>credential %s</p></body></html>' % form),
        ('text/plain', 'refused: %s' % form),
        ('text/plain', ('x' * 290) + form + ('y' * 40)),
        (None, ('%s \n' % form) * 40),
    ]
    found = []
    for content_type, text in texts:
        for encoding in ('utf-8', 'latin-1'):
            try:
                data = text.encode(encoding)
            except UnicodeError:
                continue
            found.append((data, content_type))
            if content_type:
                found.append((data, '%s; charset=%s' % (content_type.split(';', maxsplit=1)[0], encoding)))
    return found


@BODIES
@given(secrets, usernames, secrets, st.data())
@example('tok/4f', 'admin', 'pässwörd', None)
def test_the_excerpt_of_a_body_echoing_a_secret_holds_no_form(token, username, password, data):
    redactor, forms, chosen = redactor_and_forms(token, username, password, data)
    for form in chosen:
        for body, content_type in bodies(form):
            excerpt = _api._excerpt(body, redactor, content_type)  # pylint: disable=protected-access
            assert not leaked(excerpt or '', forms), (form, body, excerpt)
            error = IncoplaxApiError('GET', '/rest', 500, excerpt, redactor.redact('Internal Server Error'))
            assert not leaked(redactor.redact(str(error)), forms)
            for value in redactor.redact_value(error.to_dict()).values():
                assert not isinstance(value, str) or not leaked(value, forms), value


@PROPERTY
@given(secrets, usernames, secrets)
def test_basic_credentials_cover_both_byte_readings(token, username, password):
    credentials = basic_credentials(username, password)
    assert base64.b64encode(('%s:%s' % (username, password)).encode('utf-8')).decode() in credentials
    redactor = Redactor(token=token, username=username, password=password)
    for form in basic_forms(username, password):
        assert form not in redactor.redact('Authorization: Basic %s' % form)


@PROPERTY
@given(secrets, st.text(alphabet=any_char, max_size=60))
def test_redaction_is_idempotent_on_any_text(secret, text):
    redactor = Redactor(token=secret, password=secret[::-1])
    once = redactor.redact(text)
    assert redactor.redact(once) == once
    assume(secret not in text)
    assert not leaked(once, {secret, secret[::-1]})


@pytest.mark.parametrize('url, secret', [
    ('https://platform.example.com', None),
    ('https://platform.example.com/p@th', 'platform.example.com/p'),  # refused by the URL check anyway
    ('https://ops:s3cret@platform.example.com', 's3cret'),
    ('http://ops\u00e4dmin:p\u00e4/ss"w\u00f6rd \u20ac-S3cr3t@127.0.0.1:39821', 'p\u00e4/ss"w\u00f6rd \u20ac-S3cr3t'),
    ('https://u:p@ss@host', 'p@ss'),
    ('https://TOKEN123@host/x', 'TOKEN123'),
    ('https://@host', None),
    (None, None),
])
def test_url_secret_is_everything_after_the_user_up_to_the_last_at(url, secret):
    assert _redact.url_secret(url) == secret
