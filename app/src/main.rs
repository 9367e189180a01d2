//! Mounts the playground; everything else lives in the library.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(interplay_app::App);
    // For the first-paint benchmark (bench-site): when the first view is built.
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("interplay-mounted");
    }
}
