"""Unbound Flask extensions, bound to the app in the factory."""
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
cache = Cache()
compress = Compress()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set (shared by every worker).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
