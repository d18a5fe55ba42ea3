//! rust-rayon: the numeric task as a Rayon parallel iterator, the pool sized
//! from --threads.
use hotpath_rust::*;
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

fn numeric(dir: &Path, threads: usize) -> Result<Output, Bad> {
    rayon_threads(threads);
    let t0 = Instant::now();
    let (v, n) = read_points(dir)?;
    let load = t0.elapsed().as_secs_f64();
    let (lat, lon) = v.split_at(n);
    let s = lat.par_chunks(16384).zip(lon.par_chunks(16384))
        .map(|(a, b)| {
            let mut s = NumStats::new();
            for (x, y) in a.iter().zip(b) {
                s.add_point(*x, *y);
            }
            s
        })
        .reduce(NumStats::new, |a, b| a.merge(b));
    check_finite(&v, n, &s)?;
    Ok(Output { result: s.result(), load_s: Some(load),
                compute_s: Some(t0.elapsed().as_secs_f64() - load),
                threads_used: rayon::current_num_threads() })
}

fn main() {
    hotpath_rust::main("rust-rayon", &[("numeric", numeric)]);
}
