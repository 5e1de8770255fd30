fn main() -> std::process::ExitCode {
    ch10_trustworthy::CHAPTER.main()
}
