//! Who did it (issue 15): the actor a ledger entry or an order history line records — an API token (by its name),
//! a channel (imports, webhooks, polls; by its name) or the hub itself (by the part that acted). Stored as two
//! plain columns; the name is copied when the row is written, so a row keeps the name its actor had then.

use entity::enums::ActorKind;

use super::errors::{ErrorCode, FieldError};
use super::text::MAX_TITLE_LEN;

/// Longest stored name, in characters: token and channel names are titles, so nothing real is cut.
pub const MAX_NAME_CHARS: usize = MAX_TITLE_LEN;

/// The name of an actor whose name is blank (no token or channel has one; kept so a row never has an empty name).
const UNNAMED: &str = "unnamed";

/// The hub's own parts that write stock or order history as `SYSTEM`.
pub mod system {
    /// `omnisync demo`, seeding its catalog.
    pub const DEMO: &str = "demo";
    /// `omnisync bench`, seeding what it measures.
    pub const BENCH: &str = "bench";
}

/// Who made a change: a kind and a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    kind: ActorKind,
    name: String,
}

impl Actor {
    /// A caller of the API, named by its token's name.
    pub fn api_token(token_name: &str) -> Self {
        Self::new(ActorKind::ApiToken, token_name)
    }

    /// A sales channel (its orders imported by webhook, poll or resync), named by the channel's name.
    pub fn channel(channel_name: &str) -> Self {
        Self::new(ActorKind::Channel, channel_name)
    }

    /// The hub itself, named by the part that acted (see `system`).
    pub fn system(part: &str) -> Self {
        Self::new(ActorKind::System, part)
    }

    fn new(kind: ActorKind, name: &str) -> Self {
        let name = stored_name(name);
        Self { kind, name: if name.is_empty() { UNNAMED.to_owned() } else { name } }
    }

    pub fn kind(&self) -> ActorKind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The actor of a stored row (`actor_kind`, `actor_name`); None when it was not recorded (rows written before
    /// actors were, both columns NULL) or is incomplete.
    pub fn from_columns(kind: Option<ActorKind>, name: Option<&str>) -> Option<Self> {
        Some(Self { kind: kind?, name: name?.to_owned() })
    }
}

/// A name as stored and as a filter compares it: trimmed, at most `MAX_NAME_CHARS` characters.
fn stored_name(name: &str) -> String {
    name.trim().chars().take(MAX_NAME_CHARS).collect()
}

/// Which rows to keep by their actor: every part given must match; the name exactly (case-sensitive), after the
/// trimming names get when stored. Rows without an actor match only the empty filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorFilter {
    pub kind: Option<ActorKind>,
    pub name: Option<String>,
}

impl ActorFilter {
    /// Reads a list's `actorKind` and `actorName` arguments; a blank name is refused (it would match nothing).
    /// `field` is the path of the filter argument (e.g. `filter`).
    pub fn parse(field: &str, kind: Option<ActorKind>, name: Option<&str>) -> Result<Self, FieldError> {
        let name = match name {
            None => None,
            Some(raw) => {
                let name = stored_name(raw);
                if name.is_empty() {
                    return Err(FieldError::new(
                        &[field, "actorName"],
                        ErrorCode::Blank,
                        "actorName can't be blank; omit it to list every actor",
                    ));
                }
                Some(name)
            }
        };
        Ok(Self { kind, name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_keeps_its_kind_and_its_trimmed_name() {
        let token = Actor::api_token("  ci-bot ");
        assert_eq!((token.kind(), token.name()), (ActorKind::ApiToken, "ci-bot"));
        assert_eq!(Actor::channel("lazada shop").kind(), ActorKind::Channel);
        assert_eq!(Actor::system(system::DEMO).name(), "demo");
    }

    #[test]
    fn a_blank_name_is_stored_as_unnamed_and_a_long_one_is_cut_on_a_character() {
        assert_eq!(Actor::channel("   ").name(), "unnamed");
        let long = "ă".repeat(MAX_NAME_CHARS + 10);
        let cut = Actor::api_token(&long);
        assert_eq!(cut.name().chars().count(), MAX_NAME_CHARS);
        assert!(long.starts_with(cut.name()));
    }

    #[test]
    fn stored_columns_map_back_to_an_actor_only_when_both_were_recorded() {
        let stored = Actor::from_columns(Some(ActorKind::Channel), Some("tiki shop"));
        assert_eq!(stored, Some(Actor::channel("tiki shop")));
        assert_eq!(Actor::from_columns(None, None), None, "rows from before actors were recorded");
        assert_eq!(Actor::from_columns(Some(ActorKind::System), None), None);
        assert_eq!(Actor::from_columns(None, Some("hub")), None);
    }

    #[test]
    fn a_filter_trims_its_name_like_stored_names_and_refuses_a_blank_one() {
        let filter = ActorFilter::parse("filter", Some(ActorKind::ApiToken), Some(" ci-bot ")).expect("a filter");
        assert_eq!(filter, ActorFilter { kind: Some(ActorKind::ApiToken), name: Some("ci-bot".into()) });
        assert_eq!(ActorFilter::parse("filter", None, None), Ok(ActorFilter::default()));
        let blank = ActorFilter::parse("filter", None, Some("  ")).expect_err("refused");
        assert_eq!(blank.code, ErrorCode::Blank);
        assert_eq!(blank.field, vec!["filter".to_owned(), "actorName".to_owned()]);
    }
}
