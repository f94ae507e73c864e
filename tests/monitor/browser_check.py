#!/usr/bin/env python3
"""Headless-browser check of the libstream monitor page.

Usage: browser_check.py BASE_URL SCREENSHOT.png [--min-draws 3]
                        [--expect-partitions N] [--viewport-only]

Starts /usr/bin/chromedriver on a free 127.0.0.1 port, drives headless
/usr/bin/chromium over plain W3C WebDriver (no selenium), loads BASE_URL/
and checks:

  * the page redraws from api/stats (body[data-drawn] >= --min-draws),
    with no render error and no failed/external resource loads;
  * the charts are drawn: chart-rate has pixels of the in/out series colours,
    chart-lag has coloured partition cells;
  * the numbers shown agree with the server.  The check is race-free:
      1. fetch B = BASE_URL/api/stats
      2. wait until the page has drawn a snapshot with time >= B.time
      3. read everything from the page in ONE script call (a draw is one
         JS task, so the values and body[data-snapshot-time] T belong to
         the same snapshot)
      4. fetch A = BASE_URL/api/stats
    Then B.time <= T <= A.time, and each counter (records_in, records_out,
    outputs, retries, errors, dead_letters -- all monotonic) satisfies
    B <= page <= A.  If T equals B.time or A.time, that snapshot is the one
    the page drew and every value (lag and health included) must match it
    exactly.  Independently, each data-value must equal the page's own
    snapshot (window.lsMonitor.last()), and chart-lag[data-partitions]
    must equal the number of partitions in it (and --expect-partitions);
  * saves a screenshot (the window is first grown to the page's height
    unless --viewport-only).

Prints one "ok: ..." line and exits 0, or "FAIL: ..." and exits 1.
The WebDriver session and chromedriver are always cleaned up.
"""
import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1400, 1000
COUNTERS = ["records_in", "records_out", "outputs", "retries", "errors", "dead_letters"]
KPI_IDS = {"records_in": "kpi-records-in", "records_out": "kpi-records-out", "lag": "kpi-lag",
           "outputs": "kpi-outputs", "retries": "kpi-retries", "errors": "kpi-errors",
           "dead_letters": "kpi-dead-letters"}

# Never use a proxy: everything here is on 127.0.0.1.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Fail(Exception):
    pass


def http(method, url, body=None, timeout=30, any_status=False):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with HTTP.open(req, timeout=timeout) as r:
            raw = r.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
        if any_status:
            try:
                return json.loads(raw)
            except ValueError:
                pass
        try:
            v = json.loads(raw).get("value", {})
            msg = v.get("message", raw[:300]) if isinstance(v, dict) else raw[:300]
        except ValueError:
            msg = raw[:300]
        raise Fail("%s %s -> HTTP %d: %s" % (method, url, e.code, str(msg).splitlines()[0] if msg else ""))
    except (urllib.error.URLError, OSError) as e:
        raise Fail("%s %s: %s" % (method, url, e))
    return json.loads(raw) if raw else {}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Driver:
    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(tmp, "chromedriver.log"), "wb")
        self.proc = subprocess.Popen([CHROMEDRIVER, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.sid = None

    def wait_ready(self):
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise Fail("chromedriver exited with %s (log: %s)" % (self.proc.returncode, self.log_tail()))
            try:
                if http("GET", self.url + "/status", timeout=2).get("value", {}).get("ready"):
                    break
            except Fail:
                pass
            if time.time() > deadline:
                raise Fail("chromedriver not ready after 20 s (log: %s)" % self.log_tail())
            time.sleep(0.1)

    def log_tail(self):
        try:
            self.log.flush()
            with open(self.log.name, "rb") as f:
                return f.read()[-600:].decode(errors="replace").strip().replace("\n", " | ")
        except OSError:
            return "?"

    def start(self):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--window-size=%d,%d" % (WIDTH, HEIGHT),
                         "--user-data-dir=" + os.path.join(self.tmp, "profile"),
                         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                         "--disable-sync", "--disable-component-update", "--disable-default-apps",
                         "--disable-dev-shm-usage", "--hide-scrollbars", "--force-color-profile=srgb",
                         "--proxy-server=direct://", "--proxy-bypass-list=*"]}}}}
        v = http("POST", self.url + "/session", caps, timeout=90).get("value", {})
        self.sid = v.get("sessionId")
        if not self.sid:
            raise Fail("no WebDriver session: %r" % v)

    def cmd(self, method, path, body=None, timeout=30):
        return http(method, "%s/session/%s%s" % (self.url, self.sid, path), body, timeout).get("value")

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def close(self):
        if self.sid:
            try:
                http("DELETE", "%s/session/%s" % (self.url, self.sid), timeout=15)
            except Exception:
                pass
            self.sid = None
        if self.proc and self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)   # chromedriver's own group (start_new_session)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.log.close()


