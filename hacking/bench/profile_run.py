# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the seconds of one forced_logout run go: ``python hacking/bench/profile_run.py --venv DIR``.

Starts a seeded emulator (4 sites, 10 sessions per user, 20 ms per request), runs hacking/bench/forced_logout.yml
with the ansible-playbook of ``--venv``, every module process under cProfile (hacking/bench/profile_run.python.sh),
and prints: the time of each task, the CPU of the controller's main process, of its workers and of each module
process, and the top functions of each ws_session process (cumulative and own time). Developer aid; no check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import glob
import io
import json
import os
import pstats
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  pylint: disable=wrong-import-position


def print_controller(directory, top):
    """Top functions of the controller's main process, then of every worker taking more than 0.2 s."""
    for path in sorted(glob.glob(os.path.join(directory, '*.prof'))):
        stats = pstats.Stats(path)
        if stats.total_tt < 0.2:
            continue
        print('\n=== %s: %.2f s profiled' % (os.path.basename(path), stats.total_tt))
        for order in ('cumulative', 'tottime'):
            text = io.StringIO()
            pstats.Stats(path, stream=text).strip_dirs().sort_stats(order).print_stats(top)
            print('\n'.join(text.getvalue().splitlines()[6:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--venv', required=True, help='venv holding ansible-playbook and the modules\' Python')
    parser.add_argument('--users', type=int, default=1000)
    parser.add_argument('--latency-ms', type=float, default=20)
    parser.add_argument('--top', type=int, default=25)
    parser.add_argument('--collection', default=bench.ROOT)
    timing = parser.add_mutually_exclusive_group()
    timing.add_argument('--steps', action='store_true',
                        help='also time the steps of each worker, without a profiler (steptimes/sitecustomize.py)')
    timing.add_argument('--controller', action='store_true',
                        help='also profile ansible-playbook\'s main process and each worker (ctlprof/sitecustomize.py)')
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix='incoplax-profile-')
    emulator = bench.Emulator('main', options.users, options.latency_ms, work)
    try:
        emulator.wait_ready()
        emulator.reset()
        python = os.path.join(options.venv, 'bin', 'python')
        collections = os.path.join(work, 'collections', 'ansible_collections', 'incoplax')
        os.makedirs(collections)
        os.symlink(os.path.abspath(options.collection), os.path.join(collections, 'platform'))
        profiles = os.path.join(work, 'profiles')
        os.makedirs(profiles)
        timer = os.path.join(work, 'timer.jsonl')
        extra = {'bench_url': emulator.url, 'bench_token': bench.TOKEN, 'bench_report_dir': os.path.join(work, 'evidence'),
                 'bench_python': os.path.join(bench.HERE, 'profile-python.sh'),
                 'forced_logout_users': bench.users_of(options.users)}
        with open(os.path.join(work, 'vars.json'), 'w') as handle:
            json.dump(extra, handle)
        env = bench.clean_env({
            'ANSIBLE_COLLECTIONS_PATH': os.path.join(work, 'collections'),
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(bench.HERE, 'callback_plugins'),
            'ANSIBLE_LOCALHOST_WARNING': 'False', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
            'BENCH_TIMER_FILE': timer, 'BENCH_PYTHON': python, 'BENCH_PROFILE_DIR': profiles,
        })
        controller = os.path.join(work, 'controller')
        steps = os.path.join(work, 'steps.txt')
        if options.controller:
            os.makedirs(controller)
            env.update(PYTHONPATH=os.path.join(bench.HERE, 'ctlprof'), BENCH_CTL_PROFILE_DIR=controller)
        elif options.steps:
            env.update(PYTHONPATH=os.path.join(bench.HERE, 'steptimes'), BENCH_STEP_TIMES=steps)
        started = time.monotonic()
        import subprocess
        with open(os.path.join(work, 'playbook.log'), 'w') as output:
            proc = subprocess.Popen([os.path.join(options.venv, 'bin', 'ansible-playbook'),
                                     os.path.join(bench.HERE, 'forced_logout.yml'), '-e', '@' + os.path.join(work, 'vars.json')],
                                    stdout=output, stderr=subprocess.STDOUT, env=env, cwd=work)
            code, usage = bench.wait_child(proc, bench.PLAYBOOK_TIMEOUT)
        wall = time.monotonic() - started
        print('rc %s, wall %.2f s, CPU of the playbook process tree %.2f s, emulator CPU %s s, work dir %s' % (
            code, wall, usage.ru_utime + usage.ru_stime, emulator.cpu_seconds(), work))
        with open(timer) as handle:
            for line in handle:
                item = json.loads(line)
                if 'seconds' in item:
                    print('  %6.2f s  %s' % (item['seconds'], item['task']))
                else:
                    print('  CPU: controller main process %.2f s, its ended children (workers + modules) %.2f s' % (
                        item['controller'], item['children']))
        for path in sorted(glob.glob(os.path.join(profiles, '*.time'))):
            with open(path) as handle:
                rss, elapsed, user, system = handle.read().split()[-4:]
            name = os.path.basename(path)[:-5]
            print('module process %s: wall %s s, CPU %.2f s (user %s, sys %s), peak RSS %d MiB' % (
                name, elapsed, float(user) + float(system), user, system, int(rss) // 1024))
            prof = path[:-5] + '.prof'
            if 'ws_session' in name and os.path.exists(prof):
                for order in ('cumulative', 'tottime'):
                    text = io.StringIO()
                    pstats.Stats(prof, stream=text).strip_dirs().sort_stats(order).print_stats(options.top)
                    print('\n'.join(text.getvalue().splitlines()[6:]))
        if options.controller:
            print_controller(controller, options.top)
        if options.steps and os.path.exists(steps):
            print('\nWall time of each step, by worker (seconds, calls):')
            with open(steps) as handle:
                print(handle.read(), end='')
    finally:
        emulator.stop()
    return code


if __name__ == '__main__':
    sys.exit(main())
