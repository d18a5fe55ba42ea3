//! rust-polars: groupby and join with the Rust Polars lazy API, mirroring the
//! Python Polars query (scan_csv, projection, derived revenue, group_by/agg,
//! join, collect). The pool is sized from --threads through
//! POLARS_MAX_THREADS before Polars starts.
use polars::prelude::*;
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

const T0: u64 = 1_700_000_000;
const CHANNELS: [&str; 4] = ["web", "app", "store", "partner"];
const SEGMENTS: [&str; 5] = ["consumer", "smb", "enterprise", "education", "government"];
const REGIONS: [&str; 8] = ["na-east", "na-west", "eu-north", "eu-south", "apac", "latam", "mea",
                            "anz"];
const FACTS_HEADER: &str = "order_id,user_id,product_id,ts,quantity,unit_price,discount,channel";
const USERS_HEADER: &str = "user_id,segment,region,signup_ts";

fn fail(code: i32, msg: &str) -> ! {
    eprintln!("rust-polars: {}", msg);
    std::process::exit(code);
}

/// What the CSV reader does not check: the exact header, no carriage
/// return, a newline at the end, at least one data row.
fn check_text(dir: &Path, name: &str, header: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    let mut f = std::fs::File::open(&path).map_err(|e| format!("{}: cannot open: {}", name, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut first, mut total, mut last) = (Vec::new(), 0usize, 0u8);
    loop {
        let n = f.read(&mut buf).map_err(|e| format!("{}: read failed: {}", name, e))?;
        if n == 0 {
            break;
        }
        if total == 0 {
            first.extend_from_slice(&buf[..n.min(4096)]);
        }
        if buf[..n].contains(&b'\r') {
            return Err(format!("{}: carriage return in the file", name));
        }
        total += n;
        last = buf[n - 1];
    }
    if total == 0 {
        return Err(format!("{}:1: empty file (no header)", name));
    }
    let nl = first.iter().position(|&b| b == b'\n').unwrap_or(first.len());
    if &first[..nl] != header.as_bytes() {
        return Err(format!("{}:1: header is '{}', expected '{}'", name,
                           String::from_utf8_lossy(&first[..nl.min(100)]), header));
    }
    if last != b'\n' {
        return Err(format!("{}: last line does not end with a newline", name));
    }
    if nl + 1 == total {
        return Err(format!("{}:2: no data rows", name));
    }
    Ok(path)
}

fn scan(path: &Path, fields: &[(&str, DataType)]) -> PolarsResult<LazyFrame> {
    let schema = Schema::from_iter(fields.iter().map(|(n, t)| Field::new((*n).into(), t.clone())));
    LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_quote_char(None)
        .finish()
}

fn scan_facts(dir: &Path) -> Result<LazyFrame, String> {
    let path = check_text(dir, "facts.csv", FACTS_HEADER)?;
    let lf = scan(&path, &[("order_id", DataType::UInt64), ("user_id", DataType::UInt64),
                           ("product_id", DataType::UInt64), ("ts", DataType::UInt64),
                           ("quantity", DataType::UInt64), ("unit_price", DataType::Float64),
                           ("discount", DataType::Float64), ("channel", DataType::String)])
        .map_err(|e| e.to_string())?;
    Ok(lf.with_column((col("quantity").cast(DataType::Float64) * col("unit_price")
                       * (lit(1.0) - col("discount"))).alias("revenue")))
}

fn enum_of(names: &[&str]) -> DataType {
    DataType::from_frozen_categories(FrozenCategories::new(names.iter().copied()).unwrap())
}

fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::UInt64)?;
    let ca = s.u64()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0)).collect())
}

fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::Float64)?;
    let ca = s.f64()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(f64::NAN)).collect())
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::String)?;
    let ca = s.str()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or("").to_string()).collect())
}

fn groupby(dir: &Path) -> Result<Value, String> {
    let lf = scan_facts(dir)?;
    let agg = lf.group_by([col("product_id")])
        .agg([len().alias("count"), col("quantity").sum().alias("qty"),
              col("revenue").sum().alias("revenue"), col("unit_price").max().alias("max_price"),
              (col("unit_price").null_count() + col("channel").null_count()
               + col("quantity").null_count()).alias("nulls")])
        .sort(["revenue", "product_id"],
              SortMultipleOptions::default().with_order_descending_multi([true, false]))
        .collect().map_err(|e| e.to_string())?;
    if agg.height() == 0 {
        return Err("facts.csv:2: no data rows".into());
    }
    let nulls = u64s(&agg, "nulls").map_err(|e| e.to_string())?;
    if nulls.iter().any(|&n| n > 0) {
        return Err("facts.csv: a row lacks a field".into());
    }
    let (ids, counts, qty) = (u64s(&agg, "product_id"), u64s(&agg, "count"), u64s(&agg, "qty"));
    let (rev, maxp) = (f64s(&agg, "revenue"), f64s(&agg, "max_price"));
    let (ids, counts, qty, rev, maxp) = (ids.map_err(|e| e.to_string())?,
        counts.map_err(|e| e.to_string())?, qty.map_err(|e| e.to_string())?,
        rev.map_err(|e| e.to_string())?, maxp.map_err(|e| e.to_string())?);
    let top: Vec<Value> = (0..ids.len().min(10))
        .map(|i| json!([ids[i], counts[i], qty[i], rev[i], maxp[i]])).collect();
    Ok(json!({"rows": counts.iter().sum::<u64>(), "groups": ids.len(),
              "total_revenue": rev.iter().sum::<f64>(), "top": top}))
}

