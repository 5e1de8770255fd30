fn main() -> std::process::ExitCode {
    ch04_initialization::CHAPTER.main()
}
