# gunicorn settings for external-service (loaded by start.sh via --config).
import os

bind = os.environ.get("BIND_ADDRESS", "0.0.0.0") + ":" + os.environ.get("PORT", "8080")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4                 # gthread workers: a slow counter call does not block the whole worker
timeout = 30                # worker watchdog; counter calls are bounded at 1s connect + 2s read
graceful_timeout = 5        # SIGTERM -> exit within a few seconds
accesslog = "-"             # access log on stdout
errorlog = "-"              # errors/start-up on stderr
loglevel = "info"
