//! An `alloy` transport over an EIP-1193 provider (an injected browser wallet): each JSON-RPC
//! request becomes one `provider.request({ method, params })`. Nothing maintained on crates.io
//! does this for alloy 2, so it is kept small: the JS call is a thin shell around two pure
//! conversions, [`error_payload`] and [`response`], which native tests cover.
//!
//! Wallet errors (4001 rejected, 4902 unknown chain, -32002 already pending…) come back as
//! JSON-RPC error responses with their code, so callers classify them as for any node.

use std::{
    borrow::Cow,
    task::{Context, Poll},
};

use alloy::{
    rpc::json_rpc::{ErrorPayload, Id, RequestPacket, Response, ResponsePacket, ResponsePayload},
    transports::{TransportError, TransportErrorKind, TransportFut},
};
use serde_json::value::RawValue;

/// The fields of a thrown EIP-1193 `ProviderRpcError`, as read off the JS object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderError {
    /// EIP-1193 / JSON-RPC code; `None` when the wallet threw something without one.
    pub code: Option<i64>,
    pub message: String,
    /// `data` as JSON text (revert data lives here), if any.
    pub data: Option<String>,
}

/// A thrown provider error as the JSON-RPC error alloy decodes. A wallet that throws a plain
/// `Error` (no code) is reported as an internal error with its message.
pub fn error_payload(err: ProviderError) -> ErrorPayload {
    let data = err.data.and_then(|json| RawValue::from_string(json).ok());
    ErrorPayload {
        code: err.code.unwrap_or(-32603),
        message: Cow::Owned(if err.message.is_empty() {
            "the wallet failed without a message".into()
        } else {
            err.message
        }),
        data,
    }
}

/// The response for request `id`: the wallet's result as JSON text, or its error.
pub fn response(
    id: Id,
    outcome: Result<String, ProviderError>,
) -> Result<Response, TransportError> {
    let payload = match outcome {
        // `undefined` (e.g. from wallet_switchEthereumChain) stringifies to nothing: null.
        Ok(json) if json.is_empty() => ResponsePayload::Success(RawValue::NULL.to_owned()),
        Ok(json) => ResponsePayload::Success(
            RawValue::from_string(json).map_err(TransportErrorKind::custom)?,
        ),
        Err(err) => ResponsePayload::Failure(error_payload(err)),
    };
    Ok(Response { id, payload })
}

/// The transport. Cloning shares the same provider object.
#[derive(Debug, Clone)]
pub struct Eip1193Transport {
    provider: send_wrapper::SendWrapper<wasm_bindgen::JsValue>,
}

impl Eip1193Transport {
    /// `provider` must have a `request` method (EIP-1193).
    pub fn new(provider: wasm_bindgen::JsValue) -> Self {
        Self {
            provider: send_wrapper::SendWrapper::new(provider),
        }
    }
}

impl tower::Service<RequestPacket> for Eip1193Transport {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, packet: RequestPacket) -> Self::Future {
        let provider = self.provider.clone();
        Box::pin(send_wrapper::SendWrapper::new(async move {
            match packet {
                RequestPacket::Single(req) => {
                    let id = req.id().clone();
                    let outcome = js::request(&provider, req.method(), req.params()).await;
                    Ok(ResponsePacket::Single(response(id, outcome)?))
                }
                // Wallets have no batches: one request after another, in order.
                RequestPacket::Batch(reqs) => {
                    let mut out = Vec::with_capacity(reqs.len());
                    for req in reqs {
                        let id = req.id().clone();
                        let outcome = js::request(&provider, req.method(), req.params()).await;
                        out.push(response(id, outcome)?);
                    }
                    Ok(ResponsePacket::Batch(out))
                }
            }
        }))
    }
}

/// The JS side: one `request` call, its result as JSON text or its error's fields.
pub(crate) mod js {
    use serde_json::value::RawValue;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::ProviderError;

