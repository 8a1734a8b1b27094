#!/usr/bin/env python3
"""Soak and fairness load for bench/soak.sh (issue 14). Python standard library only.

    soak.py fairness URL PREFECT_TOKEN OPERATOR_TOKEN SECONDS
        p50/p95 of a prefect's structures page alone, then with four abusive clients (an
        operator sending the heaviest dashboards the limits let through) running.
    soak.py soak URL AGENTS_TSV PREFECT_TOKEN SECONDS OUTAGE_AT OUTAGE_SECONDS PID OUT_JSON
        32 clients (24 readers, 8 writers recording report entries with idempotency keys and
        retrying on failure) for SECONDS; the database is stopped at OUTAGE_AT for
        OUTAGE_SECONDS by the caller (this script only signals when, through a file); memory
        of PID sampled every 5 s. Writes what was acknowledged to OUT_JSON.
"""
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlparse

PAGE = ('{ structures(first: 50, filter: { department: "59" }) { totalCount edges { node { '
        'matricule name department { name } commune { name } } } } }')
DASHBOARD = ("query { %s }" % " ".join(
    "d%d: dashboard { reporting { total byMonth { key count } byPartner { key count } "
    "byTheme { key count } byDepartment { key count } } supportRequests { total late } "
    "answerDelays { partner answered medianHours p90Hours } }" % i for i in range(10)))
RECORD = ("mutation($input: ReportEntryInput!, $key: String) { recordReportEntry(input: $input, "
          "idempotencyKey: $key) { id } }")


class Client:
    def __init__(self, url, token):
        self.url = urlparse(url)
        self.token = token
        self.conn = None

    def post(self, query, variables=None, timeout=30):
        body = json.dumps({"query": query, "variables": variables or {}})
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.token}
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                                           timeout=timeout)
                self.conn.request("POST", self.url.path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
                try:
                    payload = json.loads(data)
                except ValueError:
                    payload = {}
                return response.status, payload
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 1:
                    return 0, {}
        return 0, {}


def code_of(status, payload):
    errors = payload.get("errors") or []
    if errors:
        return (errors[0].get("extensions") or {}).get("code", "NO_CODE")
    return "OK" if status == 200 else "HTTP_%d" % status


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def page_latencies(url, token, seconds):
    client = Client(url, token)
    latencies, codes = [], Counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        status, payload = client.post(PAGE)
        latencies.append((time.monotonic() - started) * 1000)
        codes[code_of(status, payload)] += 1
    return latencies, codes


def fairness(url, prefect, operator, seconds):
    page_latencies(url, prefect, 2)  # warm-up
    idle, idle_codes = page_latencies(url, prefect, seconds)
    stop = threading.Event()
    abusive = Counter()

    def abuse():
        client = Client(url, operator)
        while not stop.is_set():
            status, payload = client.post(DASHBOARD, timeout=60)
            abusive[code_of(status, payload)] += 1

    threads = [threading.Thread(target=abuse) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    loaded, loaded_codes = page_latencies(url, prefect, seconds)
    stop.set()
    for t in threads:
        t.join()
    result = {
        "idle": {"p50": statistics.median(idle), "p95": percentile(idle, 95), "n": len(idle),
                 "codes": dict(idle_codes)},
        "with_abusers": {"p50": statistics.median(loaded), "p95": percentile(loaded, 95),
                         "n": len(loaded), "codes": dict(loaded_codes)},
        "abusive_requests": dict(abusive),
    }
    result["p95_ratio"] = result["with_abusers"]["p95"] / result["idle"]["p95"]
    print(json.dumps(result))


def rss_kib(pid):
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def soak(url, agents_tsv, prefect, seconds, outage_at, outage_seconds, pid, out):
    agents = [line.rstrip("\n").split("\t") for line in open(agents_tsv) if line.strip()]
    started = time.monotonic()
    end = started + seconds
    lock = threading.Lock()
    codes = Counter()
    per_window = {}  # 10-second window -> Counter of codes
    acknowledged = []  # (key, id)
    given_up = []  # keys never acknowledged
    memory = []

    def count(code):
        window = int((time.monotonic() - started) // 10) * 10
        with lock:
            codes[code] += 1
            per_window.setdefault(window, Counter())[code] += 1

    def reader(i):
        client = Client(url, prefect)
        while time.monotonic() < end:
            status, payload = client.post(PAGE)
            count(code_of(status, payload))
            if status != 200:
                time.sleep(0.2)

    def writer(i):
        token, matricule = agents[i % len(agents)]
        client = Client(url, token)
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        while time.monotonic() < end:
            key = str(uuid.uuid4())
            variables = {"key": key, "input": {
                "structure": matricule, "occurredOn": day, "partner": "CAF", "theme": "FAMILY",
                "helpKind": "REFERRAL", "resolvedOnSite": True, "durationMinutes": 10}}
            # A retried creation uses the same key: it is recorded once.
            for attempt in range(60):
                status, payload = client.post(RECORD, variables)
                code = code_of(status, payload)
                count(code)
                if code == "OK":
                    with lock:
                        acknowledged.append((key, payload["data"]["recordReportEntry"]["id"]))
                    break
                if code not in ("UNAVAILABLE", "HTTP_0", "INTERNAL", "TIMEOUT", "RATE_LIMITED"):
                    break
                time.sleep(0.5)
            else:
                with lock:
                    given_up.append(key)

    def sample():
        while time.monotonic() < end + 1:
            memory.append((round(time.monotonic() - started), rss_kib(pid)))
            time.sleep(5)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(24)]
    threads += [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    threads.append(threading.Thread(target=sample))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump({
        "seconds": seconds, "outage_at": outage_at, "outage_seconds": outage_seconds,
        "codes": dict(codes),
        "per_window": {str(k): dict(v) for k, v in sorted(per_window.items())},
        "acknowledged": acknowledged, "given_up": given_up, "memory_kib": memory,
    }, open(out, "w"))


if __name__ == "__main__":
    if sys.argv[1] == "fairness":
        fairness(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif sys.argv[1] == "soak":
        soak(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]),
             float(sys.argv[7]), sys.argv[8], sys.argv[9])
    else:
        sys.exit(__doc__)
