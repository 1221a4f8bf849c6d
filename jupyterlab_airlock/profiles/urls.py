"""URLs in profiles and configuration files: what is acceptable, what is public, what is secret."""

from __future__ import annotations

from urllib.parse import urlsplit

# Credentials in the authority part of any URL-like text ("https://user:pw@host"), also inside
# longer values such as pip's whitespace-separated lists.

NO_SECRETS = "no secrets in profiles; use the credential chain or a netrc/keyring"


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a mirror, proxy or endpoint URL, or None if nothing."""
    if any(character.isspace() for character in url):
        return "contains spaces"
    try:
        parts = urlsplit(url)
        _ = parts.port  # reading the port is what raises for "host:abc"
    except ValueError as error:
        return f"is not a valid URL ({error})"
    if parts.scheme == "file":
        return (
            "is a file:// URL, which is not supported: serve the folder over http(s) or make "
            "it the profile's artifact source"
        )
    if parts.scheme not in ("http", "https"):
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        return f"uses {shown}; it must start with http:// or https://"
    if "@" in parts.netloc:
        return f"contains a user name or password; {NO_SECRETS}"
    if not parts.hostname:
        return "has no host name"
    return None


def host_of(url: str) -> str:
    """The lower-case host name of ``url``, or '' when it has none."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def on_hosts(url: str, domains: tuple[str, ...]) -> bool:
    """Whether ``url`` points at one of ``domains`` or a subdomain of one."""
    host = host_of(url)
    return any(host == domain or host.endswith(f".{domain}") for domain in domains)
