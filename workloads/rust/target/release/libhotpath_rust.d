/work/main/workloads/rust/target/release/libhotpath_rust.rlib: /work/main/workloads/rust/src/lib.rs