READ_PAGE = r"""
var b = document.body, q = function (id) { return document.getElementById(id); };
function dv(id) { var e = q(id); return e ? e.getAttribute('data-value') : null; }
function pixels(id, rgbs) {
  var c = q(id); if (!c || !c.width || !c.height) return {w: 0, h: 0, ink: 0, match: 0};
  var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, ink = 0, match = 0;
  for (var i = 0; i < d.length; i += 4) {
    var r = d[i], g = d[i + 1], bl = d[i + 2];
    if (d[i + 3] > 0 && (255 - r > 24 || 255 - g > 24 || 255 - bl > 24)) ink++;
    for (var j = 0; rgbs && j < rgbs.length; j++) {
      var k = rgbs[j];
      if (Math.abs(r - k[0]) < 40 && Math.abs(g - k[1]) < 40 && Math.abs(bl - k[2]) < 40) { match++; break; }
    }
  }
  return {w: c.width, h: c.height, ink: ink, match: match};
}
var kpi = {}; var ids = arguments[0];
for (var k in ids) kpi[k] = dv(ids[k]);
var last = window.lsMonitor && window.lsMonitor.last ? window.lsMonitor.last() : null;
var nparts = 0;
if (last && last.components) last.components.forEach(function (c) { nparts += (c.partitions || []).length; });
var lag = q('chart-lag');
return {
  drawn: +(b.dataset.drawn || 0), time: b.dataset.snapshotTime || null,
  kpi: kpi, health: q('health-status') ? q('health-status').textContent : null,
  partitions: lag ? lag.getAttribute('data-partitions') : null,
  own: last ? {time: last.time, totals: last.totals, health: last.health && last.health.status, partitions: nparts} : null,
  err: q('err') ? q('err').textContent : '',
  rate: pixels('chart-rate', [[31, 111, 209], [26, 138, 90]]), lagpx: pixels('chart-lag', null),
  resources: performance.getEntriesByType('resource').map(function (e) { return e.name; }),
  scrollHeight: Math.max(document.documentElement.scrollHeight, b.scrollHeight),
  dpr: window.devicePixelRatio
};
"""


def get_stats(base):
    s = http("GET", base + "/api/stats", timeout=10, any_status=True)  # a 503 may carry a snapshot
    if not isinstance(s, dict) or "time" not in s or "totals" not in s:
        raise Fail("api/stats: unexpected JSON (keys %s)" % sorted(s)[:10] if isinstance(s, dict) else "not an object")
    return s


def wait_for(desc, timeout, fn):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise Fail("timed out after %d s waiting for %s" % (timeout, desc))


def as_int(v, what):
    try:
        return int(v)
    except (TypeError, ValueError):
        raise Fail("%s: data-value %r is not an integer" % (what, v))


