fn main() -> std::process::ExitCode {
    ch01_composition::CHAPTER.main()
}
