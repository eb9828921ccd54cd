// Builds the learner pages' front end into the kit's Voila template (see src/index.ts).
// `node build.mjs --analyze` also prints what the bundle is made of.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

const outdir = fileURLToPath(
  new URL('../widgets/chwkit/serve/share/jupyter/voila/templates/chwkit/static/', import.meta.url)
);
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// Keeps what the page does not use out of the bundle (see src/services.ts, src/escape-html.ts).
const slim = {
  name: 'chwkit-slim',
  setup(build) {
    build.onResolve({ filter: /^\.\.$/ }, (args) =>
      /@jupyterlab[\\/]services[\\/]lib[\\/]kernel$/.test(args.resolveDir)
        ? { path: here('src/services.ts') }
        : undefined
    );
    build.onResolve({ filter: /^sanitize-html$/ }, () => ({ path: here('src/escape-html.ts') }));
  }
};

const result = await esbuild.build({
  plugins: [slim],
  entryPoints: { 'chwkit-page': 'src/index.ts' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  outdir,
  metafile: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  // @jupyterlab/services reaches for Node's websocket and fetch only outside a browser.
  external: ['ws', 'node-fetch'],
  logLevel: 'warning'
});
if (process.argv.includes('--analyze')) {
  console.log(await esbuild.analyzeMetafile(result.metafile, { verbose: false }));
}
