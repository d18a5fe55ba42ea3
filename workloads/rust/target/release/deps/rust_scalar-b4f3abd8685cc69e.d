/work/main/workloads/rust/target/release/deps/rust_scalar-b4f3abd8685cc69e.d: src/bin/rust-scalar.rs

/work/main/workloads/rust/target/release/deps/rust_scalar-b4f3abd8685cc69e: src/bin/rust-scalar.rs

src/bin/rust-scalar.rs:
