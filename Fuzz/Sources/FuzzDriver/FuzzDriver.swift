import Glibc

/// Runs libFuzzer on `test` with the process's arguments, and exits with its status. SwiftPM links an executable's
/// `main` to its own entry point, so libFuzzer's `main` is not used: each target's main.swift calls this instead.
public func runLibFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
