fn main() -> std::process::ExitCode {
    ch05_residual::CHAPTER.main()
}
