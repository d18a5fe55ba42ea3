//! rust-native: std HashMap and BufRead code of the kind the study wrote for
//! groupby, join, sessionize and stream-score. Single-threaded.
use hotpath_rust::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

fn out(result: Value) -> Result<Output, Bad> {
    Ok(Output { result, load_s: None, compute_s: None, threads_used: 1 })
}

fn groupby(dir: &Path, _t: usize) -> Result<Output, Bad> {
    let mut csv = Csv::open(dir, &FACTS)?;
    // product -> (count, qty, revenue, max cents)
    let mut g: HashMap<u64, (u64, u64, f64, u64)> = HashMap::new();
    let rows = csv.each(|c, f| {
        let product = uint(f[2]).ok_or_else(|| c.bad(2, f[2]))?;
        let qty = uint(f[4]).ok_or_else(|| c.bad(4, f[4]))?;
        let cents = money(f[5]).ok_or_else(|| c.bad(5, f[5]))?;
        let disc = discount(f[6]).ok_or_else(|| c.bad(6, f[6]))?;
        let e = g.entry(product).or_insert((0, 0, 0.0, 0));
        e.0 += 1;
        e.1 += qty;
        e.2 += revenue(qty, cents, disc);
        e.3 = e.3.max(cents);
        Ok(())
    })?;
    let total: f64 = g.values().map(|v| v.2).sum();
    let mut all: Vec<(&u64, &(u64, u64, f64, u64))> = g.iter().collect();
    all.sort_by(|a, b| b.1 .2.partial_cmp(&a.1 .2).unwrap().then(a.0.cmp(b.0)));
    let top: Vec<Value> = all.iter().take(10)
        .map(|(p, v)| json!([p, v.0, v.1, v.2, v.3 as f64 / 100.0])).collect();
    out(json!({"rows": rows, "groups": g.len(), "total_revenue": total, "top": top}))
}

fn join(dir: &Path, _t: usize) -> Result<Output, Bad> {
    let mut users: HashMap<u64, (usize, usize)> = HashMap::new();
    let mut ucsv = Csv::open(dir, &USERS)?;
    ucsv.each(|c, f| {
        let id = uint(f[0]).ok_or_else(|| c.bad(0, f[0]))?;
        let seg = name_of(f[1], &SEGMENTS).ok_or_else(|| c.bad(1, f[1]))?;
        let reg = name_of(f[2], &REGIONS).ok_or_else(|| c.bad(2, f[2]))?;
        if users.insert(id, (seg, reg)).is_some() {
            return Err(c.fail(&format!("duplicate user_id {}", id)));
        }
        Ok(())
    })?;
    let mut cells: HashMap<(usize, usize), (u64, u64, f64)> = HashMap::new();
    let mut kept = 0u64;
    let mut csv = Csv::open(dir, &FACTS)?;
    csv.each(|c, f| {
        let user = uint(f[1]).ok_or_else(|| c.bad(1, f[1]))?;
        let ts = uint(f[3]).ok_or_else(|| c.bad(3, f[3]))?;
        let qty = uint(f[4]).ok_or_else(|| c.bad(4, f[4]))?;
        let cents = money(f[5]).ok_or_else(|| c.bad(5, f[5]))?;
        let disc = discount(f[6]).ok_or_else(|| c.bad(6, f[6]))?;
        let channel = name_of(f[7], &CHANNELS).ok_or_else(|| c.bad(7, f[7]))?;
        if ts < T0 + 2_592_000 || channel == 3 {
            return Ok(());
        }
        if let Some(&key) = users.get(&user) {
            let e = cells.entry(key).or_insert((0, 0, 0.0));
            e.0 += 1;
            e.1 += qty;
            e.2 += revenue(qty, cents, disc);
            kept += 1;
        }
        Ok(())
    })?;
    let mut segs: Vec<Value> = Vec::new();
    let mut keys: Vec<&(usize, usize)> = cells.keys().collect();
    keys.sort_by(|a, b| (SEGMENTS[a.0], REGIONS[a.1]).cmp(&(SEGMENTS[b.0], REGIONS[b.1])));
    for k in keys {
        let v = cells[k];
        segs.push(json!([SEGMENTS[k.0], REGIONS[k.1], v.0, v.1, v.2]));
    }
    out(json!({"rows": kept, "segments": segs}))
}

struct Session {
    events: u64, purchases: u64, carts: u64, start: u64, end: u64,
}

