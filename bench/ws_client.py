"""A simulated user that speaks Streamlit's own websocket protocol: no browser.

What a browser tab does for the lab, minus the rendering: open a session on /_stcore/stream,
ask for a page run (BackMsg.rerun_script with the page and its query string), read the
ForwardMsgs (deltas: the elements the script draws; script_finished; auto_rerun: a fragment's
timer), click a button (a rerun whose widget states carry its trigger), and rerun a fragment on
its timer (st.fragment(run_every=...) is driven by the client). Sixteen Chromium tabs take the
two cores of this machine for themselves (measured: 1.8 of 2 cores), so a load test through them
measures the browsers; through this client it measures the server.

Only the elements the load tests read are kept: each button (id, label, disabled), the text
inputs, radios and number inputs (to set their values: ``change``), the status lines (progress
texts), captions and markdown, alerts and exceptions, and whether a chart was drawn. A value set
with ``change`` is sent again with every later rerun, as the frontend sends every widget's
value. Each timer-driven fragment run is timed from its request to its script_finished
(``fragment_seconds``). Times are this client's (time.monotonic()).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

CHARTS = ("arrow_vega_lite_chart", "vega_lite_chart")
WIDGETS = ("text_input", "radio", "number_input")  # the inputs change() can set


@dataclass
class PageState:
    """What the session's page shows, by delta path (the frontend's element tree, flattened)."""

    elements: dict[tuple, tuple[str, object]] = field(default_factory=dict)
    runs_finished: int = 0  # full runs that finished
    runs_started: int = 0  # full runs that started
    running: bool = False  # a run (full or a fragment's) is under way
    fragment_runs_finished: int = 0

    def of(self, kind: str) -> list:
        return [e for k, e in self.elements.values() if k == kind]

    def texts(self) -> list[str]:
        return [e.text for e in self.of("progress")] + [e.body for e in self.of("markdown")]


class StreamlitSession:
    """One session on a Streamlit server: run a page, click buttons, keep its fragments' timers.

    ``on_change`` is called after every message that changed the page (with this session), so
    a caller can timestamp what appears. ``fragment_every`` (seconds) replaces the interval the
    server asks for a fragment's timer (None: the server's)."""

    def __init__(
        self,
        url: str,
        page: str,
        params: dict[str, str],
        on_change=None,
        fragment_every: float | None = None,
    ):
        parts = urlsplit(url)
        self.url, self.page, self.query = url, page, urlencode(params)
        self.ws_url = f"ws://{parts.netloc}/_stcore/stream"
        self.on_change = on_change or (lambda s: None)
        self.state = PageState()
        self.page_script_hash = ""
        self.closed = asyncio.Event()
        self.error: str | None = None  # why the connection ended, if not by close()
        self._ws = None
        self._timers: dict[str, asyncio.Task] = {}
        self._reader: asyncio.Task | None = None
        self.values: dict[str, WidgetState] = {}  # set by change(): sent with every rerun
        self.fragment_every = fragment_every
        self.fragment_seconds: list[float] = []  # timer request -> its script_finished
        self._fragment_asked: float | None = None

    # -- connection ------------------------------------------------------------------------

    async def open(self) -> None:
        self._ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], origin=self.url, max_size=None
        )
        self._reader = asyncio.create_task(self._read())
        await self._rerun()

    async def close(self) -> None:
        for task in self._timers.values():
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # -- what the frontend sends -------------------------------------------------------------

    async def click(self, button_id: str) -> None:
        """A button click: a full rerun whose widget states carry the button's trigger."""
        await self._rerun(widgets=[WidgetState(id=button_id, trigger_value=True)])

    async def change(self, widget_id: str, value: str | int | float) -> None:
        """A widget's new value, as the frontend sends it: a full rerun. Text (a text_input's,
        a radio's option as shown) goes as string_value, an int as int_value, a float as
        double_value (a number_input's)."""
        state = WidgetState(id=widget_id)
        if isinstance(value, str):
            state.string_value = value
        elif isinstance(value, int):
            state.int_value = value
        else:
            state.double_value = float(value)
        self.values[widget_id] = state
        await self._rerun()

    async def _rerun(self, widgets=(), fragment_id: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = self.page
        state.page_script_hash = self.page_script_hash
        sent = [w for i, w in self.values.items() if i not in {x.id for x in widgets}]
        state.widget_states.CopyFrom(WidgetStates(widgets=[*sent, *widgets]))
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        await self._ws.send(msg.SerializeToString())

    async def _timer(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._fragment_asked = time.monotonic()
            await self._rerun(fragment_id=fragment_id)

    # -- what the server sends ---------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                if self._handle(msg):
                    self.on_change(self)
        except websockets.ConnectionClosed as exc:
            self.error = f"websocket closed ({exc.code})"
        except Exception as exc:  # a bug here must end the visit, not hang it
            self.error = f"client: {type(exc).__name__}: {exc}"
        finally:
            self.closed.set()

    def _handle(self, msg: ForwardMsg) -> bool:
        kind = msg.WhichOneof("type")
        if kind == "new_session":  # a run starts: a full one, or a fragment's
            self.state.running = True
            if not msg.metadata.run.fragment_ids:  # a full run draws the page again ...
                self.state.runs_started += 1
                self.state.elements.clear()
                for task in self._timers.values():  # ... and its fragments set new timers
                    task.cancel()
                self._timers.clear()
        elif kind == "session_status_changed":
            self.state.running = msg.session_status_changed.script_is_running
        elif kind == "navigation":  # st.navigation: the page this run shows
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            fid, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            if fid in self._timers:
                self._timers.pop(fid).cancel()
            every = self.fragment_every or interval
            self._timers[fid] = asyncio.create_task(self._timer(fid, every))
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                if fid in self._timers:
                    self._timers.pop(fid).cancel()
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                self.state.runs_finished += 1
            elif msg.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self.state.fragment_runs_finished += 1
                if self._fragment_asked is not None:
                    self.fragment_seconds.append(time.monotonic() - self._fragment_asked)
                    self._fragment_asked = None
            return True
        elif kind == "delta":
            return self._delta(tuple(msg.metadata.delta_path), msg.delta)
        return False

    def _delta(self, path: tuple, delta) -> bool:
        if delta.WhichOneof("type") != "new_element":
            return False
        element = delta.new_element
        kind = element.WhichOneof("type")
        kept = ("button", "progress", "markdown", "alert", "exception", *WIDGETS, *CHARTS)
        if kind in kept:
            self.state.elements[path] = (kind, getattr(element, kind))
        else:
            self.state.elements.pop(path, None)  # another element took this place
        return True

    # -- reading the page ---------------------------------------------------------------------

    def button(self, label_prefix: str):
        return next((b for b in self.state.of("button") if b.label.startswith(label_prefix)), None)

    def timers(self) -> list[str]:
        """The fragments whose timers this client keeps (the server asked with auto_rerun)."""
        return sorted(self._timers)

    def widget(self, kind: str, label_prefix: str):
        """The first ``kind`` element (e.g. "text_input") whose label starts so, or None."""
        return next((w for w in self.state.of(kind) if w.label.startswith(label_prefix)), None)

    def alerts(self, fmt: int) -> list[str]:
        """The bodies of the alerts of one format (Alert.SUCCESS, Alert.ERROR, ...)."""
        return [a.body for a in self.state.of("alert") if a.format == fmt]

    def errors(self) -> list[str]:
        alerts = [a.body for a in self.state.of("alert") if a.format == Alert.ERROR]
        return alerts + [e.message for e in self.state.of("exception")]

    def has_chart(self) -> bool:
        return any(k in CHARTS for k, _ in self.state.elements.values())


async def wait_until(session: StreamlitSession, check, timeout: float, poll: float = 0.05):
    """Wait for check(session) to be true (or the connection to end); False on timeout."""
    deadline = time.monotonic() + timeout
    while not check(session):
        if session.closed.is_set() or time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll)
    return True
