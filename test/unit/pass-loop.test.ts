import { describe, expect, it } from 'vitest';
import { PassLoop } from '../../controller/src/reconcile/pass-loop.ts';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PassLoop', () => {
  it('never runs two passes at once and turns a burst of triggers into one more pass', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    const loop = new PassLoop(async () => {
      running += 1;
      most = Math.max(most, running);
      passes += 1;
      await tick(20);
      running -= 1;
    }, Date.now);
    loop.trigger();
    for (let i = 0; i < 10; i += 1) loop.trigger();
    await tick(100);
    expect(most).toBe(1);
    expect(passes).toBe(2);
    await loop.stop();
  });

  it('wakes at the earliest requested time only', async () => {
    const at: number[] = [];
    const start = Date.now();
    const loop = new PassLoop(async () => {
      at.push(Date.now() - start);
      await Promise.resolve();
    }, Date.now);
    loop.wakeIn(200);
    loop.wakeIn(40);
    loop.wakeIn(300);
    await tick(120);
    expect(at).toHaveLength(1);
    expect(at[0]).toBeGreaterThanOrEqual(35);
    await loop.stop();
  });

  it('runs nothing after stop, and stop waits for the pass under way', async () => {
    let finished = false;
    const loop = new PassLoop(async () => {
      await tick(30);
      finished = true;
    }, Date.now);
    loop.trigger();
    await loop.stop();
    expect(finished).toBe(true);
    finished = false;
    loop.trigger();
    loop.wakeIn(1);
    await tick(20);
    expect(finished).toBe(false);
  });
});
