"""moto_server for the tests, with S3's conditional writes made atomic.

The manifest's safety rests on one property of S3: a conditional PutObject (If-Match /
If-None-Match) checks and writes as one step, so of two writers that read the same root
version exactly one commits (src/targets/s3-dag-store.ts). moto 5.1 checks the condition,
then builds and stores the object, in the request's own thread with no lock: under load two
PUTs with the same If-Match can both pass the check and both answer 200. Each writer then
believes its root replaced that version and deletes the shards only that version named,
including shards the other writer's root (the one that stays) still names: the manifest is
damaged ("naming a shard that does not exist") by the test server, not by the protocol.

Here every key-level write (PUT and DELETE of an object) runs under one lock, as AWS S3
behaves; reads are not serialized.

Two changes cut moto's CPU per request (the test run sends it thousands) and nothing it
answers: moto 5.1 finds the service of every request by listing its own package folder and
stat-ing each entry, twice per request (~25% of its CPU); the list cannot change while the
server runs, so it is computed once. Werkzeug's line per request on stderr is off
(warnings and errors still go there). And answers go out with TCP_NODELAY: werkzeug writes
the headers and the body separately, and Nagle's algorithm held the body back. Usage: python moto_server.py -H 127.0.0.1 -p PORT
"""

import functools
import logging
import threading

from moto import backends
from moto.s3.responses import S3Response
from moto.server import main
from werkzeug.serving import WSGIRequestHandler

_writes = threading.Lock()


def _serialized(method):
    def run(self, *args, **kwargs):
        with _writes:
            return method(self, *args, **kwargs)

    return run


S3Response._key_response_put = _serialized(S3Response._key_response_put)
S3Response._key_response_delete = _serialized(S3Response._key_response_delete)

_moto_modules = backends.list_of_moto_modules
backends.list_of_moto_modules = functools.cache(lambda: tuple(_moto_modules()))
logging.getLogger("werkzeug").setLevel(logging.WARNING)
WSGIRequestHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    main()
