fn main() -> std::process::ExitCode {
    ch08_physics::CHAPTER.main()
}
