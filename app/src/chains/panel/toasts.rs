//! Transaction toasts: pending → mined (hash, block, gas used), reverted or rejected.

use leptos::prelude::*;

use super::RunsUi;

#[derive(Debug, Clone, PartialEq)]
pub enum ToastKind {
    Pending,
    Mined,
    /// A calm state: the user said no.
    Rejected,
    Failed,
}

impl ToastKind {
    fn class(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Mined => "mined",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub title: String,
    pub detail: String,
}

/// Shows or updates toast `id`.
pub fn show(
    ui: RunsUi,
    id: u64,
    kind: ToastKind,
    title: impl Into<String>,
    detail: impl Into<String>,
) {
    let toast = Toast {
        id,
        kind,
        title: title.into(),
        detail: detail.into(),
    };
    ui.toasts
        .update(|all| match all.iter_mut().find(|t| t.id == id) {
            Some(t) => *t = toast,
            None => {
                all.push(toast);
                // Only the latest few stay on screen.
                if all.len() > 4 {
                    all.remove(0);
                }
            }
        });
}

#[component]
pub fn Toasts() -> impl IntoView {
    let ui = expect_context::<RunsUi>();
    view! {
        <div class="toasts" aria-live="polite">
            <For each=move || ui.toasts.get() key=|t| (t.id, t.kind.class(), t.detail.clone()) let:t>
                <div class=format!("toast {}", t.kind.class()) data-testid="toast" data-state=t.kind.class()>
                    <strong>{t.title.clone()}</strong>
                    <span class="muted">{t.detail.clone()}</span>
                    <button class="close" aria-label="Dismiss" on:click=move |_| ui.toasts.update(|all| all.retain(|x| x.id != t.id))>"×"</button>
                </div>
            </For>
        </div>
    }
}
