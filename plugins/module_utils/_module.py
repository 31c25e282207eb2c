# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module of the collection shares: argument spec merge, client construction, and the one
place where exceptions become Ansible failures.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.incoplax.platform.plugins.module_utils._api import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    IncoplaxClient,
)
from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    CONNECTION_ARGUMENT_SPEC,
    CONNECTION_CONSTRAINTS,
    check_connection_params,
)
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxError, ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._redact import Redactor, url_secret
from ansible_collections.incoplax.platform.plugins.module_utils._result import exit as exit_module
from ansible_collections.incoplax.platform.plugins.module_utils._retry import RetryBudget


class IncoplaxRun:
    """One run against the platform, wherever it runs: validated options, the redactor built from their
    credentials, one retry budget, the client, the warnings, and the one place where exceptions become a failed
    result. A module runs one (IncoplaxModule); a controller-side action runs them in its own process.
    """

    def __init__(self, params, check_mode=False, diff_mode=False, extra_secrets=()):
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings = []
        # Built once from the credentials; the clients of this run share it, and outcome() applies it to the result.
        self.redactor = Redactor(token=params['token'], username=params['username'], password=params['password'],
                                 extra=list(extra_secrets))
        # One budget of waits before retries for the whole run, whichever client spends it.
        self.budget = RetryBudget(params['retry_budget'])

    @classmethod
    def from_args(cls, args, argument_spec, constraints, check_mode=False, diff_mode=False):
        """A run outside a module (a controller-side action), from its raw ``args``, validated as AnsibleModule would
        (types, defaults, the INCOPLAX_* fallbacks of the process environment, constraints), then checked.

        Raises ParameterError, redacted, naming the options: the texts a module would fail with.
        """
        kinds = ('mutually_exclusive', 'required_together', 'required_one_of')
        validation = ArgumentSpecValidator(
            dict(CONNECTION_ARGUMENT_SPEC, **argument_spec),
            required_by=constraints.get('required_by'), required_if=constraints.get('required_if'),
            **dict((kind, CONNECTION_CONSTRAINTS.get(kind, []) + list(constraints.get(kind, []))) for kind in kinds)
        ).validate(args)
        params = validation.validated_parameters
        extra = [url_secret(params.get('url'))]
        if validation.error_messages:
            # Only credentials that are text can be redacted (a wrong type is among the errors).
            secrets = dict((option, params.get(option) if isinstance(params.get(option), str) else None)
                           for option in ('token', 'username', 'password'))
            raise ParameterError(Redactor(extra=extra, **secrets).redact('; '.join(validation.error_messages)))
        run = cls(params, check_mode=check_mode, diff_mode=diff_mode, extra_secrets=extra)
        run.check()
        return run

    def check(self):
        """Raise ParameterError (redacted) when the options cannot work: before any request."""
        if not HAS_REQUESTS:
            raise ParameterError(missing_required_lib('requests'))
        try:
            check_connection_params(self.params)
        except IncoplaxError as exc:
            raise ParameterError(self.redactor.redact(str(exc)))

    @property
    def caller(self):
        """The account (login or user id) of the credentials: the caller option, else the username, else None."""
        return self.params.get('caller') or self.params.get('username') or None

    def client(self, pool_size=10):
        params = self.params
        client = IncoplaxClient(
            url=params['url'], token=params['token'], username=params['username'], password=params['password'],
            validate_certs=params['validate_certs'], ca_path=params['ca_path'], timeout=params['timeout'],
            retries=params['retries'], pool_size=pool_size, retry_budget=params['retry_budget'],
            caller=self.caller, redactor=self.redactor, budget=self.budget,
        )
        return client

    def warn(self, message):
        """A warning for the result, redacted like every other text the run lets out."""
        self.warnings.append(self.redactor.redact(message))

    def scrub(self, result):
        """The texts of a result redacted: msg, error, each failed target's error, warnings (second line of defence)."""
        redact = self.redactor.redact
        if 'msg' in result:
            result['msg'] = redact(result['msg'])
        if isinstance(result.get('error'), dict):
            result['error'] = self.redactor.redact_value(result['error'])
        if isinstance(result.get('failed_targets'), list):
            result['failed_targets'] = [
                dict(item, error=redact(item['error'])) if isinstance(item, dict) and isinstance(item.get('error'), str)
                else item for item in result['failed_targets']]
        if isinstance(result.get('warnings'), list):
            result['warnings'] = [redact(item) if isinstance(item, str) else item for item in result['warnings']]
        return result

    def outcome(self, action):
        """``(result, failed)`` of ``action(self)``; our exceptions and any other become a failed result, redacted.

        A result dict holding ``msg`` and ``failed: True`` is a failure that still reports what was done.
        """
        try:
            result = action(self)
        except IncoplaxError as exc:
            detail = exc.to_dict()
            failure = dict(exc.result, msg=str(exc), changed=False)
            if detail is not None:
                failure['error'] = detail
            return self.scrub(failure), True
        except Exception as exc:  # pylint: disable=broad-except
            # Not ours: Ansible would print its text and traceback as they are, and either may quote a credential.
            redact = self.redactor.redact
            return dict(msg=redact('unexpected error (%s): %s' % (type(exc).__name__, exc)), changed=False,
                        exception=redact(traceback.format_exc())), True
        result = self.scrub(result)
        return result, bool(result.pop('failed', False))


class IncoplaxModule(IncoplaxRun):
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
        # A password written into url is a secret like the password option: AnsibleModule masks it in every result
        # (invocation.module_args included, which ansible-core before 2.21 prints), and so does the redactor.
        secret_in_url = url_secret(self.ansible.params['url'])
        if secret_in_url:
            self.ansible.no_log_values.add(secret_in_url)
        super(IncoplaxModule, self).__init__(self.ansible.params, check_mode=self.ansible.check_mode,
                                             diff_mode=self.ansible._diff, extra_secrets=[secret_in_url])
        if not HAS_REQUESTS:
            self.ansible.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        try:
            self.check()
        except IncoplaxError as exc:
            self.ansible.fail_json(msg=str(exc))

    def warn(self, message):
        self.ansible.warn(self.redactor.redact(message))

    def run(self, action):
        """Call ``action(self)`` and exit with the dict it returns; our exceptions become failures."""
        result, failed = self.outcome(action)
        exit_module(self.ansible, result, failed=failed)
