/work/main/workloads/rust/target/release/deps/rust_native-3c1e2fafcfb28210.d: src/bin/rust-native.rs

/work/main/workloads/rust/target/release/deps/rust_native-3c1e2fafcfb28210: src/bin/rust-native.rs

src/bin/rust-native.rs:
