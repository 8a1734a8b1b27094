#!/usr/bin/env python3
"""How soon the web front paints its first figures (issue 16), in headless Chromium.

    bench/paint.py BASE_URL SESSION_COOKIE_VALUE NAME [RUNS]

Drives Chromium over WebDriver (chromedriver's HTTP API, standard library only): sets the
session cookie (from `maillage session EMAIL`), then opens BASE_URL/ RUNS + 1 times, from a
blank page each time. The first figure of the dashboard carries `elementtiming`, so the
browser itself reports when it was painted, in ms from the start of the navigation. Prints
one Markdown row: the first (cold: nothing cached) load, then the median and the worst of
the warm ones (the pinned DSFR files cached, as for anyone coming back), the GraphQL time
of the slowest warm load, and the figure as painted.

Each load is followed to its end (the dashboard's sections shown) before the next one starts:
the server runs one dashboard request at a time, so a load cut short would leave its whole
dashboard running ahead of the next load's key figures. The last column is that end.
"""
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

FIGURE = "reporting.total"
WAIT = """
const done = arguments[arguments.length - 1];
const key = arguments[0];
let given = false;
const give = (entry) => {
  if (given) return;
  given = true;
  const graphql = performance.getEntriesByType('resource')
    .filter((r) => r.name.endsWith('/graphql'))
    .map((r) => r.responseEnd - r.startTime);
  const figure = document.querySelector(`[data-figure='${key}']`);
  done({
    painted: entry ? entry.renderTime || entry.loadTime : null,
    graphql: graphql.length ? Math.max(...graphql) : null,
    text: figure ? figure.textContent : null,
  });
};
new PerformanceObserver((list) => {
  const entry = list.getEntries().find((e) => e.identifier === `figure:${key}`);
  if (entry) give(entry);
}).observe({ type: 'element', buffered: true });
setTimeout(() => give(null), 25000);
"""

COMPLETE = """
const done = arguments[arguments.length - 1];
const check = () => {
  if (document.querySelector('#resultats .mg-section, #resultats .fr-alert')) done(performance.now());
  else setTimeout(check, 20);
};
check();
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["value"]


def main():
    base, cookie, name = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    binary = next((b for b in ("chromedriver", "/usr/lib/chromium/chromedriver")
                   if shutil.which(b)), None)
    if binary is None:
        sys.exit("paint: chromedriver is missing (apt-get install chromium chromium-driver)")
    port = free_port()
    driver = subprocess.Popen([binary, f"--port={port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    root = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(f"{root}/status")
                break
            except OSError:
                time.sleep(0.1)
        session = call(f"{root}/session", "POST", {"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]}}}})["sessionId"]
        s = f"{root}/session/{session}"
        call(f"{s}/timeouts", "POST", {"script": 30000, "pageLoad": 30000})
        # The cookie belongs to the server's origin: set it from a page of that origin.
        call(f"{s}/url", "POST", {"url": f"{base}/ui/app.css"})
        call(f"{s}/cookie", "POST", {"cookie": {"name": "maillage_session", "value": cookie,
                                                "path": "/", "httpOnly": True}})
        loads = []
        for _ in range(runs + 1):
            call(f"{s}/url", "POST", {"url": "about:blank"})
            call(f"{s}/url", "POST", {"url": f"{base}/"})
            load = call(f"{s}/execute/async", "POST", {"script": WAIT, "args": [FIGURE]})
            if load["painted"] is None:
                sys.exit(f"paint: {name}: no figure painted within 25 s ({load})")
            load["complete"] = call(f"{s}/execute/async", "POST", {"script": COMPLETE, "args": []})
            loads.append(load)
        call(s, "DELETE")
    finally:
        driver.kill()
        driver.wait()
    cold, warm = loads[0], loads[1:]
    painted = sorted(load["painted"] for load in warm)
    worst = max(warm, key=lambda load: load["painted"])
    complete = statistics.median(load["complete"] for load in warm)
    print(f"| {name} | {cold['painted']:.0f} | {statistics.median(painted):.0f} | "
          f"{painted[-1]:.0f} | {worst['graphql']:.0f} | {worst['text']} | {complete:.0f} |")


if __name__ == "__main__":
    main()
