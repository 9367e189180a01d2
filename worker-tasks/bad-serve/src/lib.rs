//! Looks like the calc task to its callers, but its call handler never returns: the runtime
//! must blame it, not the caller whose slice the handler runs in.

#[coreplay::main]
async fn main() {
    coreplay::serve(|from, _request| {
        coreplay::println!("task {from} called; spinning forever");
        loop {
            std::hint::spin_loop();
        }
    });
    loop {
        coreplay::recv().await;
    }
}