def check(a, drv, tmp):
    base = a.base_url.rstrip("/")
    origin = "/".join(base.split("/")[:3])
    try:
        get_stats(base)             # fail fast, with the server's own error
    except Fail as e:
        raise Fail("server not usable: %s" % e)
    drv.start()
    drv.cmd("POST", "/url", {"url": base + "/"}, timeout=60)

    def drawn():
        v = drv.js("return +(document.body && document.body.dataset.drawn || 0);")
        return v if v >= a.min_draws else 0
    wait_for("%d draws (body[data-drawn])" % a.min_draws, a.timeout, drawn)

    before = get_stats(base)
    bt = float(before["time"])
    def caught_up():
        v = drv.js("return document.body.dataset.snapshotTime || null;")
        return v is not None and float(v) >= bt
    wait_for("the page to draw a snapshot with time >= %.3f" % bt, 15, caught_up)
    page = drv.js(READ_PAGE, KPI_IDS)
    after = get_stats(base)
    at = float(after["time"])

    problems = []
    if page["err"]:
        problems.append("page shows error: %s" % page["err"])
    t = float(page["time"])
    if not (bt <= t <= at):
        problems.append("snapshot time %.3f outside [%.3f, %.3f]" % (t, bt, at))
    shown = {k: as_int(v, KPI_IDS[k]) for k, v in page["kpi"].items()}
    for k in COUNTERS:
        lo, hi = int(before["totals"].get(k, 0)), int(after["totals"].get(k, 0))
        if not (lo <= shown[k] <= hi):
            problems.append("%s shows %d, not within [%d, %d]" % (KPI_IDS[k], shown[k], lo, hi))
    exact = None
    for snap in (before, after):
        if float(snap["time"]) == t:
            exact = snap
    if exact is not None:
        for k in KPI_IDS:
            if shown[k] != int(exact["totals"].get(k, 0)):
                problems.append("%s shows %d, snapshot with time %s has %d"
                                % (KPI_IDS[k], shown[k], t, int(exact["totals"].get(k, 0))))
        if page["health"] != exact["health"]["status"]:
            problems.append("health-status %r != %r" % (page["health"], exact["health"]["status"]))
    if page["health"] not in ("ok", "failing", "stalled"):
        problems.append("health-status is %r" % page["health"])
    own = page["own"]
    if not own:
        problems.append("window.lsMonitor.last() missing")
    else:
        if float(own["time"]) != t:
            problems.append("page's own snapshot time %s != data-snapshot-time %s" % (own["time"], t))
        for k in KPI_IDS:
            if shown[k] != int(own["totals"].get(k, 0)):
                problems.append("%s shows %d, page's snapshot has %d" % (KPI_IDS[k], shown[k], own["totals"].get(k, 0)))
        if as_int(page["partitions"], "chart-lag data-partitions") != own["partitions"]:
            problems.append("chart-lag data-partitions=%s, snapshot has %d" % (page["partitions"], own["partitions"]))
    if a.expect_partitions is not None and as_int(page["partitions"], "chart-lag") != a.expect_partitions:
        problems.append("chart-lag data-partitions=%s, expected %d" % (page["partitions"], a.expect_partitions))
    rp, lp = page["rate"], page["lagpx"]
    if rp["w"] < 200 or rp["h"] < 100:
        problems.append("chart-rate canvas is %dx%d" % (rp["w"], rp["h"]))
    if rp["ink"] < 2000 or rp["match"] < 150:
        problems.append("chart-rate looks blank (%d ink px, %d series px)" % (rp["ink"], rp["match"]))
    nparts = int(page["partitions"] or 0)
    if nparts and lp["ink"] < min(20000, 40 * nparts):
        problems.append("chart-lag looks blank (%d ink px for %d partitions)" % (lp["ink"], nparts))
    foreign = [u for u in page["resources"] if not u.startswith(origin + "/")]
    if foreign:
        problems.append("page loaded foreign resources: %s" % foreign[:3])
    try:
        logs = drv.cmd("POST", "/se/log", {"type": "browser"}) or []
    except Fail:
        logs = []
    # An HTTP error status on api/stats is the server's business (a 503 may carry
    # a snapshot, which the page shows); anything else at SEVERE is a failure.
    severe = [e.get("message", "") for e in logs if e.get("level") == "SEVERE" and not
              ("/api/stats - Failed to load resource: the server responded with a status" in e.get("message", ""))]
    if severe:
        problems.append("browser console errors: %s" % severe[:3])
    if problems:
        raise Fail("; ".join(problems))

    # Screenshot: grow the window to the whole page, let it redraw at the new size.
    if not a.viewport_only:
        try:
            outer = HEIGHT
            for _ in range(3):
                g = drv.js("return [window.innerHeight, document.documentElement.scrollHeight];")
                want = min(outer + g[1] - g[0] + 16, 8000)
                if g[1] <= g[0] or want == outer:
                    break
                outer = want
                n = drv.js("return +document.body.dataset.drawn;")
                drv.cmd("POST", "/window/rect", {"width": WIDTH, "height": outer})
                wait_for("a redraw after resizing", 10, lambda: drv.js("return +document.body.dataset.drawn;") > n)
        except Fail as e:
            sys.stderr.write("note: cannot resize for a full-page screenshot: %s\n" % e)
    png = base64.b64decode(drv.cmd("GET", "/screenshot", timeout=60))
    if not png.startswith(b"\x89PNG"):
        raise Fail("screenshot is not a PNG")
    d = os.path.dirname(os.path.abspath(a.screenshot))
    os.makedirs(d, exist_ok=True)
    with open(a.screenshot, "wb") as f:
        f.write(png)
    how = "exact match with snapshot" if exact is not None else "bracketed by snapshots %.3f..%.3f" % (bt, at)
    return ("ok: %d draws, snapshot %.3f (%s), records_in=%d records_out=%d lag=%d outputs=%d "
            "retries=%d errors=%d, health=%s, %s partitions, chart-rate %d series px, screenshot %s (%d bytes)"
            % (page["drawn"], t, how, shown["records_in"], shown["records_out"], shown["lag"],
               shown["outputs"], shown["retries"], shown["errors"], page["health"], page["partitions"],
               rp["match"], a.screenshot, len(png)))


def main():
    ap = argparse.ArgumentParser(description="headless check of the libstream monitor page")
    ap.add_argument("base_url")
    ap.add_argument("screenshot")
    ap.add_argument("--min-draws", type=int, default=3)
    ap.add_argument("--expect-partitions", type=int)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--viewport-only", action="store_true")
    a = ap.parse_args()

    def on_signal(signum, frame):
        raise Fail("interrupted by signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    tmp = tempfile.mkdtemp(prefix="ls-browser-")
    drv = None
    try:
        drv = Driver(tmp)
        drv.wait_ready()
        msg = check(a, drv, tmp)
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    except Exception as e:  # a bug here must still read as a failure, with cleanup
        print("FAIL: %s: %s" % (type(e).__name__, e), flush=True)
        return 1
    finally:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)   # finish cleaning up first
        try:
            if drv:
                drv.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(msg, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
