import { describe, expect, it } from 'vitest';
import {
  EVENT_SETTLE_MS,
  FRESH_LISTING_MS,
  ListingFreshness,
} from '../../controller/src/runners/listing-freshness.ts';
import type { RuntimeEvent } from '../../controller/src/runners/runtime.ts';

const changed: RuntimeEvent = { kind: 'changed', engineId: 'local', died: [] };

/** A freshness on a clock the test moves: watched, with one listing long after the connection. */
function watched() {
  let now = 0;
  const freshness = new ListingFreshness(() => now);
  freshness.event(changed);
  now += EVENT_SETTLE_MS;
  freshness.listing();
  return { freshness, advance: (ms: number) => (now += ms) };
}

describe('ListingFreshness', () => {
  it('never stands before a first listing, nor while the event stream is not followed', () => {
    let now = 0;
    const freshness = new ListingFreshness(() => now);
    expect(freshness.fresh()).toBe(false);
    now = 10_000;
    freshness.listing();
    expect(freshness.fresh()).toBe(false);
  });

  it('stands while the engine reports nothing, until it is as old as the limit', () => {
    const { freshness, advance } = watched();
    expect(freshness.fresh()).toBe(true);
    advance(FRESH_LISTING_MS - 1);
    expect(freshness.fresh()).toBe(true);
    advance(1);
    expect(freshness.fresh()).toBe(false);
  });

  it('says when its listing stops standing', () => {
    let now = 1_000;
    const freshness = new ListingFreshness(() => now);
    freshness.event(changed);
    now += EVENT_SETTLE_MS;
    freshness.listing();
    expect(freshness.expiresAt()).toBe(now + FRESH_LISTING_MS);
    now = freshness.expiresAt();
    expect(freshness.fresh()).toBe(false);
  });

  it('does not stand after an event, until a listing begins once the event has settled', () => {
    const { freshness, advance } = watched();
    freshness.event(changed);
    expect(freshness.fresh()).toBe(false);
    // The engine may report a death before its listing shows it: a listing right after the
    // event does not stand, the one after the reconciler's follow-up pass does.
    advance(10);
    freshness.listing();
    expect(freshness.fresh()).toBe(false);
    advance(EVENT_SETTLE_MS);
    freshness.listing();
    expect(freshness.fresh()).toBe(true);
  });

  it('does not stand after an event during the listing', () => {
    const { freshness, advance } = watched();
    advance(1_000);
    freshness.listing();
    freshness.event(changed);
    expect(freshness.fresh()).toBe(false);
  });

  it('does not stand after a start or removal of its own, nor after a failed listing', () => {
    const { freshness, advance } = watched();
    freshness.changed();
    expect(freshness.fresh()).toBe(false);
    advance(1_000);
    freshness.listing();
    expect(freshness.fresh()).toBe(true);
  });

  it('does not stand once the event stream is lost or no longer followed', () => {
    const lost = watched();
    lost.freshness.event({ kind: 'engine-down', engineId: 'local', error: new Error('gone') });
    lost.advance(1_000);
    lost.freshness.listing();
    expect(lost.freshness.fresh()).toBe(false);
    const stopped = watched();
    stopped.freshness.unwatched();
    expect(stopped.freshness.fresh()).toBe(false);
  });
});
