//! A paste recognised without bracketed paste: a burst of key presses that
//! arrive together becomes one `Event::Paste`, which then takes the same
//! path as a bracketed paste (the password field's sanitising, and no key
//! bindings fired on other screens).
//!
//! Needed where the terminal sends no paste markers: crossterm never
//! reports a paste on Windows (crossterm#737), and a console may refuse
//! `EnableBracketedPaste`. A person types a key at most every few tens of
//! milliseconds; the keys of a paste are all there at once. So after a
//! text key, the keys that follow within [`BURST_GAP`] of each other are
//! gathered, and [`MIN_BURST`] or more printable keys are a paste.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::{Stream, StreamExt};

/// At most this long between two keys of one paste.
pub const BURST_GAP: Duration = Duration::from_millis(4);

/// This many printable key presses, at least, make a paste.
pub const MIN_BURST: usize = 3;

/// What a key is to the detector.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    /// A press that pastes this character.
    Text(char),
    /// A key release (Windows reports them): part of a burst, adds nothing.
    Release,
}

/// A key a paste can consist of: a character (Shift allowed), Enter or
/// Tab, pressed or released; never a key with Ctrl or Alt.
fn part(event: &Event) -> Option<Part> {
    let Event::Key(KeyEvent {
        code,
        modifiers,
        kind,
        ..
    }) = event
    else {
        return None;
    };
    if modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    let c = match code {
        KeyCode::Char(c) => *c,
        KeyCode::Enter => '\n',
        KeyCode::Tab => '\t',
        _ => return None,
    };
    Some(match kind {
        KeyEventKind::Release => Part::Release,
        _ => Part::Text(c),
    })
}

/// The text of `run` (events that arrived together) if it is a paste.
pub fn burst_text(run: &[Event]) -> Option<String> {
    let mut text = String::new();
    let mut presses = 0;
    for event in run {
        match part(event)? {
            Part::Text(c) => {
                text.push(c);
                presses += 1;
            }
            Part::Release => {}
        }
    }
    // A paste starts with a character, not with Enter or Tab.
    let starts_with_char = run
        .iter()
        .find_map(|e| match part(e) {
            Some(Part::Text(c)) => Some(!matches!(c, '\n' | '\t')),
            _ => None,
        })
        .unwrap_or(false);
    (presses >= MIN_BURST && starts_with_char).then_some(text)
}

/// `events` with every burst of text keys turned into one `Event::Paste`;
/// anything else passes through unchanged and in order.
pub fn detect_pastes<S>(events: S, gap: Duration) -> impl Stream<Item = io::Result<Event>>
where
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    struct State<S> {
        events: S,
        ready: VecDeque<io::Result<Event>>,
        ended: bool,
    }
    let state = State {
        events,
        ready: VecDeque::new(),
        ended: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        if let Some(next) = st.ready.pop_front() {
            return Some((next, st));
        }
        if st.ended {
            return None;
        }
        let first = match st.events.next().await {
            Some(Ok(event)) => event,
            other => return other.map(|e| (e, st)),
        };
        if !matches!(part(&first), Some(Part::Text(_))) {
            return Some((Ok(first), st));
        }
        // Gather what follows at once; stop at the first pause, at the
        // first key that cannot be pasted text, or at the end.
        let mut run = vec![first];
        loop {
            match tokio::time::timeout(gap, st.events.next()).await {
                Ok(Some(Ok(event))) if part(&event).is_some() => run.push(event),
                Ok(Some(other)) => {
                    st.ready.push_back(other);
                    break;
                }
                Ok(None) => {
                    st.ended = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let after = std::mem::take(&mut st.ready);
        match burst_text(&run) {
            Some(text) => st.ready.push_back(Ok(Event::Paste(text))),
            None => st.ready.extend(run.into_iter().map(Ok)),
        }
        st.ready.extend(after);
        let next = st.ready.pop_front().expect("the run is never empty");
        Some((next, st))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn release(c: char) -> Event {
        let mut k = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        k.kind = KeyEventKind::Release;
        Event::Key(k)
    }

    fn key(code: KeyCode, mods: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, mods))
    }

    async fn collect(events: Vec<Event>, gap: Duration) -> Vec<Event> {
        let source = futures::stream::iter(events.into_iter().map(Ok));
        detect_pastes(source, gap)
            .map(|e| e.unwrap())
            .collect()
            .await
    }

    #[tokio::test]
    async fn keys_that_arrive_together_are_one_paste() {
        // As Windows delivers a pasted password: press and release of each
        // character, all already waiting.
        let mut events = Vec::new();
        for c in "abcd-efgh-ijkl-mnop".chars() {
            events.push(press(c));
            events.push(release(c));
        }
        let out = collect(events, BURST_GAP).await;
        assert_eq!(out, [Event::Paste("abcd-efgh-ijkl-mnop".into())]);
    }

    #[tokio::test]
    async fn a_paste_of_q_o_c_fires_no_binding_and_what_follows_is_kept() {
        // "q", "o" and "c" quit, open and copy on a non-text screen.
        let events = vec![
            press('q'),
            press('o'),
            press('c'),
            key(KeyCode::Esc, KeyModifiers::NONE),
        ];
        let out = collect(events, BURST_GAP).await;
        assert_eq!(
            out,
            [
                Event::Paste("qoc".into()),
                key(KeyCode::Esc, KeyModifiers::NONE)
            ]
        );
    }

    #[tokio::test]
    async fn typed_keys_are_keys() {
        // A person: one key, then a pause longer than the gap.
        let paced = futures::stream::unfold(0usize, |i| async move {
            if i == 3 {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            Some((Ok(press(['q', 'o', 'c'][i])), i + 1))
        });
        let out: Vec<Event> = detect_pastes(Box::pin(paced), BURST_GAP)
            .map(|e| e.unwrap())
            .collect()
            .await;
        assert_eq!(out, [press('q'), press('o'), press('c')]);
    }

    #[tokio::test]
    async fn short_runs_and_control_keys_stay_keys() {
        // Two keys at once (a fast typist, a laggy link) are not a paste.
        assert_eq!(
            collect(vec![press('j'), press('k')], BURST_GAP).await,
            [press('j'), press('k')]
        );
        // Ctrl-C in the middle ends the run and is delivered as a key.
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            collect(vec![press('a'), ctrl_c.clone(), press('b')], BURST_GAP).await,
            [press('a'), ctrl_c, press('b')]
        );
        // Enter first is a key (it confirms), not the start of a paste.
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(
            collect(vec![enter.clone(), press('a')], BURST_GAP).await,
            [enter, press('a')]
        );
    }

    #[test]
    fn burst_text_keeps_lines_and_shift() {
        let run = [
            press('A'),
            key(KeyCode::Char('B'), KeyModifiers::SHIFT),
            key(KeyCode::Enter, KeyModifiers::NONE),
            press('c'),
        ];
        assert_eq!(burst_text(&run).as_deref(), Some("AB\nc"));
        assert_eq!(burst_text(&[press('a'), press('b')]), None);
    }
}
