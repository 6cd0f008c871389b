// Builds the gateway's browser assets into gateway/static/dist/ (gitignored; run by `npm run build`).
//   app.js   <- gateway/assets/app.js bundled with GOV.UK Frontend, htmx and Chart.js by esbuild
//   reports.js <- gateway/assets/reports.js bundled with TipTap, Yjs and y-websocket (a report's page only)
//   app.css  <- gateway/assets/app.scss compiled by Dart Sass against node_modules
//   assets/  <- images the pages refer to
// Prints what it built; exits non-zero on any error so `make` stops.
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import * as esbuild from 'esbuild'
import * as sass from 'sass'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const source = path.join(root, 'gateway', 'assets')
const dist = path.join(root, 'gateway', 'static', 'dist')
const nodeModules = path.join(root, 'node_modules')

// Every image GOV.UK Frontend ships (favicons, app icons, the footer crest) is the crown or the
// royal arms, which only gov.uk services may show. The service gets its own plain monogram instead.
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="4" fill="#0b0c0c"/>
<text x="16" y="22" text-anchor="middle" font-family="Arial, sans-serif" font-size="15" font-weight="700" fill="#fff">CR</text>
</svg>
`

async function buildScript (name) {
  const outfile = path.join(dist, name)
  await esbuild.build({
    entryPoints: [path.join(source, name)],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning'
  })
  // esbuild writes the legal comments' file only when the bundle has some.
  const legal = `${outfile}.LEGAL.txt`
  const hasLegal = await access(legal).then(() => true, () => false)
  return [outfile, `${outfile}.map`, ...(hasLegal ? [legal] : [])]
}

async function buildStyles () {
  const outfile = path.join(dist, 'app.css')
  const result = await sass.compileAsync(path.join(source, 'app.scss'), {
    loadPaths: [nodeModules],
    style: 'compressed',
    sourceMap: true,
    // GOV.UK Frontend 5 still uses @import internally; its deprecation notices are not ours to fix.
    quietDeps: true,
    silenceDeprecations: ['import']
  })
  const map = { ...result.sourceMap, sources: result.sourceMap.sources.map((s) => path.relative(dist, fileURLToPath(s))) }
  await writeFile(outfile, `${result.css}\n/*# sourceMappingURL=app.css.map */\n`)
  await writeFile(`${outfile}.map`, JSON.stringify(map))
  return [outfile, `${outfile}.map`]
}

async function writeImages () {
  const images = path.join(dist, 'assets', 'images')
  await mkdir(images, { recursive: true })
  const favicon = path.join(images, 'favicon.svg')
  await writeFile(favicon, FAVICON_SVG)
  return [favicon]
}

async function main () {
  const started = performance.now()
  await rm(dist, { recursive: true, force: true })
  await mkdir(dist, { recursive: true })
  const built = (
    await Promise.all([buildScript('app.js'), buildScript('reports.js'), buildStyles(), writeImages()])
  ).flat()
  for (const file of built) {
    const { size } = await stat(file)
    console.log(`  ${path.relative(root, file).padEnd(52)} ${(size / 1024).toFixed(1).padStart(7)} KiB`)
  }
  console.log(`built ${built.length} files into ${path.relative(root, dist)}/ in ${Math.round(performance.now() - started)} ms`)
}

main().catch((error) => {
  console.error(`asset build failed: ${error.message ?? error}`)
  process.exit(1)
})
