"""Unbound Flask extensions, bound to the app in the factory."""
from flask_caching import Cache
from flask_compress import Compress
from flask_login import LoginManager

login_manager = LoginManager()
cache = Cache()
compress = Compress()
