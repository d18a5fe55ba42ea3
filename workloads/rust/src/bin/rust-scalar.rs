//! rust-scalar: the numeric task as a plain loop.
use hotpath_rust::*;
use std::path::Path;
use std::time::Instant;

fn numeric(dir: &Path, _threads: usize) -> Result<Output, Bad> {
    let t0 = Instant::now();
    let (v, n) = read_points(dir)?;
    let load = t0.elapsed().as_secs_f64();
    let mut s = NumStats::new();
    for i in 0..n {
        s.add_point(v[i], v[n + i]);
    }
    check_finite(&v, n, &s)?;
    Ok(Output { result: s.result(), load_s: Some(load),
                compute_s: Some(t0.elapsed().as_secs_f64() - load), threads_used: 1 })
}

fn main() {
    hotpath_rust::main("rust-scalar", &[("numeric", numeric)]);
}
