"""Dashboard queries: each takes the session and the caller's scope as keyword-only arguments."""
