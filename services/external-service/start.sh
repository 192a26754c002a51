#!/bin/sh
# Start external-service under gunicorn.
#   PORT                 listen port (default 8080)
#   BIND_ADDRESS         listen address (default 0.0.0.0)
#   COUNTER_SERVICE_URL  e.g. http://10.0.0.2:8080
#   WEB_CONCURRENCY      gunicorn worker processes (default 2)
# Equivalent one-liner:
#   gunicorn --chdir /opt/external-service --bind 0.0.0.0:${PORT:-8080} --workers 2 app:app
set -eu
export PATH="${PATH:-/usr/local/bin:/usr/bin:/bin}"
here=$(cd "$(dirname "$0")" && pwd)
exec gunicorn --chdir "$here" --config "$here/gunicorn.conf.py" app:app
