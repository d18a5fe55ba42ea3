//! What the Rust engines share: the engine protocol (WORKLOADS.md section 5),
//! line-checked CSV reading with the spec's error messages, and the result
//! shapes of the five tasks.
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Bad input: exit 1 with this message ("FILE:LINE: what is wrong").
pub struct Bad(pub String);

pub struct Output {
    pub result: Value,
    pub load_s: Option<f64>,
    pub compute_s: Option<f64>,
    pub threads_used: usize,
}

pub type Task = fn(&Path, usize) -> Result<Output, Bad>;

fn fail(engine: &str, code: i32, msg: &str) -> ! {
    eprintln!("{}: {}", engine, msg);
    std::process::exit(code);
}

/// Parses the protocol's arguments, runs the task and prints the JSON.
pub fn main(engine: &str, tasks: &[(&str, Task)]) {
    let names: Vec<&str> = tasks.iter().map(|t| t.0).collect();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut task, mut data, mut threads): (Option<String>, Option<String>, Option<String>) =
        (None, None, None);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-h" || a == "--help" {
            println!("usage: {} --task TASK --data DIR [--threads N]\ntasks: {}", engine,
                     names.join(" "));
            std::process::exit(0);
        }
        let slot = match a {
            "--task" => &mut task,
            "--data" => &mut data,
            "--threads" => &mut threads,
            _ => fail(engine, 2, &format!("unknown argument '{}' (see --help)", a)),
        };
        if slot.is_some() {
            fail(engine, 2, &format!("{} given twice", a));
        }
        if i + 1 >= args.len() {
            fail(engine, 2, &format!("{} needs a value", a));
        }
        *slot = Some(args[i + 1].clone());
        i += 2;
    }
    let (task, data) = match (task, data) {
        (Some(t), Some(d)) => (t, d),
        _ => fail(engine, 2, "--task and --data are required (see --help)"),
    };
    let threads: usize = match threads.as_deref().unwrap_or("1").parse::<usize>() {
        Ok(n) if (1..=4096).contains(&n) && threads.as_deref().map_or(true, |s| s.bytes().all(|b| b.is_ascii_digit())) => n,
        _ => fail(engine, 2, &format!("--threads: want an integer from 1 to 4096, got '{}'",
                                      threads.unwrap_or_default())),
    };
    let f = match tasks.iter().find(|t| t.0 == task) {
        Some(t) => t.1,
        None => fail(engine, 2, &format!("task '{}' is not implemented by {} (tasks: {})",
                                         task, engine, names.join(" "))),
    };
    let dir = PathBuf::from(&data);
    if !dir.is_dir() {
        fail(engine, 1, &format!("{}: no such data directory", data));
    }
    let t0 = Instant::now();
    let out = match f(&dir, threads) {
        Ok(o) => o,
        Err(Bad(msg)) => fail(engine, 1, &msg),
    };
    let total = t0.elapsed().as_secs_f64();
    if !finite(&out.result) {
        fail(engine, 1, "the result holds NaN or Infinity");
    }
    let mut doc = json!({"task": task, "engine": engine, "threads": threads});
    if out.threads_used != threads {
        doc["threads_used"] = json!(out.threads_used);
    }
    doc["result"] = out.result;
    doc["timings"] = json!({"load_s": out.load_s, "compute_s": out.compute_s, "total_s": total});
    println!("{}", doc);
}

fn finite(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().map_or(true, |f| f.is_finite()),
        Value::Array(a) => a.iter().all(finite),
        Value::Object(o) => o.values().all(finite),
        _ => true,
    }
}

// ---- fixed schemas ----

pub const T0: u64 = 1_700_000_000;
pub const CHANNELS: [&str; 4] = ["web", "app", "store", "partner"];
pub const SEGMENTS: [&str; 5] = ["consumer", "smb", "enterprise", "education", "government"];
pub const REGIONS: [&str; 8] =
    ["na-east", "na-west", "eu-north", "eu-south", "apac", "latam", "mea", "anz"];
pub const EVENT_TYPES: [&str; 4] = ["view", "click", "cart", "purchase"];
pub const STREAM_TYPES: [&str; 6] =
    ["view", "login", "purchase", "refund", "password_reset", "chargeback"];

