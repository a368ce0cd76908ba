import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { BUILD_TIMEOUT, ensureWebBuilt } from '../support/web';

/** A non-loopback IPv4 address of this machine, or null when it has none. */
function externalAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

async function page(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { accept: 'text/html', ...headers } });
  return { status: res.status, body: await res.text() };
}

describe('explorer page (GraphiQL) with a generated admin key (issue 8, item 4; issue 13)', () => {
  let t: TestApp;
  let key: string;
  let dataDir: string;
  beforeAll(async () => {
    await ensureWebBuilt();
    // no DRAWDOWN_API_KEYS: the key is generated into the data directory, as on a first `npm start`
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-landing-'));
    t = await startTestApp({ DRAWDOWN_API_KEYS: '', HOST: '0.0.0.0', DRAWDOWN_DATA_DIR: dataDir });
    key = fs.readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await t?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('pre-fills the key for a browser on loopback, and loads nothing from elsewhere', async () => {
    const { status, body } = await page(t.url.replace('localhost', '127.0.0.1'));
    expect(status).toBe(200);
    expect(body).toContain('<title>Drawdown explorer</title>');
    expect(body).toContain(`{"headers":{"Authorization":"Bearer ${key}"}}`);
    // every script and stylesheet is the server's own (/assets/...): no CDN, no telemetry
    const refs = [...body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/^(\/assets\/|data:)/);
  });

  it('never embeds the key for a client on another address', async () => {
    const ip = externalAddress();
    // a request a proxy forwarded is not trusted as loopback, even when the proxy itself is local
    const forwarded = await page(t.url.replace('localhost', '127.0.0.1'), {
      'x-forwarded-for': '203.0.113.9',
    });
    expect(forwarded.status).toBe(200);
    expect(forwarded.body).toContain('Drawdown explorer');
    expect(forwarded.body).not.toContain(key);
    if (ip) {
      const remote = await page(t.url.replace('localhost', ip));
      expect(remote.status).toBe(200);
      expect(remote.body).toContain('Drawdown explorer');
      expect(remote.body).not.toContain(key);
      // the key still works for API calls from that address: only the page leaves it out
      const res = await fetch(t.url.replace('localhost', ip), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(res.status).toBe(200);
    }
  });
});

describe('explorer in production (issue 13)', () => {
  let t: TestApp;
  beforeAll(async () => {
    await ensureWebBuilt();
    t = await startTestApp({ NODE_ENV: 'production' });
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await t?.stop();
  });

  it('is off: a browser GET on /graphql gets no explorer page', async () => {
    const { status, body } = await page(t.url.replace('localhost', '127.0.0.1'));
    expect(status).not.toBe(200);
    expect(body).not.toContain('Drawdown explorer');
  });
});
