//! Runs one honest slice, then asks the host to print 64 bytes from near the top of the 4 GiB
//! address space, far outside its memory: the host must fail this task, not read past it.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
unsafe extern "C" {
    // Declared by hand: the SDK's safe wrapper would never pass a bad pointer.
    fn print(ptr: *const u8, len: usize);
}

#[coreplay::main]
async fn main() {
    coreplay::println!("printing from address 0xffff_ff00");
    // One honest slice first: the failure must come from a task that was running fine.
    while !coreplay::should_yield() {
        std::hint::spin_loop();
    }
    coreplay::maybe_yield().await;
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host bounds-checks the range and traps this task; nothing is dereferenced here.
    unsafe {
        print(0xffff_ff00 as *const u8, 64);
    }
    coreplay::println!("the host printed memory it does not have");
}
