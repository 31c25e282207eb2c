# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module of the collection shares: argument spec merge, client construction, and the one
place where exceptions become Ansible failures.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.incoplax.platform.plugins.module_utils._api import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    IncoplaxApiError,
    IncoplaxClient,
)
from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    CONNECTION_ARGUMENT_SPEC,
    CONNECTION_CONSTRAINTS,
    ParameterError,
    check_connection_params,
)


class IncoplaxModule:
    """An AnsibleModule with the connection options, their checks, and error translation."""

    def __init__(self, argument_spec, supports_check_mode=True, mutually_exclusive=None,
                 required_together=None, required_one_of=None, required_if=None, required_by=None):
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec)
        self.ansible = AnsibleModule(
            argument_spec=spec,
            supports_check_mode=supports_check_mode,
            mutually_exclusive=CONNECTION_CONSTRAINTS['mutually_exclusive'] + list(mutually_exclusive or []),
            required_together=CONNECTION_CONSTRAINTS['required_together'] + list(required_together or []),
            required_one_of=CONNECTION_CONSTRAINTS['required_one_of'] + list(required_one_of or []),
            required_if=required_if or [],
            required_by=required_by or {},
        )
        self.params = self.ansible.params
        if not HAS_REQUESTS:
            self.ansible.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        try:
            check_connection_params(self.params)
        except ParameterError as exc:
            self.ansible.fail_json(msg=str(exc))

    @property
    def check_mode(self):
        return self.ansible.check_mode

    @property
    def diff_mode(self):
        return self.ansible._diff

    def client(self, pool_size=10):
        params = self.params
        return IncoplaxClient(
            url=params['url'], token=params['token'], username=params['username'], password=params['password'],
            validate_certs=params['validate_certs'], ca_path=params['ca_path'], timeout=params['timeout'],
            retries=params['retries'], pool_size=pool_size,
        )

    def run(self, action):
        """Call ``action(self)`` and exit with the dict it returns; turn our exceptions into failures.

        A result dict holding ``msg`` and ``failed: True`` is a failure that still reports what was done.
        """
        try:
            result = action(self)
        except ParameterError as exc:
            self.ansible.fail_json(msg=str(exc), changed=False)
        except IncoplaxApiError as exc:
            self.ansible.fail_json(msg=str(exc), changed=False, error=exc.to_dict())
        if result.pop('failed', False):
            self.ansible.fail_json(**result)
        self.ansible.exit_json(**result)
