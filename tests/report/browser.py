"""Open an HTML file in headless Chromium and report what the page did.

A tiny Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (fd 3: commands
in, fd 4: replies and events out, NUL-separated JSON): no network port, no extra package.
It records console errors, uncaught exceptions, JavaScript dialogs (``alert``) and every
network request, evaluates a probe expression once the plots have rendered, and saves a
full-page screenshot.

Used by tests/report/test_browser.py and, as a script, to make docs/report.png::

    python tests/report/browser.py RUN_DIR/report.html docs/report.png [MAX_HEIGHT]
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    # any host name resolves nowhere: a page that tries the network fails loudly
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]

#: Per Plotly graph: traces in its data, rendered SVG roots, drawn trace groups.
PLOT_PROBE = """
JSON.stringify(Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => ({
  id: d.id,
  name: d.closest('figure') ? d.closest('figure').dataset.plot : null,
  traces: (d._fullData || []).length,
  svgs: d.querySelectorAll('.main-svg').length,
  drawn: d.querySelectorAll('g.trace, g.hm, .heatmaplayer image, .imagelayer image').length,
  width: d.getBoundingClientRect().width,
  height: d.getBoundingClientRect().height,
})))
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    """What happened while the page was open."""

    plots: list[dict[str, Any]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    body_text: str = ""
    screenshot: Path | None = None


class _Pipe:
    def __init__(self, proc: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self.proc = proc
        self.write_fd = write_fd
        self.read_fd = read_fd
        self.next_id = 0
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.replies: dict[int, dict[str, Any]] = {}
        self.cv = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self.cv:
                        self.replies[msg["id"]] = msg
                        self.cv.notify_all()
                else:
                    self.events.put(msg)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        self.next_id += 1
        mid = self.next_id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self.cv:
            while mid not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"no reply to {method} from chromium")
                self.cv.wait(min(left, 0.5))
            reply = self.replies.pop(mid)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})


def open_page(
    html_path: str | Path,
    *,
    screenshot: str | Path | None = None,
    width: int = 1280,
    max_height: int = 16000,
    timeout: float = 60.0,
    chromium: str | None = None,
) -> PageReport:
    """Load ``html_path`` from disk in headless Chromium; wait for every Plotly graph."""
    exe = chromium or find_chromium()
    if exe is None:
        raise FileNotFoundError(
            "chromium not found: install Debian's chromium (scripts/setup-system.sh)"
        )
    profile = tempfile.mkdtemp(prefix="losslab-chromium-")
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def _fds() -> None:  # runs in the child: commands on fd 3, replies on fd 4
        a, b = os.dup(to_child_r), os.dup(from_child_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    proc = subprocess.Popen(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},900",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=False,
        preexec_fn=_fds,  # noqa: PLW1509 - single-threaded at this point
    )
    os.close(to_child_r)
    os.close(from_child_w)
    pipe = _Pipe(proc, to_child_w, from_child_r)
    report = PageReport()
    try:
        targets = pipe.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        sid = pipe.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.send(f"{domain}.enable", session=sid)
        pipe.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=sid,
        )
        url = Path(html_path).resolve().as_uri()
        pipe.send("Page.navigate", {"url": url}, session=sid)
        deadline = time.monotonic() + timeout
        loaded = False

        def drain(wait: float) -> None:
            nonlocal loaded
            end = time.monotonic() + wait
            while True:
                left = end - time.monotonic()
                try:
                    ev = (
                        pipe.events.get(timeout=max(left, 0.0))
                        if left > 0
                        else pipe.events.get_nowait()
                    )
                except queue.Empty:
                    return
                method, params = ev.get("method"), ev.get("params", {})
                if method == "Page.loadEventFired":
                    loaded = True
                elif method == "Runtime.exceptionThrown":
                    d = params.get("exceptionDetails", {})
                    report.exceptions.append(
                        str(d.get("exception", {}).get("description") or d.get("text"))
                    )
                elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                    "error",
                    "assert",
                ):
                    report.console_errors.append(
                        " ".join(
                            str(a.get("value", a.get("description")))
                            for a in params.get("args", [])
                        )
                    )
                elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                    report.console_errors.append(str(params["entry"].get("text")))
                elif method == "Network.requestWillBeSent":
                    report.requests.append(str(params.get("request", {}).get("url")))
                elif method == "Page.javascriptDialogOpening":
                    report.dialogs.append(str(params.get("message")))
                    threading.Thread(
                        target=pipe.send,
                        args=("Page.handleJavaScriptDialog", {"accept": True}, sid),
                        daemon=True,
                    ).start()

        while not loaded and time.monotonic() < deadline:
            drain(0.2)
        if not loaded:
            raise TimeoutError(f"{url} did not finish loading in {timeout} s")
        # Plotly draws synchronously after load; poll until every graph has its SVG
        while time.monotonic() < deadline:
            drain(0.2)
            res = pipe.send(
                "Runtime.evaluate", {"expression": PLOT_PROBE, "returnByValue": True}, session=sid
            )
            report.plots = json.loads(res["result"]["value"])
            if all(p["svgs"] > 0 and p["drawn"] > 0 for p in report.plots):
                break
        drain(0.5)
        res = pipe.send(
            "Runtime.evaluate",
            {"expression": "document.body.innerText", "returnByValue": True},
            session=sid,
        )
        report.body_text = str(res["result"].get("value", ""))
        if screenshot is not None:
            metrics = pipe.send("Page.getLayoutMetrics", session=sid)
            height = int(min(metrics["cssContentSize"]["height"], max_height))
            pipe.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=sid,
            )
            drain(0.5)
            shot = pipe.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                },
                session=sid,
                timeout=60,
            )
            out = Path(screenshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(base64.b64decode(shot["data"]))
            report.screenshot = out
        drain(0.1)
        with contextlib.suppress(TimeoutError, RuntimeError, OSError):
            pipe.send("Browser.close", timeout=5)
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for fd in (to_child_w, from_child_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(profile, ignore_errors=True)
    return report


if __name__ == "__main__":
    rep = open_page(
        sys.argv[1],
        screenshot=sys.argv[2] if len(sys.argv) > 2 else None,
        max_height=int(sys.argv[3]) if len(sys.argv) > 3 else 16000,
    )
    print(
        json.dumps(
            {k: v for k, v in rep.__dict__.items() if k != "body_text"}, default=str, indent=1
        )
    )
