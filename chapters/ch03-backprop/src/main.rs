fn main() -> std::process::ExitCode {
    ch03_backprop::CHAPTER.main()
}
