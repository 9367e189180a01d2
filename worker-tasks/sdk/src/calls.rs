//! Synchronous calls between tasks on the same core (`call_task`): the caller blocks while the
//! callee's handler runs to completion, like a function call into another program.
//!
//! ```ignore
//! // callee
//! coreplay::serve(|from, request| { /* … */ response_bytes });
//! // caller
//! let sum: u64 = coreplay::call(calc, &(2u64, 3u64))?;
//! ```

use std::cell::RefCell;

use coreplay_abi::{CallError, MAX_MESSAGE_BYTES, TaskId};
use parity_scale_codec::{Decode, DecodeAll, Encode};

type Handler = Box<dyn FnMut(TaskId, &[u8]) -> Vec<u8>>;

thread_local! {
    static HANDLER: RefCell<Option<Handler>> = const { RefCell::new(None) };
    /// Where the host puts the request and finds the response; kept until the next call.
    static REQUEST: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static RESPONSE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Why [`call`] returned no response.
#[derive(Debug)]
pub enum Error {
    /// The host refused or the callee failed.
    Call(CallError),
    /// The response did not decode as the expected type.
    Decode(parity_scale_codec::Error),
}

impl From<CallError> for Error {
    fn from(e: CallError) -> Self {
        Self::Call(e)
    }
}

/// Calls task `task` on this core with `request` and decodes its response.
pub fn call<Req: Encode, Resp: Decode>(task: TaskId, request: &Req) -> Result<Resp, Error> {
    let response = call_raw(task, &request.encode())?;
    Resp::decode_all(&mut &response[..]).map_err(Error::Decode)
}

/// Calls task `task` with an already encoded request; returns the raw response.
pub fn call_raw(task: TaskId, request: &[u8]) -> Result<Vec<u8>, CallError> {
    let mut response = vec![0u8; MAX_MESSAGE_BYTES as usize];
    let n = crate::sys::call_task(task, request, &mut response);
    if n < 0 {
        return Err(CallError::from_code(n).unwrap_or(CallError::Failed));
    }
    response.truncate(n as usize);
    Ok(response)
}

/// Serves calls from tasks on the same core: `handler(from, request)` returns the response.
/// It runs between this task's slices, so it must not wait; share state with `main` through
/// `Rc<RefCell<…>>` and never hold a borrow across an `.await`.
pub fn serve(handler: impl FnMut(TaskId, &[u8]) -> Vec<u8> + 'static) {
    HANDLER.with(|h| *h.borrow_mut() = Some(Box::new(handler)));
}

/// Room for a request of `len` bytes (the `coreplay_alloc` export).
pub fn alloc(len: usize) -> *mut u8 {
    REQUEST.with(|r| {
        let mut r = r.borrow_mut();
        r.clear();
        r.resize(len, 0);
        r.as_mut_ptr()
    })
}

/// Runs the handler on the request written at [`alloc`]'s buffer (the `coreplay_call` export).
pub fn dispatch(from: TaskId, len: usize) -> i64 {
    let request = REQUEST.with(|r| {
        let mut r = r.borrow_mut();
        r.truncate(len);
        std::mem::take(&mut *r)
    });
    let Some(response) = HANDLER.with(|h| h.borrow_mut().as_mut().map(|f| f(from, &request)))
    else {
        return -1;
    };
    RESPONSE.with(|r| {
        let mut r = r.borrow_mut();
        *r = response;
        ((r.as_ptr() as i64) << 32) | r.len() as i64
    })
}