fn join(dir: &Path) -> Result<Value, String> {
    let upath = check_text(dir, "users.csv", USERS_HEADER)?;
    let users = scan(&upath, &[("user_id", DataType::UInt64), ("segment", DataType::String),
                               ("region", DataType::String), ("signup_ts", DataType::String)])
        .map_err(|e| e.to_string())?
        .select([col("user_id"), col("segment").strict_cast(enum_of(&SEGMENTS)),
                 col("region").strict_cast(enum_of(&REGIONS))]);
    let facts = scan_facts(dir)?
        .with_column(col("channel").strict_cast(enum_of(&CHANNELS)));
    let checks = users.clone().select([len().alias("n"), col("user_id").n_unique().alias("distinct"),
                                       (col("user_id").null_count() + col("segment").null_count()
                                        + col("region").null_count()).alias("nulls")]);
    // Every fact is checked, kept or not: a missing field or an unknown
    // channel is bad input even on a row the filter would drop.
    let fchecks = facts.clone().select([
        len().alias("n"),
        (col("user_id").null_count() + col("ts").null_count() + col("quantity").null_count()
         + col("unit_price").null_count() + col("discount").null_count()
         + col("channel").null_count()).alias("nulls")]);
    let out = facts.filter(col("ts").gt_eq(lit(T0 + 2_592_000))
                           .and(col("channel").neq(lit("partner").strict_cast(enum_of(&CHANNELS)))))
        .join(users, [col("user_id")], [col("user_id")], JoinArgs::new(JoinType::Inner))
        .group_by([col("segment"), col("region")])
        .agg([len().alias("orders"), col("quantity").sum().alias("qty"),
              col("revenue").sum().alias("revenue")])
        .with_columns([col("segment").cast(DataType::String), col("region").cast(DataType::String)])
        .sort(["segment", "region"], SortMultipleOptions::default());
    let checks = checks.collect().map_err(|e| e.to_string())?;
    let c = (u64s(&checks, "n"), u64s(&checks, "distinct"), u64s(&checks, "nulls"));
    let (n, distinct, nulls) = (c.0.map_err(|e| e.to_string())?[0],
                                c.1.map_err(|e| e.to_string())?[0],
                                c.2.map_err(|e| e.to_string())?[0]);
    if n == 0 {
        return Err("users.csv:2: no data rows".into());
    }
    if n != distinct {
        return Err("users.csv: duplicate user_id".into());
    }
    if nulls > 0 {
        return Err("users.csv: a row lacks a field or has an unknown name".into());
    }
    let fchecks = fchecks.collect().map_err(|e| e.to_string())?;
    let (fn_, fnulls) = (u64s(&fchecks, "n").map_err(|e| e.to_string())?[0],
                         u64s(&fchecks, "nulls").map_err(|e| e.to_string())?[0]);
    if fn_ == 0 {
        return Err("facts.csv:2: no data rows".into());
    }
    if fnulls > 0 {
        return Err("facts.csv: a row lacks a field or has an unknown channel".into());
    }
    let out = out.collect().map_err(|e| e.to_string())?;
    let (seg, reg) = (strs(&out, "segment").map_err(|e| e.to_string())?,
                      strs(&out, "region").map_err(|e| e.to_string())?);
    let (orders, qty) = (u64s(&out, "orders").map_err(|e| e.to_string())?,
                         u64s(&out, "qty").map_err(|e| e.to_string())?);
    let rev = f64s(&out, "revenue").map_err(|e| e.to_string())?;
    let segments: Vec<Value> = (0..seg.len())
        .map(|i| json!([seg[i], reg[i], orders[i], qty[i], rev[i]])).collect();
    Ok(json!({"rows": orders.iter().sum::<u64>(), "segments": segments}))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut task, mut data, mut threads) = (None, None, None);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-h" || a == "--help" {
            println!("usage: rust-polars --task groupby|join --data DIR [--threads N]");
            return;
        }
        let slot = match a {
            "--task" => &mut task,
            "--data" => &mut data,
            "--threads" => &mut threads,
            _ => fail(2, &format!("unknown argument '{}' (see --help)", a)),
        };
        if slot.is_some() {
            fail(2, &format!("{} given twice", a));
        }
        if i + 1 >= args.len() {
            fail(2, &format!("{} needs a value", a));
        }
        *slot = Some(args[i + 1].clone());
        i += 2;
    }
    let (task, data) = match (task, data) {
        (Some(t), Some(d)) => (t, d),
        _ => fail(2, "--task and --data are required (see --help)"),
    };
    let raw = threads.unwrap_or_else(|| "1".into());
    let threads: usize = match raw.parse::<usize>() {
        Ok(n) if (1..=4096).contains(&n) && raw.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => fail(2, &format!("--threads: want an integer from 1 to 4096, got '{}'", raw)),
    };
    let f: fn(&Path) -> Result<Value, String> = match task.as_str() {
        "groupby" => groupby,
        "join" => join,
        _ => fail(2, &format!("task '{}' is not implemented by rust-polars (tasks: groupby join)",
                              task)),
    };
    // Before Polars builds its pool.
    std::env::set_var("POLARS_MAX_THREADS", threads.to_string());
    let dir = PathBuf::from(&data);
    if !dir.is_dir() {
        fail(1, &format!("{}: no such data directory", data));
    }
    let t0 = Instant::now();
    let result = match f(&dir) {
        Ok(v) => v,
        Err(msg) => fail(1, &format!("bad input: {}", msg.split_whitespace().collect::<Vec<_>>()
                                                        .join(" "))),
    };
    let total = t0.elapsed().as_secs_f64();
    let mut doc = json!({"task": task, "engine": "rust-polars", "threads": threads});
    doc["result"] = result;
    doc["timings"] = json!({"load_s": null, "compute_s": null, "total_s": total});
    println!("{}", doc);
}
