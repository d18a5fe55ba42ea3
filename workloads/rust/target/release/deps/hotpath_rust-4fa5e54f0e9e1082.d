/work/main/workloads/rust/target/release/deps/hotpath_rust-4fa5e54f0e9e1082.d: src/lib.rs

/work/main/workloads/rust/target/release/deps/libhotpath_rust-4fa5e54f0e9e1082.rlib: src/lib.rs

/work/main/workloads/rust/target/release/deps/libhotpath_rust-4fa5e54f0e9e1082.rmeta: src/lib.rs

src/lib.rs:
