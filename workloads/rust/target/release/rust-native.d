/work/main/workloads/rust/target/release/rust-native: /work/main/workloads/rust/src/bin/rust-native.rs /work/main/workloads/rust/src/lib.rs
