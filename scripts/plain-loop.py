"""The yardstick for python-loop in `make bench`: sessionize and stream-score
as a plain csv-module loop (csv.reader, int(), float(), a dict), with no
check at all and no error handling. python-loop is held to within 15 % of
it: a baseline slower than the code people write overstates every speedup.

usage: plain-loop.py sessionize|stream-score DATA_DIR
prints {"total_s": S, "result": {...}} (timed from opening the file to the
result, as an engine's total_s)."""
import csv
import json
import math
import sys
import time


def sessionize(path):
    hist = [0] * 7
    out = {"events": 0, "users": 0, "sessions": 0, "total_duration_s": 0,
           "bounce_sessions": 0, "converting_sessions": 0, "abandoned_cart_sessions": 0,
           "revenue_cents": 0, "max_session_events": 0}
    cur = None
    last_user = None
    last_ts = 0

    def end(s):
        out["sessions"] += 1
        out["total_duration_s"] += s["end"] - s["start"]
        if s["n"] == 1:
            out["bounce_sessions"] += 1
        if s["buys"] > 0:
            out["converting_sessions"] += 1
        elif s["carts"] > 0:
            out["abandoned_cart_sessions"] += 1
        out["max_session_events"] = max(out["max_session_events"], s["n"])
        hist[min(s["n"].bit_length(), 7) - 1] += 1

    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            user = int(row[0])
            ts = int(row[1])
            kind = row[2]
            cents = round(float(row[3]) * 100)
            if user != last_user or ts - last_ts > 1800:
                if cur is not None:
                    end(cur)
                if user != last_user:
                    out["users"] += 1
                cur = {"n": 0, "buys": 0, "carts": 0, "start": ts, "end": ts}
            cur["n"] += 1
            cur["end"] = ts
            if kind == "purchase":
                cur["buys"] += 1
                out["revenue_cents"] += cents
            elif kind == "cart":
                cur["carts"] += 1
            out["events"] += 1
            last_user, last_ts = user, ts
    end(cur)
    out["length_histogram"] = hist
    return out


def stream_score(path):
    weight = {"view": lambda c: 0.1, "login": lambda c: 1.0,
              "purchase": lambda c: 0.5 + c / 20000.0, "refund": lambda c: 4.0 + c / 10000.0,
              "password_reset": lambda c: 6.0, "chargeback": lambda c: 15.0 + c / 5000.0}
    state = {}
    events = alerts = 0
    peak = 0.0
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            ts = int(row[0])
            user = int(row[1])
            cents = round(float(row[3]) * 100)
            events += 1
            s = state.get(user)
            if s is None:
                s = state[user] = [0.0, ts, 0, True]
            elif ts - s[1] > 0:
                s[0] *= math.exp(-(ts - s[1]) / 1800.0)
            if not s[3] and s[0] < 5.0:
                s[3] = True
            s[0] += weight[row[2]](cents)
            peak = max(peak, s[0])
            if s[3] and s[0] >= 20.0:
                s[2] += 1
                alerts += 1
                s[3] = False
            s[1] = ts
    final = 0.0
    for u in sorted(state):
        final += state[u][0]
    ranked = sorted(state.items(), key=lambda kv: (-kv[1][2], kv[0]))[:5]
    return {"events": events, "users": len(state), "alerts": alerts,
            "alerted_users": sum(1 for s in state.values() if s[2]), "peak_score": peak,
            "final_score_sum": final, "top_users": [[u, s[2]] for u, s in ranked]}


if __name__ == "__main__":
    task, data = sys.argv[1], sys.argv[2]
    fn, name = {"sessionize": (sessionize, "events.csv"),
                "stream-score": (stream_score, "stream.csv")}[task]
    t0 = time.perf_counter()
    result = fn(data + "/" + name)
    print(json.dumps({"total_s": time.perf_counter() - t0, "result": result}))