    pub async fn request(
        provider: &JsValue,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<String, ProviderError> {
        let promise = call_request(provider, method, params).map_err(|e| read_error(&e))?;
        let value = JsFuture::from(promise).await.map_err(|e| read_error(&e))?;
        if value.is_undefined() {
            return Ok(String::new());
        }
        js_sys::JSON::stringify(&value)
            .map_err(|e| read_error(&e))
            .map(|s| s.as_string().unwrap_or_default())
    }

    fn call_request(
        provider: &JsValue,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<js_sys::Promise, JsValue> {
        let args = js_sys::Object::new();
        js_sys::Reflect::set(&args, &"method".into(), &method.into())?;
        if let Some(params) = params {
            js_sys::Reflect::set(&args, &"params".into(), &js_sys::JSON::parse(params.get())?)?;
        }
        let request: js_sys::Function = js_sys::Reflect::get(provider, &"request".into())?
            .dyn_into()
            .map_err(|_| JsValue::from_str("the wallet has no request method"))?;
        // `resolve` also accepts a wallet that returns a plain value instead of a promise.
        Ok(js_sys::Promise::resolve(&request.call1(provider, &args)?))
    }

    /// Reads `code`, `message` and `data` off whatever the wallet threw.
    pub fn read_error(err: &JsValue) -> ProviderError {
        let get = |key: &str| js_sys::Reflect::get(err, &key.into()).ok();
        let code = get("code").and_then(|c| c.as_f64()).map(|c| c as i64);
        let message = get("message")
            .and_then(|m| m.as_string())
            .or_else(|| err.as_string())
            .unwrap_or_default();
        let data = get("data")
            .filter(|d| !d.is_undefined() && !d.is_null())
            .and_then(|d| js_sys::JSON::stringify(&d).ok())
            .and_then(|s| s.as_string());
        ProviderError {
            code,
            message,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::rpc::json_rpc::RpcError;

    use super::*;

    #[test]
    fn a_result_keeps_its_id_and_json() {
        let r = response(Id::Number(7), Ok("\"0x385\"".into())).expect("valid json");
        assert_eq!(r.id, Id::Number(7));
        let ResponsePayload::Success(raw) = r.payload else {
            panic!("success expected")
        };
        assert_eq!(raw.get(), "\"0x385\"");
    }

    #[test]
    fn undefined_becomes_null() {
        let r = response(Id::Number(1), Ok(String::new())).expect("null");
        let ResponsePayload::Success(raw) = r.payload else {
            panic!("success expected")
        };
        assert_eq!(raw.get(), "null");
    }

    #[test]
    fn a_rejection_keeps_code_4001_for_the_caller() {
        let err = ProviderError {
            code: Some(4001),
            message: "User rejected the request.".into(),
            data: None,
        };
        let r = response(Id::Number(2), Err(err)).expect("error response");
        let ResponsePayload::Failure(payload) = r.payload else {
            panic!("failure expected")
        };
        assert_eq!(payload.code, 4001);
        let as_rpc: RpcError<TransportErrorKind> = RpcError::ErrorResp(payload);
        assert!(as_rpc.as_error_resp().is_some_and(|p| p.code == 4001));
    }

    #[test]
    fn revert_data_survives_so_custom_errors_decode() {
        // DuplicateChain(902): selector then the argument.
        let data = "\"0x5e9f1c4e0000000000000000000000000000000000000000000000000000000000000386\"";
        let payload = error_payload(ProviderError {
            code: Some(3),
            message: "execution reverted".into(),
            data: Some(data.into()),
        });
        assert_eq!(
            payload.as_revert_data().map(|b| b.len()),
            Some(36),
            "revert data is readable"
        );
    }

    #[test]
    fn an_error_without_code_or_message_is_still_readable() {
        let payload = error_payload(ProviderError::default());
        assert_eq!(payload.code, -32603);
        assert!(!payload.message.is_empty());
    }

    #[test]
    fn invalid_json_from_the_wallet_is_a_transport_error() {
        assert!(response(Id::Number(3), Ok("{not json".into())).is_err());
    }
}
