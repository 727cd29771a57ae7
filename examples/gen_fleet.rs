//! Writes a synthetic fleet to try esaudit at scale: `cargo run --release --example gen_fleet -- DIR N`.

#[path = "../benches/gen_fleet.rs"]
mod gen_fleet;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen_fleet DIR N");
        std::process::exit(2);
    };
    gen_fleet::write_fleet(std::path::Path::new(dir), n).expect("write fleet");
}
