//! Imports a host function that task ABI v1 does not have; the host must refuse the module.

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn launch_missiles(count: i32) -> i32;
}

#[coreplay::main]
async fn main() {
    // SAFETY: never runs; the host refuses this module before instantiating it.
    let launched = unsafe { launch_missiles(1) };
    coreplay::println!("launched {launched}");
}
