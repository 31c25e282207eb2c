# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: ``python -m incoplax_emulator [options]`` (see the README for every option)."""

import argparse
import functools
import os
import queue
import signal
import sys
import threading

from .emulator import Emulator, StartupConfig, load_fixture_file
from .faults import GARBAGE_KINDS, validate
from .server import make_server
from .store import DataError, fixture_dataset, seeded_dataset


def _names(text):
    return [item.strip() for item in text.split(',') if item.strip()]


def build_parser():
    """The argument parser; fault options use the same names as the faults JSON keys."""
    parser = argparse.ArgumentParser(prog='python -m incoplax_emulator', description='Emulator of the Incoplax web-sessions REST API.')
    net = parser.add_argument_group('network')
    net.add_argument('--host', default='127.0.0.1', help='address to bind (default %(default)s)')
    net.add_argument('--port', type=int, default=8443, help='port to bind, 0 picks a free one (default %(default)s)')
    net.add_argument('--port-file', help='also write the bound port to this file')
    net.add_argument('--tls-cert', help='PEM certificate (chain): serve HTTPS')
    net.add_argument('--tls-key', help='PEM private key of --tls-cert (if not inside the certificate file)')
    net.add_argument('--verbose', action='store_true', help='log each request line to stderr')
    data = parser.add_argument_group('data')
    data.add_argument('--fixture', help='JSON fixture file; replaces the seeded data set')
    data.add_argument('--users', type=int, default=5, help='seeded users user0001.. (default %(default)s)')
    data.add_argument('--sessions-per-user', type=int, default=2, help='sessions of each seeded user (default %(default)s)')
    data.add_argument('--sites', type=_names, default=['central', 'east', 'west'], help='comma-separated site names (default central,east,west)')
    data.add_argument('--current-site', help='site of the answering node (default: the first site)')
    data.add_argument('--domain', default='master.domain', help='domain of the seeded sessions (default %(default)s)')
    data.add_argument('--seed', type=int, default=1, help='seed of the data set, new ids and error_rate (default %(default)s)')
    data.add_argument('--ttl', type=int, default=3600, help='session lifetime in seconds (default %(default)s)')
    auth = parser.add_argument_group('auth')
    auth.add_argument('--token', default='emulator-token', help='accepted bearer token (default %(default)s)')
    auth.add_argument('--username', default='admin', help='accepted basic-auth user (default %(default)s)')
    auth.add_argument('--password', default='admin-password', help='password of --username (default %(default)s)')
    auth.add_argument('--caller-session-id', help="session id of the caller's own session (default: the seeded one)")
    faults = parser.add_argument_group('faults (same keys as POST /_emulator/faults)')
    faults.add_argument('--latency-ms', type=float, help='added delay per vendor request')
    faults.add_argument('--hang-ms', type=float, help='delay before answering each vendor request')
    faults.add_argument('--error-rate', type=float, help='probability of an injected 500')
    faults.add_argument('--fail-first', type=int, help='next K vendor requests answer 503 with an HTML body')
    faults.add_argument('--rate-limit-first', type=int, help='next K vendor requests answer 429')
    faults.add_argument('--retry-after', type=int, help='Retry-After seconds of those 429 (default 1)')
    faults.add_argument('--reset-first', type=int, help='next K vendor requests get their connection reset')
    faults.add_argument('--fail-users', type=_names, help='comma-separated logins/user ids whose logout answers 500')
    faults.add_argument('--fail-sessions', type=_names, help='comma-separated session ids whose DELETE answers 500')
    faults.add_argument('--garbage', choices=GARBAGE_KINDS, help='malformed 200 answers to GET')
    faults.add_argument('--relogin-after', type=float, help='seconds after a logout until the user has a new session')
    faults.add_argument('--relogin-times', type=int, help='re-logins per user at most (default 1)')
    faults.add_argument('--relogin-users', type=_names, help='comma-separated logins/user ids that re-login (default: all)')
    faults.add_argument('--ignore-sites', action='store_true', default=None, help='act on every site whatever sites says')
    faults.add_argument('--close-delay', type=float, help='seconds a closed session stays listed (propagation delay)')
    faults.add_argument('--stale-sessions', type=_names, help='comma-separated session ids whose DELETE answers 404 but stays open')
    faults.add_argument('--ghost-sessions', type=_names, help='comma-separated session ids whose DELETE closes them but answers 404')
    return parser


