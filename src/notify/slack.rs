//! `type: slack`: a Slack incoming webhook. The message is `text` (what
//! notifications and old clients show) plus blocks: the title, and a context
//! line with the time, collectors, name and site.

use serde_json::json;

use super::Alert;
use crate::time::rfc3339;

/// The body `type: slack` POSTs (see `http::SLACK`).
#[derive(Clone, Debug, Default)]
pub struct Message;

impl super::http::Body for Message {
    fn body(a: &Alert) -> String {
        message(a).to_string()
    }
}

/// The message for one alert.
pub fn message(a: &Alert) -> serde_json::Value {
    let mark = if a.trouble() {
        ":red_circle:"
    } else {
        ":large_green_circle:"
    };
    let title = a.title();
    let mut context = vec![format!("*{}* at {}", a.kind, rfc3339(a.at))];
    if !a.collectors.is_empty() {
        context.push(format!("collectors: {}", a.collectors.join(", ")));
    }
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{mark} *{title}*")}}),
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context.join(" · ")}]}),
    ];
    // A digest lists what it stands for (Slack takes 50 blocks at most).
    if !a.items.is_empty() {
        let list = a.item_lines(30).join("\n");
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": list}}));
    }
    json!({"text": format!("{mark} {title}"), "blocks": blocks})
}
