//! The parse floor of a fleet as a process, to compare with a scan (`farm-bench`, callgrind):
//! `cargo run --release --example parse_floor -- DIR`.

#[path = "../benches/parse_floor.rs"]
mod parse_floor;

/// The binary's allocator (src/main.rs), so the floor is measured as the scan is.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_floor DIR");
        std::process::exit(2);
    };
    println!("{}", parse_floor::parse_floor(std::path::Path::new(&dir)));
}
