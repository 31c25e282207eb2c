# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Connection options shared by every module of incoplax.platform.
    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base URL of the Incoplax platform, for example V(https://platform.example.com).
      - The modules append the API path C(/rest/v1/master/logicalroles/ws/sessions) themselves.
      - A URL that cannot be parsed (for example V(http://[::1) with its bracket unclosed, or a port that is
        not a number), that has no host, that holds whitespace, or that holds credentials (V(https://user:pass@host))
        is refused before any request, with an error naming O(url).
      - If not set, the value of the E(INCOPLAX_URL) environment variable is used.
    type: str
    required: true
  token:
    description:
      - "Bearer token, sent as C(Authorization: Bearer <token>)."
      - Only latin-1 characters can travel in an HTTP header; a token with any other character is refused.
      - A token with leading or trailing whitespace, a line break or a control character is refused before any
        request (it is not stripped), with an error that names the option and never shows the value. A YAML C(|)
        block or a value stored with C(echo) adds a trailing line break; remove it, for example with C(| trim).
      - If not set, the value of the E(INCOPLAX_TOKEN) environment variable is used.
      - Mutually exclusive with O(username). One of O(token) or O(username) is required.
    type: str
  username:
    description:
      - User name for HTTP basic authentication, used together with O(password).
      - Refused, like O(token), with surrounding whitespace, a line break or a control character, and when it
        holds C(:) (basic authentication cannot carry it in a user name).
      - If not set, the value of the E(INCOPLAX_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
      - Refused, like O(token), with surrounding whitespace, a line break or a control character; any other
        Unicode character is accepted (it is sent as UTF-8).
      - If not set, the value of the E(INCOPLAX_PASSWORD) environment variable is used.
    type: str
  caller:
    description:
      - The account (login or user id) these credentials belong to.
      - A logout spares the session making the request, so only a target that is this account may keep one
        session open after its logout (reported as spared). Every other target's session still listed after
        the wait is reported as remaining, and the task fails.
      - Defaults to O(username) with basic authentication. With a token it is unknown unless set.
      - If not set, the value of the E(INCOPLAX_CALLER) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the platform's TLS certificate.
      - Setting this to V(false) exposes the credentials to anyone who can intercept the connection.
        Use it only in a lab; prefer O(ca_path) for a private CA.
      - If not set, the value of the E(INCOPLAX_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of CA certificates used to verify the platform's certificate.
      - If not set, the value of the E(INCOPLAX_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for the platform to answer one request.
      - A request that gets no answer in time is not retried.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried after a connection error or an HTTP 429, 502, 503 or 504 answer.
      - Waits grow exponentially between tries; a C(Retry-After) header is honoured, up to 60 seconds.
      - All waits of a task together are limited by O(retry_budget).
      - V(0) disables retries.
    type: int
    default: 3
  retry_budget:
    description:
      - Total seconds one task may spend waiting before retries (C(Retry-After) pauses and backoff), all its
        requests together, concurrent ones included.
      - A wait longer than what is left of the budget is not started; that request fails at once with its last
        answer and a reason saying that the retry budget is spent. From then on every request of the task gets its
        first try but no retry, so that a platform answering C(429) with a long C(Retry-After) cannot stall an incident
        run. In M(incoplax.platform.ws_session), the targets that fail this way are listed in C(failed_targets)
        and what was closed is still reported.
      - V(0) allows only retries that need no wait.
    type: int
    default: 60
requirements:
  - requests
notes:
  - Redirects are never followed, so that credentials are not sent to another host.
  - Error messages and results never show the token, the password or the base64 of C(username:password) in any
    encoding a server may echo them in (JSON escapes, URL encoding, a misread character set, the HTTP reason
    phrase); each is replaced by C(********).
  - Use C(module_defaults) with the action group C(group/incoplax.platform.ws) to set these options once.
'''
