// Parsing allocates a node per key and value; mimalloc serves that faster than the system
// allocator and reuses the first tree's memory for the second.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    samfix::cli::run()
}
