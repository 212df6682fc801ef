import { createHmac, randomUUID } from 'node:crypto';
import https from 'node:https';
import { sign } from '@octokit/webhooks-methods';
import type { FakeDelivery, FakeHook, FakeState } from './state.ts';

export interface SendOptions {
  /** Reuse a delivery guid (redelivery); a new uuid otherwise. */
  guid?: string;
  redelivery?: boolean;
  /** Sent as X-Hub-Signature-256 instead of the real signature; null omits the header. */
  signatureOverride?: string | null;
  /** Exact body bytes to send instead of JSON.stringify(payload). */
  rawBody?: string;
}

export interface WebhookSender {
  send: (
    hook: FakeHook,
    event: string,
    payload: unknown,
    options?: SendOptions,
  ) => Promise<FakeDelivery>;
  setDropRate: (rate: number) => void;
  /** Resolves when every delivery started so far has finished. */
  settled: () => Promise<void>;
}

function targetOf(hook: FakeHook): { type: string; id: number } {
  return hook.scope.kind === 'repo'
    ? { type: 'repository', id: hook.scope.repo.id }
    : { type: 'organization', id: hook.scope.org.id };
}

function actionOf(payload: unknown): string | null {
  const action = (payload as { action?: unknown } | null)?.action;
  return typeof action === 'string' ? action : null;
}

function repositoryIdOf(payload: unknown): number | null {
  const id = (payload as { repository?: { id?: unknown } } | null)?.repository?.id;
  return typeof id === 'number' ? id : null;
}

type PostOptions = {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  verifyTls: boolean;
};

/** One POST; TLS certificates are checked unless the hook turned that off, as on GitHub. */
async function post(url: string, options: PostOptions): Promise<{ status: number; body: string }> {
  const { headers, body, timeoutMs, verifyTls } = options;
  const signal = AbortSignal.timeout(timeoutMs);
  if (verifyTls || !url.startsWith('https:')) {
    const response = await fetch(url, { method: 'POST', headers, body, signal });
    return { status: response.status, body: await response.text() };
  }
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'POST', headers, rejectUnauthorized: false, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    // As with fetch, a request cut off by the timeout fails with the signal's TimeoutError.
    request.on('error', (error) => reject(signal.aborted ? (signal.reason as Error) : error));
    request.end(body);
  });
}

/** Delivers webhooks as GitHub's Hookshot does and records every attempt as a delivery. */
export function createWebhookSender(state: FakeState, timeoutMs: number): WebhookSender {
  let dropRate = 0;
  const inFlight = new Set<Promise<unknown>>();

  async function deliver(
    hook: FakeHook,
    event: string,
    payload: unknown,
    options: SendOptions,
  ): Promise<FakeDelivery> {
    const guid = options.guid ?? randomUUID();
    const json = options.rawBody ?? JSON.stringify(payload);
    const form = hook.config.content_type === 'form';
    const body = form ? `payload=${encodeURIComponent(json)}` : json;
    const target = targetOf(hook);
    const headers: Record<string, string> = {
      Accept: '*/*',
      'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      'User-Agent': 'GitHub-Hookshot/abc1234',
      'X-GitHub-Delivery': guid,
      'X-GitHub-Event': event,
      'X-GitHub-Hook-ID': String(hook.id),
      'X-GitHub-Hook-Installation-Target-ID': String(target.id),
      'X-GitHub-Hook-Installation-Target-Type': target.type,
    };
    if (hook.config.secret !== '') {
      headers['X-Hub-Signature'] =
        `sha1=${createHmac('sha1', hook.config.secret).update(body).digest('hex')}`;
      headers['X-Hub-Signature-256'] = await sign(hook.config.secret, body);
    }
    if (options.signatureOverride === null) delete headers['X-Hub-Signature-256'];
    else if (options.signatureOverride !== undefined)
      headers['X-Hub-Signature-256'] = options.signatureOverride;

    const started = Date.now();
    let statusCode: number;
    let status: string;
    let responseBody = '';
    if (Math.random() < dropRate) {
      statusCode = 502;
      status = 'failed to connect to host';
    } else {
      try {
        const response = await post(hook.config.url, {
          headers,
          body,
          timeoutMs,
          verifyTls: hook.config.insecure_ssl !== '1',
        });
        responseBody = response.body.slice(0, 2000);
        statusCode = response.status;
        const ok = statusCode >= 200 && statusCode < 300;
        status = ok ? 'OK' : `Invalid HTTP Response: ${statusCode}`;
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        statusCode = timedOut ? 504 : 502;
        status = timedOut ? 'timed out' : 'failed to connect to host';
      }
    }
    const delivery: FakeDelivery = {
      id: state.nextId('delivery'),
      guid,
      hookId: hook.id,
      event,
      action: actionOf(payload),
      statusCode,
      status,
      deliveredAt: new Date(started).toISOString().replace(/\.\d+Z$/, 'Z'),
      durationSeconds: (Date.now() - started) / 1000,
      redelivery: options.redelivery ?? false,
      repositoryId: repositoryIdOf(payload),
      url: hook.config.url,
      requestHeaders: headers,
      payload,
      responseBody,
    };
    state.deliveries.push(delivery);
    hook.lastResponse = {
      code: statusCode,
      status: statusCode < 300 ? 'active' : 'failed',
      message: status,
    };
    return delivery;
  }

  return {
    send(hook, event, payload, options = {}) {
      const pending = deliver(hook, event, payload, options);
      inFlight.add(pending);
      const done = () => inFlight.delete(pending);
      pending.then(done, done);
      return pending;
    },
    setDropRate(rate) {
      dropRate = Math.min(1, Math.max(0, rate));
    },
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