pub struct Schema {
    pub file: &'static str,
    pub header: &'static str,
    pub fields: &'static [&'static str],
}
pub const FACTS: Schema = Schema {
    file: "facts.csv",
    header: "order_id,user_id,product_id,ts,quantity,unit_price,discount,channel",
    fields: &["order_id", "user_id", "product_id", "ts", "quantity", "unit_price", "discount",
              "channel"],
};
pub const USERS: Schema = Schema {
    file: "users.csv",
    header: "user_id,segment,region,signup_ts",
    fields: &["user_id", "segment", "region", "signup_ts"],
};
pub const EVENTS: Schema = Schema {
    file: "events.csv",
    header: "user_id,ts,event_type,amount",
    fields: &["user_id", "ts", "event_type", "amount"],
};
pub const STREAM: Schema = Schema {
    file: "stream.csv",
    header: "ts,user_id,event_type,amount",
    fields: &["ts", "user_id", "event_type", "amount"],
};

pub fn uint(f: &[u8]) -> Option<u64> {
    if f.is_empty() || f.len() > 19 || !f.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(f.iter().fold(0u64, |v, b| v * 10 + (b - b'0') as u64))
}

pub fn money(f: &[u8]) -> Option<u64> {
    let n = f.len();
    if n < 4 || n > 19 || f[n - 3] != b'.' {
        return None;
    }
    let whole = uint(&f[..n - 3])?;
    let (a, b) = (f[n - 2], f[n - 1]);
    if !a.is_ascii_digit() || !b.is_ascii_digit() {
        return None;
    }
    Some(whole * 100 + ((a - b'0') * 10 + (b - b'0')) as u64)
}

pub fn discount(f: &[u8]) -> Option<u32> {
    if f.len() != 4 || f[0] != b'0' || f[1] != b'.' || !f[2].is_ascii_digit()
        || !f[3].is_ascii_digit() {
        return None;
    }
    Some(((f[2] - b'0') * 10 + (f[3] - b'0')) as u32)
}

pub fn name_of(f: &[u8], names: &[&str]) -> Option<usize> {
    names.iter().position(|n| n.as_bytes() == f)
}

pub fn revenue(qty: u64, cents: u64, disc: u32) -> f64 {
    qty as f64 * (cents as f64 / 100.0) * (1.0 - disc as f64 / 100.0)
}

/// A CSV file read line by line through BufRead, every line checked.
pub struct Csv {
    schema: &'static Schema,
    reader: BufReader<File>,
    buf: Vec<u8>,
    pub line: u64,
}

impl Csv {
    pub fn open(dir: &Path, schema: &'static Schema) -> Result<Csv, Bad> {
        let f = File::open(dir.join(schema.file)).map_err(|e| {
            Bad(format!("{}: cannot open: {}", schema.file, e))
        })?;
        let mut c = Csv { schema, reader: BufReader::with_capacity(1 << 20, f), buf: Vec::new(),
                          line: 1 };
        let n = c.reader.read_until(b'\n', &mut c.buf).map_err(|e| c.io(e))?;
        if n == 0 {
            return Err(Bad(format!("{}:1: empty file (no header)", schema.file)));
        }
        let h = c.buf.strip_suffix(b"\n").unwrap_or(&c.buf);
        if h != schema.header.as_bytes() {
            return Err(Bad(format!("{}:1: header is '{}', expected '{}'", schema.file,
                                   String::from_utf8_lossy(&h[..h.len().min(100)]),
                                   schema.header)));
        }
        Ok(c)
    }

    fn io(&self, e: std::io::Error) -> Bad {
        Bad(format!("{}: read failed: {}", self.schema.file, e))
    }

    pub fn bad(&self, field: usize, value: &[u8]) -> Bad {
        Bad(format!("{}:{}: bad {} '{}'", self.schema.file, self.line, self.schema.fields[field],
                    String::from_utf8_lossy(&value[..value.len().min(40)])))
    }

    pub fn fail(&self, msg: &str) -> Bad {
        Bad(format!("{}:{}: {}", self.schema.file, self.line, msg))
    }

    /// Calls f with the fields of every data line; Err on the first bad one.
    pub fn each<F>(&mut self, mut f: F) -> Result<u64, Bad>
    where
        F: FnMut(&Csv, &[&[u8]]) -> Result<(), Bad>,
    {
        let nf = self.schema.fields.len();
        let mut rows = 0u64;
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            buf.clear();
            let n = self.reader.read_until(b'\n', &mut buf).map_err(|e| self.io(e))?;
            if n == 0 {
                break;
            }
            self.line += 1;
            if buf[n - 1] != b'\n' {
                return Err(self.fail("last line does not end with a newline"));
            }
            let text = &buf[..n - 1];
            if text.contains(&b'\r') {
                return Err(self.fail("carriage return in line"));
            }
            let fs: Vec<&[u8]> = text.split(|&b| b == b',').collect();
            if fs.len() != nf {
                return Err(self.fail(&format!("expected {} fields, found {}", nf, fs.len())));
            }
            f(self, &fs)?;
            rows += 1;
        }
        if rows == 0 {
            return Err(Bad(format!("{}:2: no data rows", self.schema.file)));
        }
        self.buf = buf;
        Ok(rows)
    }
}

