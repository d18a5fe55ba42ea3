/work/main/workloads/rust/target/release/deps/rust_rayon-12b02c2e3c2b680a.d: src/bin/rust-rayon.rs

/work/main/workloads/rust/target/release/deps/rust_rayon-12b02c2e3c2b680a: src/bin/rust-rayon.rs

src/bin/rust-rayon.rs:
