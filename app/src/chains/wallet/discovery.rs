//! Finding browser wallets: EIP-6963 announcements (name, icon, rdns), falling back to a bare
//! `window.ethereum`. The provider objects stay on the JS side, in a registry keyed by
//! [`WalletKey`].

use std::{cell::RefCell, collections::BTreeMap};

use wasm_bindgen::{JsCast, JsValue, closure::Closure};

use super::{WalletInfo, WalletKey};

thread_local! {
    static PROVIDERS: RefCell<BTreeMap<WalletKey, JsValue>> = const { RefCell::new(BTreeMap::new()) };
}

/// The EIP-1193 provider of a discovered wallet.
pub fn provider(key: &WalletKey) -> Option<JsValue> {
    PROVIDERS.with(|p| p.borrow().get(key).cloned())
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(obj, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).and_then(|v| v.as_string())
}

/// Reads an `eip6963:announceProvider` event's detail.
fn read_announcement(detail: &JsValue) -> Option<(WalletInfo, JsValue)> {
    let info = get(detail, "info")?;
    let provider = get(detail, "provider")?;
    let rdns = get_string(&info, "rdns")?;
    let wallet = WalletInfo {
        key: WalletKey::Injected(rdns),
        name: get_string(&info, "name").unwrap_or_else(|| "Browser wallet".into()),
        // Icons are data URIs by the EIP; anything else is not shown.
        icon: get_string(&info, "icon").filter(|i| i.starts_with("data:image/")),
    };
    Some((wallet, provider))
}

/// Listens for announcements for the life of the page and asks wallets to announce; calls
/// `found` for each (a wallet may announce again: same key, latest provider kept).
pub fn discover(found: impl Fn(WalletInfo) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let found = std::rc::Rc::new(found);
    let on_announce = {
        let found = found.clone();
        Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            let detail = get(event.as_ref(), "detail");
            if let Some((wallet, provider)) = detail.as_ref().and_then(read_announcement) {
                PROVIDERS.with(|p| p.borrow_mut().insert(wallet.key.clone(), provider));
                found(wallet);
            }
        })
    };
    let _ = window.add_event_listener_with_callback(
        "eip6963:announceProvider",
        on_announce.as_ref().unchecked_ref(),
    );
    // Lives as long as the page, as the listener does.
    on_announce.forget();
    if let Ok(event) = web_sys::Event::new("eip6963:requestProvider") {
        let _ = window.dispatch_event(&event);
    }
    // A wallet that predates EIP-6963 only sets window.ethereum.
    if let Some(legacy) = get(window.as_ref(), "ethereum") {
        let key = WalletKey::Legacy;
        PROVIDERS.with(|p| p.borrow_mut().insert(key.clone(), legacy));
        found(WalletInfo {
            key,
            name: "Injected wallet (window.ethereum)".into(),
            icon: None,
        });
    }
}

/// Subscribes to a provider's `accountsChanged`, `chainChanged` and `disconnect` for the life
/// of the page.
pub fn subscribe(key: &WalletKey, on_event: impl Fn(ProviderEvent) + 'static) {
    let Some(provider) = provider(key) else {
        return;
    };
    let Some(on) = get(&provider, "on").and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else {
        return;
    };
    let on_event = std::rc::Rc::new(on_event);
    for name in ["accountsChanged", "chainChanged", "disconnect"] {
        let on_event = on_event.clone();
        let handler = Closure::<dyn Fn(JsValue)>::new(move |value: JsValue| {
            let event = match name {
                "accountsChanged" if js_sys::Array::is_array(&value) => ProviderEvent::Accounts(
                    js_sys::Array::from(&value)
                        .iter()
                        .filter_map(|a| a.as_string())
                        .collect(),
                ),
                "accountsChanged" => ProviderEvent::Accounts(Vec::new()),
                "chainChanged" => ProviderEvent::Chain(value.as_string().unwrap_or_default()),
                _ => ProviderEvent::Disconnect,
            };
            on_event(event);
        });
        let _ = on.call2(&provider, &name.into(), handler.as_ref().unchecked_ref());
        handler.forget();
    }
}

/// What a provider tells us unasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    Accounts(Vec<String>),
    /// The chain id as the wallet sent it (hex).
    Chain(String),
    Disconnect,
}
