import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { isLoopbackClient } from './landing';

/**
 * The browser side, served by Drawdown itself so that it works without internet: the dashboard (a React
 * single-page app at /) and the GraphiQL explorer (GET /graphql asking for HTML, outside production). Vite
 * builds both into web/dist (`npm run build:web`, run by `npm start` and `npm test`).
 */

/** web/dist of the package this file belongs to (src/server here, dist/src/server once compiled). */
export function defaultWebDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return path.resolve('web', 'dist');
    dir = up;
  }
  return path.join(dir, 'web', 'dist');
}

/** Paths the API owns: the dashboard's fallback never answers them. */
const API_PATHS = /^\/(graphql|healthz|readyz|metrics|export)(\/|$)/;

function notBuilt(res: express.Response, what: string): void {
  res
    .status(503)
    .type('text/plain')
    .send(`The ${what} is not built: run \`npm run build:web\` (npm start does it).\n`);
}

/**
 * Hashed assets under /assets are cached for a year (their names change with their content); the HTML
 * is revalidated on every load, so a new build shows at once. Any other GET that asks for HTML and is no
 * API path gets index.html: the app routes on the client (/customers/…).
 */
export function dashboard(dir: string): express.RequestHandler {
  const assets = express.static(path.join(dir, 'assets'), {
    immutable: true,
    maxAge: '365d',
    index: false,
    fallthrough: false,
  });
  const router = express.Router();
  router.use('/assets', (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    assets(req, res, next);
  });
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (API_PATHS.test(req.path) || req.path === '/explorer.html') return next();
    if (path.extname(req.path) !== '' || !req.accepts('html')) return next();
    const index = path.join(dir, 'index.html');
    if (!fs.existsSync(index)) return notBuilt(res, 'dashboard');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.sendFile(index);
  });
  return router;
}

/** Whether a request is a browser's GET asking for a page rather than a GraphQL response. */
function wantsHtml(req: express.Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html';
}

/** The JSON the explorer page reads from `<script id="drawdown-explorer">`, safe inside an HTML script. */
export function explorerSettings(key: string | null): string {
  const settings = key ? { headers: { Authorization: `Bearer ${key}` } } : {};
  return JSON.stringify(settings).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * GET /graphql for a browser: GraphiQL, built from npm and served from web/dist. The page carries the
 * admin key only for a client on loopback that no proxy forwarded (the server listens on every interface);
 * everyone else gets it without the key. In production there is no explorer: the request goes on to Apollo.
 */
export function explorer(
  dir: string,
  key: string | null | undefined,
  production: boolean,
): express.RequestHandler {
  const file = path.join(dir, 'explorer.html');
  return (req, res, next) => {
    if (production || !wantsHtml(req)) return next();
    // read per request (a few hundred bytes): a rebuild while the server runs shows at once
    if (!fs.existsSync(file)) return notBuilt(res, 'explorer');
    const template = fs.readFileSync(file, 'utf8');
    const shown = key && isLoopbackClient(req) ? key : null;
    const settings = `<script type="application/json" id="drawdown-explorer">${explorerSettings(shown)}</script>`;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res
      .status(200)
      .type('html')
      .send(template.replace('</head>', `${settings}</head>`));
  };
}
