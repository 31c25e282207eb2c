# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
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
import re

MASK = '********'
MASK_LENGTH = 8
# The mask is made of a character that no secret contains, so that masking can never form a secret and always
# ends: ``*`` unless a credential contains it. Not ``+`` (a form of the space) nor ``\\`` (``\\\\`` is one).
MASK_CHARACTERS = '*#~=-_.:!?^@$|' + ''.join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '+\\')

_JSON_SHORT = {'"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
_HTML_NAMED = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\u00a0': '&nbsp;'}


def _hex_any_case(text):
    """A regex matching ``text`` with its hex letters in either case (``\\u00e9`` and ``\\u00E9``)."""
    return ''.join('[%s%s]' % (ch.lower(), ch.upper()) if ch.isalpha() else re.escape(ch) for ch in text)


def _char_alternatives(ch):
    """Regexes of every way one character of a secret can be written in a text."""
    options = [re.escape(ch)]
    code = ord(ch)
    # JSON: \uXXXX (astral characters as a surrogate pair), and the short escapes.
    if code > 0xFFFF:
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        options.append(_hex_any_case('\\u%04x\\u%04x' % (high, low)))
    else:
        options.append(_hex_any_case('\\u%04x' % code))
    if ch in _JSON_SHORT:
        options.append(re.escape(_JSON_SHORT[ch]))
    # URL: percent-encoding of the UTF-8 bytes (and of the latin-1 byte), '+' for a space.
    options.append(''.join(_hex_any_case('%%%02x' % byte) for byte in ch.encode('utf-8', 'surrogatepass')))
    if 0x80 <= code <= 0xFF:
        options.append(_hex_any_case('%%%02x' % code))
    if ch == ' ':
        options.append(re.escape('+'))
    # HTML character references.
    options.append('&#0*%d;' % code)
    options.append('&#[xX]0*%s;' % _hex_any_case('%x' % code))
    if ch in _HTML_NAMED:
        options.append(re.escape(_HTML_NAMED[ch]))
    return '(?:%s)' % '|'.join(options)


def _bytes_char_alternatives(ch):
    """Regexes (bytes) of the ways one character can be written in a raw body, before any decoding."""
    options = set()
    for encoding in ('utf-8', 'latin-1', 'cp1252'):
        try:
            options.add(ch.encode(encoding, 'surrogatepass' if encoding == 'utf-8' else 'strict'))
        except UnicodeError:
            pass
    text = _char_alternatives(ch)
    return b'(?:%s|%s)' % (b'|'.join(re.escape(option) for option in sorted(options)), text.encode('utf-8', 'surrogatepass'))


def _readings(secret):
    """The secret, stripped, and its UTF-8 bytes read as latin-1 and as cp1252 (each at most once)."""
    found = [secret, secret.strip()]
    data = secret.encode('utf-8', 'surrogatepass')
    for encoding in ('latin-1', 'cp1252'):
        try:
            found.append(data.decode(encoding))
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
            self._bytes = re.compile(b'|'.join(b''.join(_bytes_char_alternatives(ch) for ch in secret) for secret in ordered))
        else:
            self._text = self._bytes = None

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

        One pass: the text it is decoded into goes through ``redact``, which repeats until nothing is left.
        """
        if data is None or self._bytes is None:
            return data
        return self._bytes.sub(self.mask.encode('utf-8'), data)

    def redact_value(self, value):
        """Strings anywhere in ``value`` (dicts, lists, tuples) redacted; other values unchanged."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return dict((self.redact_value(key), self.redact_value(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact_value(item) for item in value)
        return value
