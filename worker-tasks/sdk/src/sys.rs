//! The raw imports of task ABI v1 (module `env`) and safe wrappers around them.

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        pub fn print(ptr: *const u8, len: usize);
        pub fn should_yield() -> i32;
        pub fn task_exit(status: i32, ptr: *const u8, len: usize);
        pub fn next_message(ptr: *mut u8, cap: usize) -> i32;
        pub fn send_message(ptr: *const u8, len: usize);
        pub fn call_task(
            target: *const u32,
            call: *const u8,
            call_len: usize,
            result: *mut u8,
            result_cap: usize,
        ) -> i32;
    }
}

#[cfg(target_arch = "wasm32")]
pub fn print(bytes: &[u8]) {
    // SAFETY: the host reads exactly `len` bytes at `ptr`, which this slice owns.
    unsafe { imports::print(bytes.as_ptr(), bytes.len()) }
}

#[cfg(target_arch = "wasm32")]
pub fn should_yield() -> bool {
    // SAFETY: no arguments; the host only reads its yield flag.
    unsafe { imports::should_yield() != 0 }
}

#[cfg(target_arch = "wasm32")]
pub fn task_exit(status: i32, reason: &str) {
    // SAFETY: as for `print`.
    unsafe { imports::task_exit(status, reason.as_ptr(), reason.len()) }
}

#[cfg(target_arch = "wasm32")]
pub fn next_message(buf: &mut [u8]) -> i32 {
    // SAFETY: the host writes at most `cap` bytes into this exclusively borrowed buffer.
    unsafe { imports::next_message(buf.as_mut_ptr(), buf.len()) }
}

#[cfg(target_arch = "wasm32")]
pub fn send_message(bytes: &[u8]) {
    // SAFETY: as for `print`.
    unsafe { imports::send_message(bytes.as_ptr(), bytes.len()) }
}

#[cfg(target_arch = "wasm32")]
pub fn call_task(target: u32, call: &[u8], result: &mut [u8]) -> i32 {
    // SAFETY: the host reads the id and the request and writes at most `result.len()` bytes
    // into the exclusively borrowed result buffer.
    unsafe {
        imports::call_task(
            &target,
            call.as_ptr(),
            call.len(),
            result.as_mut_ptr(),
            result.len(),
        )
    }
}

// Tasks only run on wasm32; natively (`cargo doc`, rust-analyzer) the SDK still type-checks,
// against a host that has no messages and never asks for a yield.
#[cfg(not(target_arch = "wasm32"))]
pub fn print(bytes: &[u8]) {
    eprintln!("{}", String::from_utf8_lossy(bytes));
}

#[cfg(not(target_arch = "wasm32"))]
pub fn should_yield() -> bool {
    false
}

#[cfg(not(target_arch = "wasm32"))]
pub fn task_exit(status: i32, reason: &str) {
    eprintln!("task exit {status}: {reason}");
}

#[cfg(not(target_arch = "wasm32"))]
pub fn next_message(_buf: &mut [u8]) -> i32 {
    0
}

#[cfg(not(target_arch = "wasm32"))]
pub fn send_message(_bytes: &[u8]) {}

#[cfg(not(target_arch = "wasm32"))]
pub fn call_task(_target: u32, _call: &[u8], _result: &mut [u8]) -> i32 {
    coreplay_abi::CallError::NoTask.code()
}
