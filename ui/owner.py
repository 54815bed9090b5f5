"""Who owns the saved runs: a token kept in a browser cookie, so a reload, a new tab or a
browser restart still lists them on Compare. Another browser (no cookie) lists none.

The token is 256 random bits (``secrets.token_urlsafe``), never put in a URL. The browser sends
it with the websocket handshake (``st.context.cookies``, read-only); a page writes it with a
small script whenever the browser did not send this session's token (``remember_ui``). A cookie
that is not exactly such a token (forged, truncated, anything else) is ignored and replaced.
The run store keeps only a SHA-256 of the token (``owner_key``), so its owner column does not
reveal tokens. The job pool's owner stays the session id (``ui.pool.session_owner``): its
per-session limit and the reaping of closed tabs are about a tab, not a browser.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets

import streamlit as st

COOKIE = "gradient_lab_owner"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 URL-safe characters
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # exactly the shape this module issues
MAX_AGE = 365 * 24 * 60 * 60  # seconds the browser keeps the cookie: a year
STATE = "owner:token"  # the session's token (session_state)


def parse_token(value: object) -> str | None:
    """The cookie's value if it is a token this app could have issued, else None."""
    return value if isinstance(value, str) and TOKEN.fullmatch(value) else None


def owner_key(token: str) -> str:
    """What the run store keeps as the owner of a token's runs: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def browser_token() -> str | None:
    """The valid token the browser sent with this session's handshake, if any."""
    return parse_token(st.context.cookies.get(COOKIE))


def token() -> str:
    """This session's token: the browser's, or a new one (made once per session)."""
    if STATE not in st.session_state:
        st.session_state[STATE] = browser_token() or secrets.token_urlsafe(TOKEN_BYTES)
    return st.session_state[STATE]


def store_owner() -> str:
    """The run store's owner of this browser's runs (save, list, rename, forget)."""
    return owner_key(token())


def new_token() -> str:
    """Replace this session's token (after Forget my runs); ``remember_ui`` writes it."""
    st.session_state[STATE] = secrets.token_urlsafe(TOKEN_BYTES)
    return st.session_state[STATE]


def cookie_script(value: str) -> str:
    """The script that stores a token in the cookie: a year, the whole site, never sent by a
    request another site starts (SameSite=Strict), and only over TLS when the page is."""
    if parse_token(value) is None:  # nothing else is ever written into a script
        raise ValueError("not an owner token")
    cookie = json.dumps(f"{COOKIE}={value}; Max-Age={MAX_AGE}; Path=/; SameSite=Strict")
    secure = 'location.protocol === "https:" ? "; Secure" : ""'
    return f"<script>document.cookie = {cookie} + ({secure});</script>"


def remember_ui() -> None:
    """Write this session's token to the browser's cookie unless the browser sent it already
    (a first visit, or a token Forget replaced). Draws nothing visible; a page that saves or
    lists runs calls it at its end."""
    value = st.session_state.get(STATE)
    if value is not None and browser_token() != value:
        st.html(cookie_script(value), unsafe_allow_javascript=True)
