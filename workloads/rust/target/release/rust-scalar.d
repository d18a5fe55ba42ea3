/work/main/workloads/rust/target/release/rust-scalar: /work/main/workloads/rust/src/bin/rust-scalar.rs /work/main/workloads/rust/src/lib.rs
