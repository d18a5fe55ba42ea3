//! rust-polars: groupby and join with the Rust Polars lazy API, written as
//! its users write it and as the Python Polars engine reads: scan_csv with
//! a schema, the derived revenue, group_by/agg (and join), one collect.
//! Built with Polars' release profile, its `performant` features and
//! jemalloc (the allocator Polars recommends and its Python wheels use).
//! The pool is sized from --threads through POLARS_MAX_THREADS before
//! Polars starts. It checks what Polars checks (a field that does not parse
//! as its column's type, a missing file), nothing more.
use polars::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const T0: u64 = 1_700_000_000;

fn fail(code: i32, msg: &str) -> ! {
    eprintln!("rust-polars: {}", msg);
    std::process::exit(code);
}

fn scan(dir: &Path, name: &str, fields: &[(&str, DataType)]) -> PolarsResult<LazyFrame> {
    let path = dir.join(name);
    let schema = Schema::from_iter(fields.iter().map(|(n, t)| Field::new((*n).into(), t.clone())));
    LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_quote_char(None)
        .finish()
}

fn scan_facts(dir: &Path) -> PolarsResult<LazyFrame> {
    let lf = scan(dir, "facts.csv",
                  &[("order_id", DataType::UInt64), ("user_id", DataType::UInt64),
                    ("product_id", DataType::UInt64), ("ts", DataType::UInt64),
                    ("quantity", DataType::UInt64), ("unit_price", DataType::Float64),
                    ("discount", DataType::Float64), ("channel", DataType::String)])?;
    Ok(lf.with_column((col("quantity").cast(DataType::Float64) * col("unit_price")
                       * (lit(1.0) - col("discount"))).alias("revenue")))
}

fn column<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<&'a Series> {
    Ok(df.column(name)?.as_materialized_series())
}

fn groupby(dir: &Path) -> PolarsResult<Value> {
    let agg = scan_facts(dir)?
        .group_by([col("product_id")])
        .agg([len().alias("count"), col("quantity").sum().alias("qty"),
              col("revenue").sum().alias("revenue"), col("unit_price").max().alias("max_price")])
        .sort(["revenue", "product_id"],
              SortMultipleOptions::default().with_order_descending_multi([true, false]))
        .collect()?;
    let ids = column(&agg, "product_id")?.u64()?;
    let counts = column(&agg, "count")?.cast(&DataType::UInt64)?;
    let counts = counts.u64()?;
    let qty = column(&agg, "qty")?.u64()?;
    let rev = column(&agg, "revenue")?.f64()?;
    let maxp = column(&agg, "max_price")?.f64()?;
    let top: Vec<Value> = (0..agg.height().min(10))
        .map(|i| json!([ids.get(i), counts.get(i), qty.get(i), rev.get(i), maxp.get(i)]))
        .collect();
    Ok(json!({"rows": counts.sum().unwrap_or(0), "groups": agg.height(),
              "total_revenue": rev.sum().unwrap_or(0.0), "top": top}))
}

fn join(dir: &Path) -> PolarsResult<Value> {
    let users = scan(dir, "users.csv",
                     &[("user_id", DataType::UInt64), ("segment", DataType::String),
                       ("region", DataType::String), ("signup_ts", DataType::String)])?
        .select([col("user_id"), col("segment"), col("region")]);
    let out = scan_facts(dir)?
        .filter(col("ts").gt_eq(lit(T0 + 2_592_000)).and(col("channel").neq(lit("partner"))))
        .join(users, [col("user_id")], [col("user_id")], JoinArgs::new(JoinType::Inner))
        .group_by([col("segment"), col("region")])
        .agg([len().alias("orders"), col("quantity").sum().alias("qty"),
              col("revenue").sum().alias("revenue")])
        .sort(["segment", "region"], SortMultipleOptions::default())
        .collect()?;
    let seg = column(&out, "segment")?.str()?;
    let reg = column(&out, "region")?.str()?;
    let orders = column(&out, "orders")?.cast(&DataType::UInt64)?;
    let orders = orders.u64()?;
    let qty = column(&out, "qty")?.u64()?;
    let rev = column(&out, "revenue")?.f64()?;
    let segments: Vec<Value> = (0..out.height())
        .map(|i| json!([seg.get(i), reg.get(i), orders.get(i), qty.get(i), rev.get(i)]))
        .collect();
    Ok(json!({"rows": orders.sum().unwrap_or(0), "segments": segments}))
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
    let f: fn(&Path) -> PolarsResult<Value> = match task.as_str() {
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
        Err(e) => fail(1, &format!("bad input: {}", e.to_string().split_whitespace()
                                                      .collect::<Vec<_>>().join(" "))),
    };
    let total = t0.elapsed().as_secs_f64();
    let mut doc = json!({"task": task, "engine": "rust-polars", "threads": threads});
    doc["result"] = result;
    doc["timings"] = json!({"load_s": null, "compute_s": null, "total_s": total});
    println!("{}", doc);
}
