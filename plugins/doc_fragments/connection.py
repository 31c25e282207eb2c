# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
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
      - If not set, the value of the E(INCOPLAX_URL) environment variable is used.
    type: str
    required: true
  token:
    description:
      - "Bearer token, sent as C(Authorization: Bearer <token>)."
      - If not set, the value of the E(INCOPLAX_TOKEN) environment variable is used.
      - Mutually exclusive with O(username). One of O(token) or O(username) is required.
    type: str
  username:
    description:
      - User name for HTTP basic authentication, used together with O(password).
      - If not set, the value of the E(INCOPLAX_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
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
      - V(0) disables retries.
    type: int
    default: 3
requirements:
  - requests
notes:
  - Redirects are never followed, so that credentials are not sent to another host.
  - Use C(module_defaults) with the action group C(group/incoplax.platform.ws) to set these options once.
'''
