"""gunicorn reads this file from its working directory: only its Server banner (the rest is on the command line)."""
import gunicorn.http.wsgi

# "gunicorn" otherwise; read by every response gunicorn writes. Same value as server.security.SERVER_BANNER.
gunicorn.http.wsgi.SERVER = "e-Meuse"
