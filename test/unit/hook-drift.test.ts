import { describe, expect, it } from 'vitest';
import type { Hook } from '../../controller/src/github/hook-api.ts';
import { hookDrift } from '../../controller/src/webhook/hook-drift.ts';

const desired = { url: 'https://ci.example.com/webhook', secret: 's', insecureSsl: false };
const good: Hook = {
  id: 1,
  active: true,
  events: ['workflow_job'],
  config: { url: desired.url, content_type: 'json', insecure_ssl: '0' },
};

describe('hookDrift', () => {
  it('finds nothing on a hook as wanted', () => {
    expect(hookDrift(good, desired, false)).toEqual([]);
  });

  it.each([
    {
      field: 'url',
      hook: { ...good, config: { ...good.config, url: 'https://old.example.com/webhook' } },
    },
    { field: 'content_type', hook: { ...good, config: { ...good.config, content_type: 'form' } } },
    { field: 'insecure_ssl', hook: { ...good, config: { ...good.config, insecure_ssl: '1' } } },
    { field: 'events', hook: { ...good, events: ['workflow_job', 'push'] } },
    { field: 'active', hook: { ...good, active: false } },
  ])('notices a drifted $field', ({ field, hook }) => {
    expect(hookDrift(hook, desired, false)).toEqual([field]);
  });

  it('wants TLS verification off only when the setting asks for it', () => {
    const selfSigned = { ...good, config: { ...good.config, insecure_ssl: '1' } };
    expect(hookDrift(selfSigned, { ...desired, insecureSsl: true }, false)).toEqual([]);
    expect(hookDrift(good, { ...desired, insecureSsl: true }, false)).toEqual(['insecure_ssl']);
  });

  it('notices a changed secret by its fingerprint', () => {
    expect(hookDrift(good, desired, true)).toEqual(['secret']);
  });
});
