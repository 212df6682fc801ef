import { describe, expect, it } from 'vitest';
import { deaths } from '../../controller/src/runners/watch-engine.ts';

describe('deaths', () => {
  it('reads die events, with exit codes, from a chunk of the event stream', () => {
    const chunk = [
      JSON.stringify({ status: 'start', id: 'a', Action: 'start', Actor: { Attributes: {} } }),
      JSON.stringify({
        status: 'die',
        id: 'b',
        Action: 'die',
        Actor: { Attributes: { exitCode: '7' } },
      }),
      JSON.stringify({ Action: 'die', id: 'c', Actor: { Attributes: {} } }),
      '{"broken":',
      '',
    ].join('\n');
    expect(deaths(Buffer.from(chunk))).toEqual([
      { containerId: 'b', exitCode: 7 },
      { containerId: 'c', exitCode: undefined },
    ]);
  });
});
