import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Static files under /console/, served by the local runtime (local/console.ts) or, deployed, from
// S3 behind CloudFront. The dev server proxies API calls to a running `npm start`.
const api = process.env.API_URL ?? 'http://127.0.0.1:3000';
const proxied = ['/projects', '/operations', '/dev', '/health', '/citizen', '/registry'];

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Vite would otherwise inline small assets as data: URLs and a module-preload polyfill as
    // inline script; the console's CSP allows only its own files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { proxy: Object.fromEntries(proxied.map((p) => [p, api])) },
});
