"""Flask side: login and request guard, health and geometry endpoints, command-line commands."""
