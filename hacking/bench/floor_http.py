# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTP half of the benchmark's floor: the requests of a forced logout and nothing else.

``python floor_http.py URL TOKEN DOMAIN USERS CONCURRENCY``: one listing (JSON decoded), one logout POST per user,
CONCURRENCY at a time over a pool of kept-alive connections (one per thread, standard library only), one listing.
Prints the number of entries listed before and after. No retry, no redaction, no checks beyond the status.
"""

import http.client
import json
import sys
import threading
import urllib.parse

from concurrent.futures import ThreadPoolExecutor

PATH = '/rest/v1/master/logicalroles/ws/sessions'


def main():
    url, token, domain, users, concurrency = sys.argv[1:6]
    parts = urllib.parse.urlsplit(url)
    headers = {'Authorization': 'Bearer %s' % token, 'Accept': 'application/json'}
    local = threading.local()
    query = '?sites=' + urllib.parse.quote(json.dumps('all'), safe='')

    def connection():
        if getattr(local, 'conn', None) is None:
            local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        return local.conn

    def call(method, path, body=None):
        conn = connection()
        send = dict(headers, **({'Content-Type': 'application/json'} if body is not None else {}))
        conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=send)
        response = conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError('%s %s: %s' % (method, path, response.status))
        return data

    before = json.loads(call('GET', PATH + query))
    names = ['user%04d' % number for number in range(1, int(users) + 1)]
    with ThreadPoolExecutor(max_workers=int(concurrency)) as pool:
        list(pool.map(lambda name: call('POST', PATH, {'action': 'logout', 'domain': domain, 'user': name,
                                                       'sites': 'all'}), names))
    after = json.loads(call('GET', PATH + query))
    print(len(before), len(after))


if __name__ == '__main__':
    main()
