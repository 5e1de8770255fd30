fn main() -> std::process::ExitCode {
    ch06_generalization::CHAPTER.main()
}
