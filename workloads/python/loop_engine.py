"""python-loop: the study's plain Python, as its users write it: csv.reader,
int() and float(), dicts, and the branches each task needs, nothing more.

It rejects what that code refuses anyway (a field int() or float() cannot
read, a row whose fields do not unpack, an event type the weights do not
know, events out of order where the loop compares keys), naming the line,
and accepts what that code accepts (WORKLOADS.md section 4). The agent
checks the data against its manifest before a sweep, so it meets no other
data there."""
import csv
import heapq
import math
import os

import hp_engine
from hp_engine import BadData, T0

CUTOFF = T0 + 2592000


def open_csv(data, name):
    f = open(os.path.join(data, name), newline="")
    rows = csv.reader(f)
    next(rows, None)    # the header
    return f, rows


def bad(name, rows, e):
    return BadData("%s:%d: %s" % (name, rows.line_num, e))


def groupby(data, threads):
    groups = {}
    n = 0
    f, rows = open_csv(data, "facts.csv")
    with f:
        try:
            for _, _, product_id, _, quantity, unit_price, discount, _ in rows:
                qty = int(quantity)
                price = float(unit_price)
                revenue = qty * price * (1.0 - float(discount))
                product = int(product_id)
                g = groups.get(product)
                if g is None:
                    groups[product] = [1, qty, revenue, price]
                else:
                    g[0] += 1
                    g[1] += qty
                    g[2] += revenue
                    if price > g[3]:
                        g[3] = price
                n += 1
        except ValueError as e:
            raise bad("facts.csv", rows, e) from None
    top = heapq.nsmallest(10, groups.items(), key=lambda kv: (-kv[1][2], kv[0]))
    result = {"rows": n, "groups": len(groups),
              "total_revenue": math.fsum(g[2] for g in groups.values()),
              "top": [[p, g[0], g[1], g[2], g[3]] for p, g in top]}
    return result, None, None


def join(data, threads):
    users = {}
    f, rows = open_csv(data, "users.csv")
    with f:
        try:
            for user_id, segment, region, _ in rows:
                users[int(user_id)] = (segment, region)
        except ValueError as e:
            raise bad("users.csv", rows, e) from None
    cells = {}
    n = 0
    f, rows = open_csv(data, "facts.csv")
    with f:
        try:
            for _, user_id, _, ts, quantity, unit_price, discount, channel in rows:
                if int(ts) < CUTOFF or channel == "partner":
                    continue
                key = users.get(int(user_id))
                if key is None:
                    continue
                qty = int(quantity)
                revenue = qty * float(unit_price) * (1.0 - float(discount))
                c = cells.get(key)
                if c is None:
                    cells[key] = [1, qty, revenue]
                else:
                    c[0] += 1
                    c[1] += qty
                    c[2] += revenue
                n += 1
        except ValueError as e:
            raise bad("facts.csv", rows, e) from None
    result = {"rows": n,
              "segments": [[s, r, c[0], c[1], c[2]] for (s, r), c in sorted(cells.items())]}
    return result, None, None


def sessionize(data, threads):
    hist = [0] * 7
    st = {"events": 0, "users": 0, "sessions": 0, "total_duration_s": 0,
          "bounce_sessions": 0, "converting_sessions": 0, "abandoned_cart_sessions": 0,
          "revenue_cents": 0, "max_session_events": 0}
    events = purchases = carts = start = 0
    prev_user, prev_ts = -1, 0

    def close():
        st["sessions"] += 1
        st["total_duration_s"] += prev_ts - start
        if events == 1:
            st["bounce_sessions"] += 1
        if purchases:
            st["converting_sessions"] += 1
        elif carts:
            st["abandoned_cart_sessions"] += 1
        if events > st["max_session_events"]:
            st["max_session_events"] = events
        hist[min(events.bit_length(), 7) - 1] += 1

    f, rows = open_csv(data, "events.csv")
    with f:
        try:
            for user_id, ts, event_type, amount in rows:
                user = int(user_id)
                t = int(ts)
                cents = round(float(amount) * 100)
                if user != prev_user:
                    if user < prev_user:
                        raise ValueError("user_id %d after %d: not sorted" % (user, prev_user))
                    if events:
                        close()
                    st["users"] += 1
                    events = purchases = carts = 0
                    start = t
                elif t - prev_ts > 1800:
                    close()
                    events = purchases = carts = 0
                    start = t
                elif t < prev_ts:
                    raise ValueError("ts %d after %d: not sorted" % (t, prev_ts))
                events += 1
                if event_type == "purchase":
                    purchases += 1
                    st["revenue_cents"] += cents
                elif event_type == "cart":
                    carts += 1
                st["events"] += 1
                prev_user, prev_ts = user, t
        except ValueError as e:
            raise bad("events.csv", rows, e) from None
    if events:
        close()
    st["length_histogram"] = hist
    return st, None, None


def stream_score(data, threads):
    users = {}      # user_id -> [score, last_ts, alerts, armed]
    events = alerts = 0
    peak = 0.0
    exp = math.exp
    f, rows = open_csv(data, "stream.csv")
    with f:
        try:
            for ts, user_id, event_type, amount in rows:
                t = int(ts)
                user = int(user_id)
                if event_type == "view":
                    w = 0.1
                elif event_type == "login":
                    w = 1.0
                elif event_type == "purchase":
                    w = 0.5 + round(float(amount) * 100) / 20000.0
                elif event_type == "refund":
                    w = 4.0 + round(float(amount) * 100) / 10000.0
                elif event_type == "password_reset":
                    w = 6.0
                elif event_type == "chargeback":
                    w = 15.0 + round(float(amount) * 100) / 5000.0
                else:
                    raise ValueError("unknown event_type %r" % event_type[:40])
                events += 1
                u = users.get(user)
                if u is None:
                    u = users[user] = [0.0, t, 0, True]
                elif t > u[1]:
                    u[0] *= exp(-(t - u[1]) / 1800.0)
                score = u[0]
                if not u[3] and score < 5.0:
                    u[3] = True
                score += w
                u[0] = score
                if score > peak:
                    peak = score
                if u[3] and score >= 20.0:
                    u[2] += 1
                    alerts += 1
                    u[3] = False
                u[1] = t
        except ValueError as e:
            raise bad("stream.csv", rows, e) from None
    final = 0.0
    for uid in sorted(users):
        final += users[uid][0]
    top = heapq.nsmallest(5, users.items(), key=lambda kv: (-kv[1][2], kv[0]))
    result = {"events": events, "users": len(users), "alerts": alerts,
              "alerted_users": sum(1 for u in users.values() if u[2]),
              "peak_score": peak, "final_score_sum": final,
              "top_users": [[uid, u[2]] for uid, u in top]}
    return result, None, None


if __name__ == "__main__":
    hp_engine.main("python-loop", {"groupby": groupby, "join": join, "sessionize": sessionize,
                                   "stream-score": stream_score},
                   threads_used=lambda task, n: 1)
