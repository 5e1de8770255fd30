fn main() -> std::process::ExitCode {
    ch02_softmax::CHAPTER.main()
}
