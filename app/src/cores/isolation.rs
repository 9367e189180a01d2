//! Facts about the browser that decide how the cores run.

use js_sys::Reflect;

/// True when the page is cross-origin isolated, i.e. `SharedArrayBuffer` and `Atomics` work
/// across workers (needs COOP/COEP headers, which `Trunk.toml` serves).
pub fn cross_origin_isolated() -> bool {
    Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .is_ok_and(|v| v.as_bool() == Some(true))
}

/// `navigator.hardwareConcurrency`, or 1 if the browser hides it.
pub fn hardware_concurrency() -> usize {
    web_sys::window()
        .map_or(1, |w| w.navigator().hardware_concurrency() as usize)
        .max(1)
}

/// Default core count: leave one hardware thread for the page and the scheduler, keep at least one.
pub fn default_cores(hardware: usize) -> usize {
    hardware.saturating_sub(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::default_cores;

    #[test]
    fn leaves_one_thread_for_the_page_but_keeps_one_core() {
        assert_eq!(default_cores(8), 7);
        assert_eq!(default_cores(2), 1);
        assert_eq!(default_cores(1), 1);
        assert_eq!(default_cores(0), 1);
    }
}
