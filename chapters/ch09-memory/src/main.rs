fn main() -> std::process::ExitCode {
    ch09_memory::CHAPTER.main()
}
