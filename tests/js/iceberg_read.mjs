// Reads an Iceberg table with icebird, an independent implementation, and
// prints {"metadata": ..., "rows": [...]} as JSON: the tests compare it with
// what ctlflow wrote. icebird reads through fetch(), so file:// URLs are
// served here (HEAD for sizes, Range GETs for slices) and an s3:// table's
// virtual-host URLs can be sent to a local endpoint (S3_ENDPOINT).
//
//   node iceberg_read.mjs TABLE_URL [METADATA_FILE_NAME]
import { open, stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { icebergMetadata, icebergRead } from 'icebird'

const realFetch = globalThis.fetch
globalThis.fetch = async (input, init = {}) => {
  let url = typeof input === 'string' ? input : input.url
  const endpoint = process.env.S3_ENDPOINT
  const s3 = url.match(/^https:\/\/([^./]+)\.s3\.amazonaws\.com(\/.*)$/)
  if (endpoint && s3) url = `${endpoint}/${s3[1]}${s3[2]}`
  if (!url.startsWith('file://')) return realFetch(url, init)
  const path = fileURLToPath(url)
  let size
  try {
    size = (await stat(path)).size
  } catch {
    return new Response(null, { status: 404, statusText: 'Not Found' })
  }
  const method = (init.method || 'GET').toUpperCase()
  if (method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(size) } })
  const headers = new Headers(init.headers || {})
  const range = headers.get('range')
  let start = 0
  let end = size - 1
  if (range) {
    const m = range.match(/bytes=(\d+)-(\d*)/)
    start = Number(m[1])
    if (m[2] !== '') end = Math.min(Number(m[2]), size - 1)
  }
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(Math.max(0, end - start + 1))
    await fh.read(buf, 0, buf.length, start)
    return new Response(buf, {
      status: range ? 206 : 200,
      headers: { 'content-length': String(buf.length) },
    })
  } finally {
    await fh.close()
  }
}

const [tableUrl, metadataFileName] = process.argv.slice(2)
const metadata = await icebergMetadata({ tableUrl, metadataFileName })
let rows = []
if (metadata['current-snapshot-id'] !== undefined && metadata['current-snapshot-id'] !== -1) {
  rows = await icebergRead({ tableUrl, metadata })
}
const plain = (v) => {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  return v
}
const out = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])))
process.stdout.write(JSON.stringify({ metadata, rows: out }, (k, v) => plain(v)) + '\n')