FAULT_OPTIONS = ('latency_ms', 'hang_ms', 'error_rate', 'fail_first', 'rate_limit_first', 'retry_after', 'reset_first',
                 'fail_users', 'fail_sessions', 'garbage', 'relogin_after', 'relogin_times', 'relogin_users',
                 'ignore_sites', 'close_delay', 'stale_sessions', 'ghost_sessions')


def build_config(args):
    """The start-up configuration from parsed options; raises ``DataError`` on bad values."""
    if args.fixture:
        fixture = load_fixture_file(args.fixture)
        make_dataset = functools.partial(fixture_dataset, fixture, args.ttl, args.seed, args.current_site, args.caller_session_id)
    else:
        make_dataset = functools.partial(
            seeded_dataset, users=args.users, sessions_per_user=args.sessions_per_user, sites=args.sites,
            current_site=args.current_site, domain=args.domain, seed=args.seed, ttl=args.ttl,
            caller_session_id=args.caller_session_id)
    faults = validate({name: getattr(args, name) for name in FAULT_OPTIONS if getattr(args, name) is not None})
    return StartupConfig(make_dataset=make_dataset, token=args.token, username=args.username, password=args.password,
                         seed=args.seed, ttl=args.ttl, caller_session_id=args.caller_session_id, faults=faults)


def _write_port_file(path, port):
    # Written then renamed so a reader never sees a half-written file.
    temporary = '%s.%d.tmp' % (path, os.getpid())
    with open(temporary, 'w', encoding='utf-8') as handle:
        handle.write('%d\n' % port)
    os.replace(temporary, path)


def _install_stop_handlers(server):
    """SIGTERM/SIGINT make serve_forever() return normally.

    The handler runs in the main thread, inside serve_forever(), so it must not call ``server.shutdown()``
    itself (that waits for serve_forever() to return: a deadlock), nor raise (the exception could land
    anywhere, for example inside accept or thread start-up), nor start a thread (the main thread may have
    been interrupted inside Thread.start() holding threading's internal lock). It only puts an item in a
    SimpleQueue (whose put() is reentrant, unlike Event.set(), so even a second signal arriving in the middle
    of the first handler is safe); a helper thread started beforehand takes it and calls ``shutdown()``,
    which serve_forever() notices within its poll interval. Repeated signals are harmless.
    """
    requests = queue.SimpleQueue()

    def shut_down():
        requests.get()
        server.shutdown()

    threading.Thread(target=shut_down, name='emulator-shutdown', daemon=True).start()

    def stop(signum, _frame):
        requests.put(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv=None):
    """Start the emulator and serve until SIGTERM or SIGINT."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tls_key and not args.tls_cert:
        parser.error('--tls-key needs --tls-cert')
    try:
        emulator = Emulator(build_config(args))
    except DataError as exc:
        parser.error(str(exc))
    try:
        server = make_server(emulator, args.host, args.port, args.tls_cert, args.tls_key, args.verbose)
    except OSError as exc:
        print('incoplax-emulator: cannot start: %s' % exc, file=sys.stderr)
        return 1
    try:
        # Handlers first: a caller may send SIGTERM as soon as it has read the "listening" line.
        _install_stop_handlers(server)
        if args.port_file:
            _write_port_file(args.port_file, server.server_address[1])
        print('incoplax-emulator listening on %s' % server.url, flush=True)
        server.serve_forever(poll_interval=0.2)
    finally:
        # Closes the listening socket only: handler threads are daemons and never joined (Server.block_on_close),
        # so an idle keep-alive connection or a request sleeping in latency_ms/hang_ms cannot delay the exit.
        server.server_close()
    return 0


def _exit(code):
    """Exit without interpreter finalization, which daemon handler threads still running could disturb.

    (A daemon thread writing a --verbose log line when finalization starts can make Python abort on the
    stderr lock.) Everything the emulator writes is flushed first; it registers no atexit handlers.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)  # pylint: disable=protected-access


if __name__ == '__main__':
    _exit(main())
