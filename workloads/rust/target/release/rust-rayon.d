/work/main/workloads/rust/target/release/rust-rayon: /work/main/workloads/rust/src/bin/rust-rayon.rs /work/main/workloads/rust/src/lib.rs