// ---- numeric ----

pub const R_EARTH: f64 = 6371.0088;

pub fn distance(lat: f64, lon: f64) -> f64 {
    let deg = std::f64::consts::PI / 180.0;
    let (lat0, lon0) = (40.7128 * deg, -74.0060 * deg);
    let (p, l) = (lat * deg, lon * deg);
    let s1 = ((p - lat0) / 2.0).sin();
    let s2 = ((l - lon0) / 2.0).sin();
    let a = s1 * s1 + lat0.cos() * p.cos() * s2 * s2;
    2.0 * R_EARTH * a.sqrt().min(1.0).asin()
}

/// Points as two columns, read straight into one buffer of doubles (one
/// allocation, one read, no copy); errors as the spec words them. The
/// finiteness check is left to `check_finite`, after the computation.
pub fn read_points(dir: &Path) -> Result<(Vec<f64>, usize), Bad> {
    let mut f = File::open(dir.join("points.f64"))
        .map_err(|e| Bad(format!("points.f64: cannot open: {}", e)))?;
    let len = f.metadata().map_err(|e| Bad(format!("points.f64: cannot stat: {}", e)))?.len()
        as usize;
    if len == 0 || len % 16 != 0 {
        return Err(Bad(format!("points.f64: size {} is not a positive multiple of 16", len)));
    }
    let mut v = vec![0f64; len / 8];
    // Safety: the byte view covers exactly v's storage, and every bit
    // pattern is a valid f64.
    let bytes = unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut u8, len) };
    f.read_exact(bytes).map_err(|e| Bad(format!("points.f64: read failed: {}", e)))?;
    if cfg!(target_endian = "big") {
        for x in v.iter_mut() {
            *x = f64::from_bits(u64::from_le(x.to_bits()));
        }
    }
    Ok((v, len / 16))
}

/// The scan for the first non-finite point runs only when the computation
/// (`add_point`) saw one: the error names it.
pub fn check_finite(v: &[f64], n: usize, s: &NumStats) -> Result<(), Bad> {
    if !s.nonfinite {
        return Ok(());
    }
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Bad(format!("points.f64: point {} is not finite", i % n))),
        None => Ok(()),
    }
}

/// Count, clip counts, raw min/max and clipped mean/M2 (Welford; merged
/// with Chan et al.).
#[derive(Clone, Copy)]
pub struct NumStats {
    pub n: u64, pub low: u64, pub high: u64,
    pub min: f64, pub max: f64, pub mean: f64, pub m2: f64,
    pub nonfinite: bool,    /* some input point was not finite */
}

impl NumStats {
    pub fn new() -> Self {
        NumStats { n: 0, low: 0, high: 0, min: f64::INFINITY, max: f64::NEG_INFINITY,
                   mean: 0.0, m2: 0.0, nonfinite: false }
    }
    /// One point: its distance, and whether it was finite (checked here, in
    /// the same pass, rather than in a pass of its own).
    pub fn add_point(&mut self, lat: f64, lon: f64) {
        self.nonfinite |= !(lat.is_finite() && lon.is_finite());
        self.add(distance(lat, lon));
    }
    pub fn add(&mut self, d: f64) {
        self.min = self.min.min(d);
        self.max = self.max.max(d);
        let c = if d < 100.0 { self.low += 1; 100.0 }
                else if d > 15000.0 { self.high += 1; 15000.0 } else { d };
        self.n += 1;
        let delta = c - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (c - self.mean);
    }
    pub fn merge(mut self, o: NumStats) -> Self {
        if o.n == 0 { return self; }
        if self.n == 0 { return o; }
        let (n1, n2) = (self.n as f64, o.n as f64);
        let delta = o.mean - self.mean;
        self.mean += delta * n2 / (n1 + n2);
        self.m2 += o.m2 + delta * delta * n1 * n2 / (n1 + n2);
        self.n += o.n;
        self.low += o.low;
        self.high += o.high;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.nonfinite |= o.nonfinite;
        self
    }
    pub fn result(&self) -> Value {
        json!({"n": self.n, "clipped_low": self.low, "clipped_high": self.high,
               "mean": self.mean, "std": (self.m2 / self.n as f64).sqrt(),
               "min": self.min, "max": self.max})
    }
}

/// Sets the global Rayon pool to n threads, before any parallel work.
pub fn rayon_threads(n: usize) {
    let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
}
