//! `type: teams`: a Microsoft Teams Workflows webhook ("Post to a channel
//! when a webhook request is received"): a message with one Adaptive Card,
//! the title and a fact set. (The old Office 365 connectors are retired.)

use serde_json::json;

use super::Alert;
use crate::time::rfc3339;

/// The body `type: teams` POSTs (see `http::TEAMS`).
#[derive(Clone, Debug, Default)]
pub struct Card;

impl super::http::Body for Card {
    fn body(a: &Alert) -> String {
        message(a).to_string()
    }
}

/// The message for one alert.
pub fn message(a: &Alert) -> serde_json::Value {
    let mut facts = vec![
        json!({"title": "Kind", "value": a.kind.as_str()}),
        json!({"title": "At", "value": rfc3339(a.at)}),
    ];
    if let Some(k) = &a.key {
        facts.push(json!({"title": "Exporter", "value": k.exporter}));
        facts.push(json!({"title": "Interface", "value": k.interface_shown()}));
    }
    for (title, v) in [("Name", &a.name), ("Site", &a.site), ("Error", &a.error)] {
        if let Some(v) = v {
            facts.push(json!({"title": title, "value": v}));
        }
    }
    if !a.collectors.is_empty() {
        facts.push(json!({"title": "Collectors", "value": a.collectors.join(", ")}));
    }
    let colour = if a.trouble() { "Attention" } else { "Good" };
    let mut body = vec![
        json!({"type": "TextBlock", "text": a.title(), "weight": "Bolder", "size": "Medium", "color": colour, "wrap": true}),
        json!({"type": "FactSet", "facts": facts}),
    ];
    // A digest lists what it stands for.
    for line in a.item_lines(30) {
        body.push(json!({"type": "TextBlock", "text": line, "wrap": true, "spacing": "None"}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body
            }
        }]
    })
}
