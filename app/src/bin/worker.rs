//! Entry point of a browser core's Web Worker (built by Trunk as `worker.js`).

fn main() {
    interplay_app::cores::worker::run();
}
