# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Redaction of credentials in every encoding a server may echo them in.

A ``Redactor`` is built once per client from the token, the username and the password. Every text that
leaves the client goes through ``redact`` (and a raw body through ``redact_bytes``) before anything else
is done with it, and again after each transformation.

The forms recognised, for each secret (the token, the password, the base64 of ``username:password``):

- the secret as given, and stripped of surrounding whitespace;
- the latin-1 and cp1252 readings of its UTF-8 bytes (a text body without a charset, a reason phrase);
- any mix, character by character, of: the character itself, a JSON escape (``\\uXXXX`` in lower or upper
  hex, surrogate pairs, ``\\/``, ``\\"``, ``\\\\``, ``\\n``...), a percent-encoding of its UTF-8 or latin-1
  bytes in lower or upper hex (``+`` for a space), an HTML character reference (``&#233;``, ``&#xE9;``,
  ``&amp;``...). This covers ``json.dumps`` with and without ``ensure_ascii``, ``quote`` and ``quote_plus``;
- the base64 of ``username:password`` from its UTF-8 and its latin-1 bytes, with or without padding, in the
  same encodings (``\\/`` for ``/``, ``%2B`` for ``+``...).

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import functools
import re

MASK = '********'
MASK_LENGTH = 8
# The mask is made of a character that no secret contains, so that masking can never form a secret and always
# ends: ``*`` unless a credential contains it. Not ``+`` (a form of the space) nor ``\\`` (``\\\\`` is one).
MASK_CHARACTERS = '*#~=-_.:!?^@$|' + ''.join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '+\\')

_JSON_SHORT = {'"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
_HTML_NAMED = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\u00a0': '&nbsp;'}


@functools.lru_cache(maxsize=4096)
def _char_alternatives(ch):
    """A regex of every way one character of a secret can be written in a text.

    The character itself matches exactly; its escapes match in any case (``\\u00e9`` and ``\\u00E9``, ``%c3%a9``
    and ``%C3%A9``), which also lets a few impossible spellings through (``\\U00E9``): masking them is harmless.
    """
    code = ord(ch)
    escapes = []
    # JSON: \uXXXX (astral characters as a surrogate pair), and the short escapes.
    if code > 0xFFFF:
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        escapes.append(re.escape('\\u%04x\\u%04x' % (high, low)))
    else:
        escapes.append(re.escape('\\u%04x' % code))
    if ch in _JSON_SHORT:
        escapes.append(re.escape(_JSON_SHORT[ch]))
    # URL: percent-encoding of the UTF-8 bytes (and of the latin-1 byte), '+' for a space.
    escapes.append(''.join('%%%02x' % byte for byte in ch.encode('utf-8', 'surrogatepass')))
    if 0x80 <= code <= 0xFF:
        escapes.append('%%%02x' % code)
    if ch == ' ':
        escapes.append(re.escape('+'))
    # HTML character references.
    escapes.append('&#0*%d;' % code)
    escapes.append('&#x0*%x;' % code)
    if ch in _HTML_NAMED:
        escapes.append(re.escape(_HTML_NAMED[ch]))
    return '(?:%s|(?i:%s))' % (re.escape(ch), '|'.join(escapes))


def _readings(secret):
    """The secret, stripped, and the ways its bytes are misread: UTF-8 bytes read as latin-1 or cp1252 (a text
    body without a charset, a reason phrase), and cp1252 bytes read as latin-1 (each at most once)."""
    found = [secret, secret.strip()]
    data = secret.encode('utf-8', 'surrogatepass')
    for encoding in ('latin-1', 'cp1252'):
        try:
            found.append(data.decode(encoding))
        except UnicodeError:
            pass
    try:
        found.append(secret.encode('cp1252').decode('latin-1'))
    except UnicodeError:
        pass
    return [item for item in found if item]


def basic_credentials(username, password):
    """The base64 forms of ``username:password`` a server may echo (UTF-8 and latin-1 bytes)."""
    if username is None:
        return []
    text = '%s:%s' % (username, password or '')
    forms = []
    for encoding in ('utf-8', 'latin-1'):
        try:
            data = text.encode(encoding, 'surrogatepass' if encoding == 'utf-8' else 'strict')
        except UnicodeError:
            continue
        encoded = base64.b64encode(data).decode('ascii')
        forms.append(encoded)
        # A server that drops the padding still shows the credential: the unpadded text is the secret part.
        forms.append(encoded.rstrip('='))
    return forms


def _choose_mask(secrets):
    used = set(''.join(secrets))
    for ch in MASK_CHARACTERS:
        if ch not in used:
            return ch * MASK_LENGTH
    code = 0x2022
    while chr(code) in used:
        code += 1
    return chr(code) * MASK_LENGTH


def url_secret(url):
    """The secret of credentials written into a URL (``scheme://user:password@host``), or None.

    Everything from ``://`` to the LAST ``@`` is taken as credentials, as the URL check masks it: a password may
    hold ``/``, ``?``, ``#`` or ``@``, which would end the authority for a URL parser. The part after the first
    ``:`` is the password; without a ``:`` the whole part is secret (a token written as the user).
    """
    if not isinstance(url, str):
        return None
    dummy, separator, rest = url.partition('://')
    if not separator or '@' not in rest:
        return None
    userinfo = rest.rpartition('@')[0]
    return (userinfo.partition(':')[2] if ':' in userinfo else userinfo) or None


class Redactor:
    """Replaces every known form of every credential with a mask (``********``).

    ``redact`` is idempotent and its result contains no form of any secret: it repeats until nothing is
    found. Each match holds at least one character that is not the mask's, so each pass shortens what is not
    mask, and the repetition ends.
    """

    def __init__(self, token=None, username=None, password=None, extra=()):
        secrets = [value for value in (token, password) if value]
        secrets.extend(value for value in extra if value)
        secrets.extend(basic_credentials(username, password) if (username is not None and password is not None) else [])
        self.secrets = []
        for secret in secrets:
            for reading in _readings(secret):
                if reading not in self.secrets:
                    self.secrets.append(reading)
        self.mask = _choose_mask(self.secrets) if self.secrets else MASK
        # Longest first, so that a secret containing another is masked as a whole.
        ordered = sorted(self.secrets, key=len, reverse=True)
        if ordered:
            self._text = re.compile('|'.join(''.join(_char_alternatives(ch) for ch in secret) for secret in ordered))
        else:
            self._text = None

    def redact(self, text):
        """``text`` (str, or anything turned into one) with every form of every secret masked."""
        if text is None:
            return None
        if not isinstance(text, str):
            text = str(text)
        if self._text is None:
            return text
        for dummy in range(len(text) + 1):
            redacted = self._text.sub(self.mask, text)
            if redacted == text:
                break
            text = redacted
        return text

    def redact_bytes(self, data):
        """A raw body (bytes) with every form of every secret masked, before any decoding.

        Read as latin-1, each byte is one character, so the secrets' readings above (its UTF-8 or cp1252 bytes read
        as latin-1, and the secret itself for its latin-1 bytes) find it whatever the body's real encoding.
        """
        if data is None or self._text is None:
            return data
        return self.redact(data.decode('latin-1')).encode('latin-1', 'replace')

    def redact_value(self, value):
        """Strings anywhere in ``value`` (dicts, lists, tuples) redacted; other values unchanged."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return dict((self.redact_value(key), self.redact_value(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact_value(item) for item in value)
        return value
