fn main() -> std::process::ExitCode {
    ch07_implicit_bias::CHAPTER.main()
}
