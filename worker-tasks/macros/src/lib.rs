//! `#[coreplay::main]` lets a task be written as `async fn main()`, like a normal program; the
//! macro emits the `service` export that the host calls once per slice, and the exports that
//! let other tasks on the core call this one synchronously.

use proc_macro::TokenStream;
use quote::quote;
use syn::{ItemFn, parse_macro_input};

/// Marks the task's `async fn main()` (no arguments, returns `()`).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let err = syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[coreplay::main] takes no arguments",
        );
        return err.to_compile_error().into();
    }
    let main = parse_macro_input!(item as ItemFn);
    if main.sig.asyncness.is_none() {
        return syn::Error::new_spanned(main.sig.fn_token, "#[coreplay::main] needs an `async fn`")
            .to_compile_error()
            .into();
    }
    if !main.sig.inputs.is_empty() {
        return syn::Error::new_spanned(&main.sig.inputs, "a task's main takes no arguments")
            .to_compile_error()
            .into();
    }
    let name = &main.sig.ident;
    quote! {
        #main

        /// Task ABI v1 entry point: poll the task once (see `coreplay::executor`).
        #[unsafe(no_mangle)]
        pub extern "C" fn service() -> i32 {
            ::coreplay::executor::service(#name)
        }

        /// Room for a synchronous call's request (see `coreplay::serve`).
        #[unsafe(no_mangle)]
        pub extern "C" fn coreplay_alloc(len: usize) -> *mut u8 {
            ::coreplay::calls::alloc(len)
        }

        /// A synchronous call from task `from` on the same core (see `coreplay::serve`).
        #[unsafe(no_mangle)]
        pub extern "C" fn coreplay_call(from: u32, _ptr: *const u8, len: usize) -> i64 {
            ::coreplay::calls::dispatch(from, len)
        }

        /// The task ABI version this module speaks; the host refuses other versions.
        #[unsafe(no_mangle)]
        pub extern "C" fn coreplay_abi_version() -> u32 {
            ::coreplay::ABI_VERSION
        }
    }
    .into()
}
