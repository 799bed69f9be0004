#!/bin/bash
# The whole of server_api.t again, over HTTPS: fieldsyncd serves with a
# self-signed certificate made with openssl at test time, and curl checks it
# with --cacert.
FS_TLS=1
. "$(dirname "$0")/server_api.t"