fn sessionize(dir: &Path, _t: usize) -> Result<Output, Bad> {
    let mut csv = Csv::open(dir, &EVENTS)?;
    let (mut users, mut sessions, mut duration, mut bounce, mut conv, mut aband) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut revenue_cents, mut max_events) = (0u64, 0u64);
    let mut hist = [0u64; 7];
    let mut cur: Option<Session> = None;
    let mut prev: Option<(u64, u64)> = None;
    let mut close = |s: &Session| {
        sessions += 1;
        duration += s.end - s.start;
        bounce += (s.events == 1) as u64;
        conv += (s.purchases > 0) as u64;
        aband += (s.carts > 0 && s.purchases == 0) as u64;
        max_events = max_events.max(s.events);
        let mut b = 0;
        while b < 6 && s.events >= (2u64 << b) {
            b += 1;
        }
        hist[b] += 1;
    };
    let events = csv.each(|c, f| {
        let user = uint(f[0]).ok_or_else(|| c.bad(0, f[0]))?;
        let ts = uint(f[1]).ok_or_else(|| c.bad(1, f[1]))?;
        let kind = name_of(f[2], &EVENT_TYPES).ok_or_else(|| c.bad(2, f[2]))?;
        let cents = money(f[3]).ok_or_else(|| c.bad(3, f[3]))?;
        if let Some((pu, pt)) = prev {
            if user < pu || (user == pu && ts < pt) {
                return Err(c.fail("not sorted by user_id, then ts"));
            }
        }
        let new_user = prev.map_or(true, |(pu, _)| pu != user);
        if new_user || prev.map_or(false, |(_, pt)| ts - pt > 1800) {
            if let Some(s) = cur.take() {
                close(&s);
            }
            if new_user {
                users += 1;
            }
            cur = Some(Session { events: 0, purchases: 0, carts: 0, start: ts, end: ts });
        }
        let s = cur.as_mut().unwrap();
        s.events += 1;
        s.end = ts;
        if kind == 3 {
            s.purchases += 1;
            revenue_cents += cents;
        } else if kind == 2 {
            s.carts += 1;
        }
        prev = Some((user, ts));
        Ok(())
    })?;
    if let Some(s) = cur.take() {
        close(&s);
    }
    out(json!({"events": events, "users": users, "sessions": sessions,
               "total_duration_s": duration, "bounce_sessions": bounce,
               "converting_sessions": conv, "abandoned_cart_sessions": aband,
               "revenue_cents": revenue_cents, "max_session_events": max_events,
               "length_histogram": hist}))
}

struct UserState {
    score: f64, last_ts: u64, alerts: u64, armed: bool,
}

fn stream_score(dir: &Path, _t: usize) -> Result<Output, Bad> {
    let mut csv = Csv::open(dir, &STREAM)?;
    let mut users: HashMap<u64, UserState> = HashMap::new();
    let (mut alerts, mut peak) = (0u64, 0.0f64);
    let mut prev_ts: Option<u64> = None;
    let events = csv.each(|c, f| {
        let ts = uint(f[0]).ok_or_else(|| c.bad(0, f[0]))?;
        let user = uint(f[1]).ok_or_else(|| c.bad(1, f[1]))?;
        let kind = name_of(f[2], &STREAM_TYPES).ok_or_else(|| c.bad(2, f[2]))?;
        let cents = money(f[3]).ok_or_else(|| c.bad(3, f[3]))?;
        if prev_ts.map_or(false, |p| ts < p) {
            return Err(c.fail("ts decreases"));
        }
        prev_ts = Some(ts);
        let mut seen = true;
        let u = users.entry(user).or_insert_with(|| {
            seen = false;
            UserState { score: 0.0, last_ts: ts, alerts: 0, armed: true }
        });
        if seen && ts > u.last_ts {
            u.score *= (-((ts - u.last_ts) as f64) / 1800.0).exp();
        }
        if !u.armed && u.score < 5.0 {
            u.armed = true;
        }
        let c = cents as f64;
        u.score += match kind {
            0 => 0.1,
            1 => 1.0,
            2 => 0.5 + c / 20000.0,
            3 => 4.0 + c / 10000.0,
            4 => 6.0,
            _ => 15.0 + c / 5000.0,
        };
        peak = peak.max(u.score);
        if u.armed && u.score >= 20.0 {
            u.alerts += 1;
            alerts += 1;
            u.armed = false;
        }
        u.last_ts = ts;
        Ok(())
    })?;
    let mut ids: Vec<&u64> = users.keys().collect();
    ids.sort();
    let final_sum: f64 = ids.iter().map(|id| users[id].score).sum();
    let alerted = users.values().filter(|u| u.alerts > 0).count();
    let mut ranked: Vec<(u64, u64)> = users.iter().map(|(id, u)| (*id, u.alerts)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<Value> = ranked.iter().take(5).map(|(id, a)| json!([id, a])).collect();
    out(json!({"events": events, "users": users.len(), "alerts": alerts,
               "alerted_users": alerted, "peak_score": peak, "final_score_sum": final_sum,
               "top_users": top}))
}

fn main() {
    hotpath_rust::main("rust-native", &[("groupby", groupby), ("join", join),
                                        ("sessionize", sessionize),
                                        ("stream-score", stream_score)]);
}
