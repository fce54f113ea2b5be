fn main() -> std::process::ExitCode {
    samfix::cli::run()
}
